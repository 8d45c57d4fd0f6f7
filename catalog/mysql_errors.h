// Internal to the catalog: what a MariaDB error means for recsync, and the
// one-line Status an operator reads for it.
//
// Messages start "database <user@server/db>: " (DbConfig::Describe), name
// what was being done, quote the server ("... (error N)") and end with the
// fix where there is one. A fix that is an edit of the config names the file
// the settings came from (DbConfig::source). The classes, by Status code:
//
// kUnavailable: the server cannot do it now, and the same request may
//   succeed later on a new connection. Catalog::WithRetry retries these for
//   retry_for and then returns them; a daemon keeps its work and tries again,
//   as it does while the server is unreachable.
//   - unreachable or lost: can't connect (2002, 2003), gone or lost (2006,
//     2013), network errors, the server shutting down (1053), out of
//     connections (1040, 1203), the connection killed (1927, 1317);
//   - locks: lock wait timeout (1205), deadlock (1213);
//   - the server refuses writes for now: it is read-only (1290, 1836; InnoDB
//     read-only 1036, 1874), the user lacks a privilege on a table or column
//     (1142, 1143: e.g. UPDATE revoked), its disk is full (1021, 1114, 1878,
//     and 1004, 1023, 1026, 1030, 1180 when they carry errno 28 ENOSPC or 122
//     EDQUOT), it is out of memory (1037, 1041), has too many transactions
//     (1637), or the user hit a resource limit (1226).
// kRejected: the server refused this value, and only this value: longer than
//   its column (1406), bytes the column's character set cannot hold (1366,
//   1300, 1977), truncated (1265, 1292). Retrying cannot help.
// kDatabase: everything else, at once. Configuration errors found at connect
//   are here, since no retry mends them: wrong user or password (1045, 1698),
//   no rights on the database at all (1044), unknown database (1049),
//   unknown host (2005); so are a missing table or column (1146, 1054) and
//   SQL errors.
#pragma once

#include <string>
#include <string_view>

#include "catalog/catalog.h"
#include "common/status.h"

namespace recsync::mysql {

// The Status for MariaDB error `code` with the server's `message` while doing
// `what` ("archiving Media rows"), classified and worded as above.
Status ErrorStatus(const DbConfig& config, std::string_view what, unsigned code,
                   std::string_view message);

// Whether `code` alone makes an error kUnavailable. Some disk-full errors
// are recognised by the errno in their message as well: ErrorStatus is the
// whole rule.
bool IsTransientError(unsigned code);

// `text` with control bytes escaped (\n, \xNN), so that server messages that
// quote a path stay on one line.
std::string OneLine(std::string_view text);

}  // namespace recsync::mysql
