#include "http/sessions.h"

#include <catch2/catch.hpp>

using namespace recsync;

TEST_CASE("a session lasts while used and ends after the idle time") {
  SessionStore store(std::chrono::seconds(60));
  auto s = store.Create("Admin", 0);
  REQUIRE(s.ok());
  CHECK(s->id.size() == 64);
  CHECK(s->csrf.size() == 64);
  CHECK(s->id != s->csrf);
  CHECK(store.Find(s->id, 50'000) != nullptr);   // renewed at 50 s
  CHECK(store.Find(s->id, 100'000) != nullptr);  // 50 s after the last use
  CHECK(store.Find(s->id, 161'000) == nullptr);  // 61 s idle
  CHECK(store.Find("", 0) == nullptr);
}

TEST_CASE("sign-out ends a session, and new sessions beyond the cap end the least recently used") {
  SessionStore store(std::chrono::seconds(600), 2);
  auto a = store.Create("a", 0), b = store.Create("b", 1);
  store.Find(a->id, 2);
  auto c = store.Create("c", 3);
  CHECK(store.Find(a->id, 4) != nullptr);
  CHECK(store.Find(b->id, 4) == nullptr);
  store.Remove(c->id);
  CHECK(store.Find(c->id, 5) == nullptr);
}

TEST_CASE("a client is held back after five failures until the oldest leaves the window") {
  LoginThrottle t(5, std::chrono::seconds(300));
  for (int i = 0; i < 5; ++i) {
    CHECK(t.WaitSeconds("10.0.0.1", i * 1000) == 0);
    t.Failed("10.0.0.1", i * 1000);
  }
  CHECK(t.WaitSeconds("10.0.0.1", 5000) == 295);
  CHECK(t.WaitSeconds("10.0.0.2", 5000) == 0);  // others are not held
  CHECK(t.WaitSeconds("10.0.0.1", 300'000) == 0);
  t.Failed("10.0.0.3", 0);
  t.Succeeded("10.0.0.3");
  CHECK(t.WaitSeconds("10.0.0.3", 1) == 0);
}
