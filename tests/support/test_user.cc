#include "tests/support/test_user.h"

#include <unistd.h>

#include <atomic>
#include <exception>

namespace recsync::testing {

namespace {

constexpr const char* kTables[] = {"Media", "EventsCam", "Storage"};

}  // namespace

TestUser::TestUser(TestDatabase& db, const std::string& privileges, const std::string& password)
    : db_(db), password_(password) {
  static std::atomic<int> counter{0};
  name_ = "recsync_u_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
  db_.Exec("DROP USER IF EXISTS '" + name_ + "'@'localhost'");
  db_.Exec("CREATE USER '" + name_ + "'@'localhost' IDENTIFIED BY '" + password_ + "'");
  if (!privileges.empty()) Grant(privileges);
}

TestUser::~TestUser() {
  try {
    db_.Exec("DROP USER IF EXISTS '" + name_ + "'@'localhost'");
  } catch (const std::exception&) {
    // The server may be down on purpose; its datadir goes with the test.
  }
}

DbConfig TestUser::config() const {
  DbConfig c = db_.config();
  c.user = name_;
  c.password = password_;
  return c;
}

void TestUser::Grant(const std::string& privileges) {
  for (const char* table : kTables) {
    db_.Exec("GRANT " + privileges + " ON " + db_.name() + "." + table + " TO '" + name_ +
             "'@'localhost'");
  }
}

void TestUser::Revoke(const std::string& privileges) {
  for (const char* table : kTables) {
    db_.Exec("REVOKE " + privileges + " ON " + db_.name() + "." + table + " FROM '" + name_ +
             "'@'localhost'");
  }
}

}  // namespace recsync::testing
