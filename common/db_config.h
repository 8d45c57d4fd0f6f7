// DbConfig: where and how to reach Bluecherry's database.
//
// A plain value shared by the module that reads it (config/, from
// Bluecherry's own config file: LoadBluecherryDb) and the one that connects
// with it (catalog/), so that neither depends on the other for it.
//
// Thread-safety: a value; copy it freely.
#pragma once

#include <string>

namespace recsync {

struct DbConfig {
  std::string host;    // empty: connect through `socket` (or the client default)
  unsigned port = 0;   // 0: default port
  std::string socket;  // used when host is empty
  std::string user;
  std::string password;
  std::string dbname;
  // The file these settings were read from, named by every message whose fix
  // is an edit of it ("check dbname in <source>"); empty when they were not
  // read from a file.
  std::string source;

  // "user@host:port/db" or "user@unix:/path/db", for messages; no password.
  // The defaults shown are the client library's (its port and socket).
  std::string Describe() const;
  // `source`, or "the database settings" when it is empty.
  std::string SourceForMessages() const;
};

}  // namespace recsync
