#include "tests/support/as_nobody.h"

#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

namespace recsync::testing {

bool CanBecomeNobody() { return ::geteuid() == 0; }

std::string AsNobody(const std::function<std::string()>& body,
                     const std::function<bool()>& then) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) _exit(100);
    if (then && !then()) _exit(101);
    const std::string text = body();
    (void)!::write(fds[1], text.data(), text.size());
    _exit(0);
  }
  ::close(fds[1]);
  std::string text;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof(buf))) > 0;) text.append(buf, size_t(n));
  ::close(fds[0]);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  INFO("the child's text: " << text);
  REQUIRE(WIFEXITED(status));  // not killed (by std::terminate's abort, say)
  REQUIRE(WEXITSTATUS(status) == 0);
  return text;
}

}  // namespace recsync::testing
