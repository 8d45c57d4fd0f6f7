// A MariaDB account of one test, for what root cannot show: root has
// READ_ONLY ADMIN (so read_only=1 does not stop it), every privilege (so none
// can be missing) and skips init_connect.
//
// The account is created on the TestDatabase's server with a unique name
// and the given privileges on each of that database's tables, and dropped on
// destruction. The grants are table-level on purpose: a REVOKE of one takes
// effect at a connection's next statement, where a database-level one
// (ON db.*) reaches only connections made after it, so a test could not take
// a privilege away from a connection that is already open.
#pragma once

#include <string>

#include "catalog/catalog.h"
#include "tests/support/test_database.h"

namespace recsync::testing {

class TestUser {
 public:
  // `privileges` as GRANT takes them ("SELECT, UPDATE"; "" for none, leaving
  // an account that may not use the database at all).
  TestUser(TestDatabase& db, const std::string& privileges = "SELECT, UPDATE",
           const std::string& password = "recsync-test-pw");
  ~TestUser();
  TestUser(const TestUser&) = delete;
  TestUser& operator=(const TestUser&) = delete;

  const std::string& name() const { return name_; }
  // The database's config with this account's user and password.
  DbConfig config() const;

  // GRANT / REVOKE `privileges` on Media, EventsCam and Storage.
  void Grant(const std::string& privileges);
  void Revoke(const std::string& privileges);

 private:
  TestDatabase& db_;
  std::string name_;
  std::string password_;
};

}  // namespace recsync::testing
