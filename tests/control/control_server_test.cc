// ControlServer on a real uv loop and a real unix socket: the protocol
// (requests, replies, errors, ordering, partial and overlong lines, EOF) and
// the connections' lifetimes.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "control/unix_socket.h"
#include "tests/control/control_harness.h"
#include "tests/support/temp_dir.h"

namespace recsync {
namespace {

using nlohmann::json;
using testing::ControlHarness;
using testing::RawClient;
using testing::TempDir;

// Answers {"ok": true, "echo": request} at once.
void Echo(const json& request, ControlServer::Reply reply) {
  reply(json{{"ok", true}, {"echo", request}});
}

json ParseLine(const std::optional<std::string>& line) {
  REQUIRE(line.has_value());
  return json::parse(*line);
}

TEST_CASE("a request gets its reply through ControlRequest", "[control]") {
  TempDir tmp;
  ControlHarness h;
  std::string path = tmp.Sub("control.sock");
  h.Listen(path, Echo);

  auto response = h.Request(path, json{{"cmd", "status"}, {"path", "/srv/a\nb"}});
  INFO(response.status().message());
  REQUIRE(response.ok());
  CHECK((*response)["ok"] == true);
  CHECK((*response)["echo"]["cmd"] == "status");
  CHECK((*response)["echo"]["path"] == "/srv/a\nb");
  // The client hung up after its answer.
  CHECK(h.RunUntil([&] { return h.server().client_count() == 0; }));
}

TEST_CASE("a handler may reply later, from a timer", "[control]") {
  TempDir tmp;
  ControlHarness h;
  std::string path = tmp.Sub("control.sock");
  int handled = 0;
  h.Listen(path, [&](const json& request, ControlServer::Reply reply) {
    ++handled;
    h.Later(30, [reply, request] { reply(json{{"ok", true}, {"late", request["n"]}}); });
  });

  auto response = h.Request(path, json{{"n", 7}});
  INFO(response.status().message());
  REQUIRE(response.ok());
  CHECK((*response)["late"] == 7);
  CHECK(handled == 1);
}

TEST_CASE("requests on one connection are answered in order, partial lines too", "[control]") {
  TempDir tmp;
  ControlHarness h;
  std::string path = tmp.Sub("control.sock");
  h.Listen(path, Echo);
  RawClient c(h, path);

  // Two requests in one write, then one split across two writes.
  REQUIRE(c.Send("{\"n\":1}\n{\"n\":2}\n{\"n\""));
  CHECK(ParseLine(c.ReadLine())["echo"]["n"] == 1);
  CHECK(ParseLine(c.ReadLine())["echo"]["n"] == 2);
  REQUIRE(c.Send(":3}\r\n"));  // a CRLF line ending is accepted
  CHECK(ParseLine(c.ReadLine())["echo"]["n"] == 3);
  CHECK(h.server().client_count() == 1);
}

TEST_CASE("responses go out in the order Reply is called", "[control]") {
  TempDir tmp;
  ControlHarness h;
  std::string path = tmp.Sub("control.sock");
  h.Listen(path, [&](const json& request, ControlServer::Reply reply) {
    if (request["n"] == 1) {
      h.Later(30, [reply] { reply(json{{"n", 1}}); });
    } else {
      reply(json{{"n", request["n"]}});
    }
  });
  RawClient c(h, path);
  REQUIRE(c.Send("{\"n\":1}\n{\"n\":2}\n"));
  CHECK(ParseLine(c.ReadLine())["n"] == 2);
  CHECK(ParseLine(c.ReadLine())["n"] == 1);
}

TEST_CASE("a line that is not a JSON object gets an error and the connection stays open",
          "[control]") {
  TempDir tmp;
  ControlHarness h;
  std::string path = tmp.Sub("control.sock");
  std::vector<json> handled;
  h.Listen(path, [&](const json& request, ControlServer::Reply reply) {
    handled.push_back(request);
    reply(json{{"ok", true}});
  });
  RawClient c(h, path);

  REQUIRE(c.Send("nonsense\n[1,2]\n\"text\"\n{\"a\":\"\xff\"}\n{\"a\":\n"));
  for (const char* expected : {"not valid JSON", "not a JSON array", "not a JSON string",
                               "not valid JSON", "not valid JSON"}) {
    json e = ParseLine(c.ReadLine());
    INFO(e.dump());
    CHECK(e["ok"] == false);
    CHECK(e["error"].get<std::string>().find(expected) != std::string::npos);
  }
  // Blank lines are skipped; the connection still serves requests.
  REQUIRE(c.Send("\n  \n{\"fine\":true}\n"));
  CHECK(ParseLine(c.ReadLine())["ok"] == true);
  REQUIRE(handled.size() == 1);
  CHECK(handled[0]["fine"] == true);
}

TEST_CASE("a line over 1 MiB gets an error and the connection is closed", "[control]") {
  TempDir tmp;
  ControlHarness h;
  std::string path = tmp.Sub("control.sock");
  int handled = 0;
  h.Listen(path, [&](const json&, ControlServer::Reply reply) {
    ++handled;
    reply(json{{"ok", true}});
  });

  SECTION("exactly 1 MiB is still a request") {
    std::string line = "{\"p\":\"\"}";
    line.insert(6, kMaxRequestLine - line.size(), 'x');
    REQUIRE(line.size() == kMaxRequestLine);
    RawClient c(h, path);
    REQUIRE(c.Send(line + "\n"));
    CHECK(ParseLine(c.ReadLine())["ok"] == true);
    CHECK(handled == 1);
  }
  SECTION("one byte more, with or without its newline") {
    std::string tail = GENERATE(std::string(""), std::string("\n"));
    RawClient c(h, path);
    // The server may close before it has read everything; that is fine.
    c.Send(std::string(kMaxRequestLine + 1, 'x') + tail);
    json e = ParseLine(c.ReadLine());
    CHECK(e["ok"] == false);
    CHECK(e["error"].get<std::string>().find("longer than 1048576 bytes") != std::string::npos);
    CHECK(c.AwaitEof());
    CHECK(h.RunUntil([&] { return h.server().client_count() == 0; }));
    CHECK(handled == 0);
  }
}

TEST_CASE("a client that half-closes still gets its answers, a last line without newline too",
          "[control]") {
  TempDir tmp;
  ControlHarness h;
  std::string path = tmp.Sub("control.sock");
  h.Listen(path, [&](const json& request, ControlServer::Reply reply) {
    h.Later(30, [reply, request] { reply(json{{"n", request["n"]}}); });
  });
  RawClient c(h, path);
  REQUIRE(c.Send("{\"n\":1}\n{\"n\":2}"));
  c.ShutdownWrite();
  CHECK(ParseLine(c.ReadLine())["n"] == 1);
  CHECK(ParseLine(c.ReadLine())["n"] == 2);
  CHECK(c.AwaitEof());  // everything answered: the server hangs up
  CHECK(h.RunUntil([&] { return h.server().client_count() == 0; }));
}

TEST_CASE("a Reply called after its client left, or after the server died, is harmless",
          "[control]") {
  TempDir tmp;
  ControlHarness h;
  std::string path = tmp.Sub("control.sock");
  std::vector<ControlServer::Reply> replies;
  h.Listen(path, [&](const json&, ControlServer::Reply reply) { replies.push_back(reply); });

  {
    RawClient c(h, path);
    REQUIRE(c.Send("{\"n\":1}\n"));
    REQUIRE(h.RunUntil([&] { return replies.size() == 1; }));
  }  // closed without waiting for the answer
  // The write hits a closed peer (EPIPE, not SIGPIPE) and the connection goes.
  replies[0](json{{"ok", true}});
  CHECK(h.RunUntil([&] { return h.server().client_count() == 0; }));
  replies[0](json{{"ok", true}});  // the connection is gone for good now

  RawClient c2(h, path);
  REQUIRE(c2.Send("{\"n\":2}\n"));
  REQUIRE(h.RunUntil([&] { return replies.size() == 2; }));
  h.DestroyServer();
  replies[1](json{{"ok", true}});  // the connection is closing
  CHECK(c2.AwaitEof());
  replies[1](json{{"ok", true}});  // ... and freed
}

TEST_CASE("an exception in the handler is answered as an internal error", "[control]") {
  TempDir tmp;
  ControlHarness h;
  std::string path = tmp.Sub("control.sock");
  h.Listen(path, [](const json& request, ControlServer::Reply) {
    (void)request.at("missing");  // throws json::out_of_range
  });
  auto response = h.Request(path, json{{"cmd", "x"}});
  REQUIRE(response.ok());
  CHECK((*response)["ok"] == false);
  CHECK((*response)["error"].get<std::string>().starts_with("internal error: "));
}

TEST_CASE("a response larger than the socket buffers arrives whole", "[control]") {
  TempDir tmp;
  ControlHarness h;
  std::string path = tmp.Sub("control.sock");
  std::string big(2 << 20, 'r');  // far more than a socket buffer holds
  h.Listen(path, [&](const json&, ControlServer::Reply reply) {
    reply(json{{"ok", true}, {"rows", big}});
  });
  auto response = h.Request(path, json{{"cmd", "sweep"}});
  INFO(response.status().message());
  REQUIRE(response.ok());
  CHECK((*response)["rows"].get<std::string>() == big);
}

}  // namespace
}  // namespace recsync
