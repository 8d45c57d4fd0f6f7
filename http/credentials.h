// Credentials: what proves who is asking.
//
// - Bluecherry's accounts: Users.password holds md5(password + salt) in hex
//   (Bluecherry's own scheme; recsync reads it, never writes it), and
//   access_setup = 1 marks an administrator.
// - The API token: one line of random hex in `api_token_file`, sent as
//   `Authorization: Bearer <token>` by scripts and Prometheus. `recsync
//   token new` writes a new one (mode 0640: the service's group may read it).
// - Session ids and CSRF tokens: 256 random bits from getrandom(2), in hex.
//
// Comparisons of secrets take the same time whatever the bytes.
//
// Thread rules: pure functions; ReadApiToken and WriteApiToken do file I/O.
#pragma once

#include <cstddef>
#include <string>

#include "common/status.h"

namespace recsync {

// Hex of `bytes` random bytes; kUnavailable when the kernel has none to give.
Result<std::string> RandomHex(size_t bytes);

// Equal length and bytes, in time that depends only on the lengths.
bool SecretEquals(const std::string& a, const std::string& b);

// True when md5(password + salt), in hex, equals `stored` (case-insensitive).
bool BluecherryPasswordMatches(const std::string& password, const std::string& salt,
                               const std::string& stored);

// The token in `path` (its first line, trimmed). kNotFound when the file is
// missing, kInvalid when it is empty or shorter than 32 characters, kIo
// otherwise; each message names the file and `recsync token new`.
Result<std::string> ReadApiToken(const std::string& path);

// Writes a new random token to `path` (mode 0640, replacing the file
// atomically; the folder is created mode 0750 if missing); returns it.
Result<std::string> WriteApiToken(const std::string& path);

}  // namespace recsync
