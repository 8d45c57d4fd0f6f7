#include "cli/retry_command.h"

#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "cli/app.h"
#include "cli/daemon_commands.h"
#include "cli/report.h"
#include "common/clock.h"
#include "common/instance_lock.h"
#include "common/text.h"
#include "control/control_client.h"
#include "daemon/daemon.h"
#include "journal/journal.h"

namespace recsync {
namespace {

struct RetryArgs {
  std::vector<int64_t> seqs;
  bool all = false;
};

// What was retried and what was left alone, whoever did it.
struct RetryDone {
  std::vector<int64_t> retried;
  std::vector<std::pair<int64_t, std::string>> skipped;  // seq, state ("": none)
};

// Seqs for people: all of them when few, else how many.
std::string SeqList(const std::vector<int64_t>& seqs) {
  if (seqs.size() > 10) return "";
  std::string out;
  for (int64_t s : seqs) out += (out.empty() ? " (" : ", ") + std::to_string(s);
  return out.empty() ? out : out + ")";
}

int Report(const RetryDone& done, bool by_daemon, std::ostream& out, std::ostream& err) {
  if (done.retried.empty() && done.skipped.empty()) {
    out << "no failed events to retry\n";
    return kExitOk;
  }
  if (!done.retried.empty()) {
    out << "made " << done.retried.size() << " failed events pending again" << SeqList(done.retried)
        << (by_daemon ? "; the daemon is applying them now (recsync sync waits for them)\n"
                      : "; the daemon applies them when it starts (no daemon answers now)\n");
  }
  if (done.skipped.empty()) return kExitOk;
  std::string left;
  for (const auto& [seq, state] : done.skipped) {
    left += (left.empty() ? "" : ", ") + std::to_string(seq) + " (" +
            (state.empty() ? "not in the journal" : state) + ")";
  }
  err << "recsync: journal retry: left alone, not failed: " << left
      << " (see recsync journal list --state failed)\n";
  return kExitError;
}

// nullopt when no daemon answers; otherwise the exit code.
std::optional<int> RetryViaDaemon(const RetryArgs& a, const Settings& s, std::ostream& out,
                                  std::ostream& err) {
  nlohmann::json request = {{"cmd", "retry"}};
  if (a.all) {
    request["all"] = true;
  } else {
    request["seqs"] = a.seqs;
  }
  auto answer = ControlRequest(s.control_socket, request, std::chrono::seconds(60));
  if (!answer.ok()) {
    if (answer.status().code() == Code::kNotFound) return std::nullopt;
    err << "recsync: asking the daemon to retry: " << answer.status().message() << "\n";
    return kExitError;
  }
  if (!answer->value("ok", false)) {
    err << "recsync: journal retry: " << answer->value("error", std::string("the daemon refused"))
        << "\n";
    return answer->value("exit", kExitError);
  }
  RetryDone done;
  done.retried = answer->value("retried", std::vector<int64_t>{});
  for (const auto& skipped : answer->value("skipped", nlohmann::json::array())) {
    done.skipped.emplace_back(skipped.value("seq", int64_t{0}),
                              skipped.value("state", std::string()));
  }
  return Report(done, /*by_daemon=*/true, out, err);
}

int RetryInJournal(const RetryArgs& a, const Settings& s, std::ostream& out, std::ostream& err) {
  // A daemon that holds the journal but does not answer would not learn of
  // the retry (and may be another control_socket's): leave it to that one.
  if (InstanceLock::IsHeld(JournalLockPath(s.journal))) {
    err << "recsync: journal retry: a recsync daemon holds journal " << PrintableText(s.journal)
        << " but does not answer on " << PrintableText(s.control_socket)
        << "; check that both use the same control_socket, then run this again\n";
    return kExitError;
  }
  // Read-only first: a missing journal is reported, not created.
  if (auto exists = Journal::Open(s.journal, Journal::Mode::kReadOnly); !OkOrReport(exists, err)) {
    return kExitError;
  }
  auto journal = Journal::Open(s.journal, Journal::Mode::kReadWrite);
  if (!OkOrReport(journal, err)) return kExitError;
  const int64_t now = SystemClock().NowMs();
  RetryDone done;
  if (a.all) {
    auto all = (*journal)->RetryAllFailed(now);
    if (!OkOrReport(all, err)) return kExitError;
    done.retried = std::move(*all);
  } else {
    auto some = (*journal)->RetryFailed(a.seqs, now);
    if (!OkOrReport(some, err)) return kExitError;
    done.retried = std::move(some->retried);
    for (const auto& [seq, state] : some->skipped) {
      done.skipped.emplace_back(seq, state ? ToText(*state) : "");
    }
  }
  return Report(done, /*by_daemon=*/false, out, err);
}

int RunRetry(const RetryArgs& a, const Settings& s, std::ostream& out, std::ostream& err) {
  if (a.all == !a.seqs.empty()) {
    err << "recsync: journal retry: give the seqs of failed events or --all, not both (see "
           "recsync journal list --state failed)\n";
    return kExitUsage;
  }
  for (int64_t seq : a.seqs) {
    if (seq < 1) {
      err << "recsync: journal retry: " << seq << " is not an event seq (they start at 1)\n";
      return kExitUsage;
    }
  }
  if (auto via_daemon = RetryViaDaemon(a, s, out, err)) return *via_daemon;
  return RetryInJournal(a, s, out, err);
}

}  // namespace

void AddRetryCommand(CLI::App& app, CommandRunner* runner) {
  CLI::App* journal = app.get_subcommand("journal");
  auto args = std::make_shared<RetryArgs>();
  CLI::App* retry = journal->add_subcommand(
      "retry", "Make failed events pending again, so the daemon applies them once more");
  retry->fallthrough();  // global options (--journal, --control-socket) may follow
  retry->add_option("seq", args->seqs, "Seqs of failed events (see journal list --state failed)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  retry->add_flag("--all", args->all, "Every failed event");
  retry->callback([args, runner] {
    *runner = [args](const Settings& s, std::ostream& out, std::ostream& err) {
      return RunRetry(*args, s, out, err);
    };
  });
}

}  // namespace recsync
