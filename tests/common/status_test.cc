// errno becomes a Status in one place, with a code callers can act on.
#include <catch2/catch.hpp>

#include <cerrno>

#include "common/status.h"

using namespace recsync;

TEST_CASE("ErrnoStatus names the thing and maps the code") {
  Status missing = ErrnoStatus(ENOENT, "/srv/rec");
  CHECK(missing.code() == Code::kNotFound);
  CHECK(missing.message() == "/srv/rec: No such file or directory");
  CHECK(ErrnoStatus(ETIMEDOUT, "x").code() == Code::kTimeout);
  CHECK(ErrnoStatus(EBUSY, "x").code() == Code::kBusy);
  CHECK(ErrnoStatus(EIO, "x").code() == Code::kIo);
}

TEST_CASE("Result carries a value or an error, never both") {
  Result<int> ok = 5;
  REQUIRE(ok.ok());
  CHECK(*ok == 5);
  CHECK(ok.status().ok());
  Result<int> bad = Status(Code::kInvalid, "nope");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message() == "nope");
  CHECK(bad.status().With("ctx").message() == "ctx: nope");
}
