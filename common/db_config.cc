#include "common/db_config.h"

// Only for the client library's compiled-in defaults (MARIADB_PORT,
// MARIADB_UNIX_ADDR), so that messages name the address it really uses.
#include <mariadb_version.h>

namespace recsync {

std::string DbConfig::Describe() const {
  std::string where;
  // The client library treats "localhost" as "use the unix socket".
  if (!host.empty() && host != "localhost") {
    const bool ipv6 = host.find(':') != std::string::npos;
    where = (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port ? port : MARIADB_PORT);
  } else {
    where = "unix:" + (socket.empty() ? std::string(MARIADB_UNIX_ADDR) : socket);
  }
  return user + "@" + where + "/" + dbname;
}

std::string DbConfig::SourceForMessages() const {
  return source.empty() ? "the database settings" : source;
}

}  // namespace recsync
