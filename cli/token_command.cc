#include "cli/token_command.h"

#include <CLI/CLI.hpp>
#include <ostream>
#include <string>

#include "cli/app.h"
#include "http/credentials.h"
#include "http/listen_address.h"

namespace recsync {
namespace {

// A request that uses the token, as the operator would type it: it reads the
// file rather than holding the token, so it can be pasted into a script.
std::string CurlExample(const Settings& s) {
  const std::string auth = "-H \"Authorization: Bearer $(cat " + s.api_token_file + ")\"";
  auto address = ParseListenAddress(s.http_listen);
  if (!address.ok() || address->kind == ListenAddress::Kind::kOff) return "";
  if (address->kind == ListenAddress::Kind::kUnix) {
    return "curl --unix-socket " + address->path + " " + auth + " http://localhost/api/v1/status";
  }
  const std::string host = address->host.find(':') == std::string::npos
                               ? address->host
                               : "[" + address->host + "]";
  return "curl " + auth + " http://" + host + ":" + std::to_string(address->port) +
         "/api/v1/status";
}

int RunTokenNew(const Settings& s, std::ostream& out, std::ostream& err) {
  auto token = WriteApiToken(s.api_token_file);
  if (!token.ok()) {
    err << "recsync: token new: " << token.status().message()
        << " (run it as root, or choose another file with --api-token-file)\n";
    return kExitError;
  }
  out << "wrote a new API token to " << s.api_token_file << " (mode 0640):\n"
      << "  " << *token << "\n"
      << "scripts and Prometheus send it as `Authorization: Bearer <token>`";
  if (const std::string curl = CurlExample(s); !curl.empty()) {
    out << ", e.g.\n  " << curl << "\n";
  } else {
    out << " (http_listen is off: no HTTP server serves it until it is set)\n";
  }
  out << "a running daemon reads it on `systemctl reload recsync` (SIGHUP); until then it keeps "
         "the token it read before, if any\n";
  return kExitOk;
}

}  // namespace

void AddTokenCommand(CLI::App& app, CommandRunner* runner) {
  CLI::App* token = app.add_subcommand("token", "The API token of scripts and Prometheus");
  token->require_subcommand(1);
  CLI::App* make = token->add_subcommand(
      "new",
      "Write a new random API token to api_token_file (mode 0640, replacing the old one) and "
      "print it once on stdout, never to a log; the daemon takes it on systemctl reload");
  make->fallthrough();  // --api-token-file may follow the command
  make->callback([runner] {
    *runner = [](const Settings& s, std::ostream& out, std::ostream& err) {
      return RunTokenNew(s, out, err);
    };
  });
}

}  // namespace recsync
