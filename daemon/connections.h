// Connections: the journal and catalog connections one daemon worker owns.
//
// The sweep worker and the probe worker each get one, moved into their
// Worker<Connections> (common/worker.h) at start, so only tasks running on
// that worker can reach them. The catalog connects on first use and again
// after it was dropped: the database may be down when the daemon starts.
//
// Thread rules: belongs to the worker it was moved into.
#pragma once

#include <memory>

#include "catalog/catalog.h"
#include "common/status.h"
#include "common/worker.h"
#include "journal/journal.h"

namespace recsync {

class Connections {
 public:
  Connections(std::unique_ptr<Journal> journal, DbConfig db)
      : journal_(std::move(journal)), db_(std::move(db)) {}

  Journal& journal() { return *journal_; }
  // The catalog, connecting first if need be; the connection error otherwise.
  Result<Catalog*> catalog() {
    if (!catalog_) {
      auto connected = Catalog::Connect(db_, CatalogOptions{});
      if (!connected.ok()) return connected.status();
      catalog_ = std::move(*connected);
    }
    return catalog_.get();
  }

 private:
  std::unique_ptr<Journal> journal_;
  DbConfig db_;
  std::unique_ptr<Catalog> catalog_;
};

using ConnectionWorker = Worker<Connections>;

}  // namespace recsync
