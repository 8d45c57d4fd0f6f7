// What only another user sees, for tests that run as root: permission denied
// on a directory root may read, a thread limit root is exempt from.
#pragma once

#include <functional>
#include <string>

namespace recsync::testing {

// Runs `body` in a forked child as user nobody (uid and gid 65534, no
// supplementary groups), after `then` (when given) has run as that user, and
// returns the text `body` returned. Fails the test when the child cannot
// drop privileges, when `then` returns false, or when it does not exit
// normally (killed by std::terminate's abort, say). Needs root.
std::string AsNobody(const std::function<std::string()>& body,
                     const std::function<bool()>& then = nullptr);

// Whether AsNobody can run here (the test process is root).
bool CanBecomeNobody();

}  // namespace recsync::testing
