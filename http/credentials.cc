#include "http/credentials.h"

#include <fcntl.h>
#include <gnutls/crypto.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include "common/unique_fd.h"

namespace recsync {
namespace {

std::string Hex(const unsigned char* data, size_t n) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 15];
  }
  return out;
}

std::string Lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

Status TokenIo(const std::string& path, const std::string& what) {
  return Status(Code::kIo, "api_token_file " + path + ": " + what + ": " + std::strerror(errno) +
                               "; check the path and its permissions");
}

}  // namespace

Result<std::string> RandomHex(size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  size_t got = 0;
  while (got < bytes) {
    const ssize_t n = ::getrandom(buf.data() + got, bytes - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status(Code::kUnavailable, std::string("getrandom: ") + std::strerror(errno));
    }
    got += static_cast<size_t>(n);
  }
  return Hex(buf.data(), bytes);
}

bool SecretEquals(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

bool BluecherryPasswordMatches(const std::string& password, const std::string& salt,
                               const std::string& stored) {
  const std::string salted = password + salt;
  unsigned char digest[16];
  if (gnutls_hash_fast(GNUTLS_DIG_MD5, salted.data(), salted.size(), digest) != 0) return false;
  return SecretEquals(Hex(digest, sizeof digest), Lower(stored));
}

Result<std::string> ReadApiToken(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT) {
      return Status(Code::kNotFound, "api_token_file " + path +
                                         " does not exist; run `recsync token new` to make one");
    }
    return TokenIo(path, "cannot read it");
  }
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  if (line.size() < 32) {
    return Status(Code::kInvalid, "api_token_file " + path +
                                      " holds no token of at least 32 characters; run `recsync "
                                      "token new`");
  }
  return line;
}

Result<std::string> WriteApiToken(const std::string& path) {
  auto token = RandomHex(32);
  if (!token.ok()) return token.status();
  // mkdir -p of the folder, each new level mode 0750.
  for (size_t slash = path.find('/', 1); slash != std::string::npos; slash = path.find('/', slash + 1)) {
    const std::string dir = path.substr(0, slash);
    if (::mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST) return TokenIo(path, "mkdir " + dir);
  }
  const std::string tmp = path + ".new";
  ::unlink(tmp.c_str());
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640));
  if (!fd.valid()) return TokenIo(path, "cannot create " + tmp);
  ::fchmod(fd.get(), 0640);  // whatever the umask
  const std::string line = *token + "\n";
  if (::write(fd.get(), line.data(), line.size()) != static_cast<ssize_t>(line.size()) ||
      ::fsync(fd.get()) != 0) {
    ::unlink(tmp.c_str());
    return TokenIo(path, "cannot write " + tmp);
  }
  fd.Reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return TokenIo(path, "cannot rename " + tmp);
  }
  return token;
}

}  // namespace recsync
