// Reading the active rows on several connections at once.
//
// A sweep's read of Media is one server thread sending every active row:
// about 0.4 s of one core per million rows, the whole critical path of a
// periodic sweep whose folders are mostly unchanged. Here the id spans of
// Catalog::StreamActiveRows are shared out between connections, each read
// on a thread of its own, so the server works on as many cores; the rows
// still reach the caller on its own thread, in id order.
//
// Contract (as StreamActiveRows, which it replaces for a caller with more
// than one connection):
// - `fn` gets every active row with id > after_id exactly once, in id
//   order, on the calling thread, each with last_id = the highest id when
//   the read began; it returns false to stop (the call then returns Ok). The
//   view's filepath is valid during the call only.
// - Each connection retries and resumes its own spans (Catalog's rules). An
//   error that ends one ends the read: the rows up to where it failed were
//   handed over (a prefix of the whole, in order), none after, and the error
//   is returned.
// - Memory is bounded whatever the pace of `fn`: the spans the caller has
//   not reached hold at most ahead_chunks chunks between them, the span it
//   reads at most one span of rows.
// - The catalogs are used on the read's own threads until it returns; their
//   retry hooks run there. With one catalog this is StreamActiveRows itself.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "catalog/catalog.h"
#include "common/status.h"

namespace recsync {

struct RowStreamOptions {
  // Ids per span: small enough that the connections take turns often and the
  // rows waiting stay few, large enough that a span's queries (a lookup and
  // the SELECT) are a small part of its time.
  int64_t span_ids = 16384;
  // Rows handed from a reading thread to the caller at a time.
  size_t chunk_rows = 1024;
  // Chunks that may wait in spans ahead of the one the caller reads; a
  // reading thread that would exceed it waits. A span's worth, so that the
  // next connection can read a whole span while the caller takes this one.
  size_t ahead_chunks = 16;
  // Once this is true, only the first catalog takes new spans: the caller
  // has found other work for the server's cores (a sweep archiving while it
  // reads), and a second reader would only compete with it.
  const std::atomic<bool>* one_reader = nullptr;
  // When set, counts the spans each catalog took (one counter per catalog, in
  // the order given; nothing is counted with a single catalog). For tests.
  std::vector<std::atomic<size_t>>* spans_read = nullptr;
};

Status StreamActiveRowsOn(const std::vector<Catalog*>& readers, int64_t after_id,
                          const RowStreamOptions& options,
                          const std::function<bool(const MediaRowView& row)>& fn);

}  // namespace recsync
