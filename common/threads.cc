#include "common/threads.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

namespace recsync {

void NameThread(std::thread& thread, const std::string& name) {
  pthread_setname_np(thread.native_handle(), name.substr(0, 15).c_str());
}

void NoteInlineFallback(const std::system_error& e) {
  spdlog::warn("cannot start a thread ({}); doing the work without one, more slowly", e.what());
}

}  // namespace recsync
