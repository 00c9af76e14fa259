// The symlink swap race during setup (THREATS.md, "Filesystem"; runc
// CVE-2021-30465, flatpak CVE-2024-42472): while cordon prepares the mounts
// that protect names in the workspace, something flips one of those names
// (or its parent) between the real thing and a symlink to a directory
// outside. A setup that resolves a path twice (check, then mount; check, then
// create a placeholder) can be made to protect the wrong thing, to mount or
// create outside, or to leave the real name unprotected.
//
// Each run: a thread swaps the name and its stash with RENAME_EXCHANGE as
// fast as it can while `cordon run` starts; the probe inside first says it is
// ready (`sync`), the thread stops flipping, and the probe then looks at a
// frozen state: which of the two is in place, whether the files it sees are
// the real ones or the outside ones, and whether a write lands. Every run must
// either refuse to start (exit 125) or fail the write with the exact errno of
// the state it found, and the outside directory must never change.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <thread>

#include "escape/escape.h"

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

namespace cordon::test::escape {
namespace {

constexpr int kRuns = 100;

struct RaceCase {
  const char* name;       // for the test name
  const char* flipped;    // the workspace path that flips
  const char* link_to;    // the symlink's target, relative to outside ("" = outside itself)
  const char* bare_step;  // a step that writes through the symlink uncontained
  // The probe's steps after `sync`, and the exact outcome for each frozen
  // state ("dir"/"file": the real one in place; "link": the symlink).
  std::vector<std::vector<std::string>> steps;
  std::map<std::string, std::string> expected;
};

const RaceCase kCases[] = {
    {"GitHooksDir",
     ".git/hooks",
     "",
     ".git/hooks/pre-commit",
     {{"lstat", ".git/hooks"},
      {"open-read", ".git/hooks/outside-marker"},
      {"open-read", ".git/hooks/inside-marker"},
      {"create", ".git/hooks/pre-commit"}},
     {{"dir", "dir ENOENT OK EROFS"}, {"link", "link OK ENOENT EROFS"}}},
    {"GitConfigFile",
     ".git/config",
     "config",
     ".git/config",
     {{"lstat", ".git/config"}, {"head", ".git/config"}, {"open-write", ".git/config"}},
     {{"file", "file #inside-config EROFS"}, {"link", "link #outside-config EROFS"}}},
    // The parent of the protected names: placeholders for a missing
    // .git/hooks must never be made through the link, on the host.
    {"GitDirParent",
     ".git",
     "",
     ".git/config",
     {{"lstat", ".git"},
      {"mkdir", ".git/hooks"},
      {"create", ".git/hooks/pre-commit"},
      {"open-write", ".git/config"},
      {"head", ".git/config"}},
     {{"dir", "dir EEXIST EROFS EROFS #inside-config"},
      {"link", "link EROFS ENOENT EROFS #outside-config"}}},
};

void PrintTo(const RaceCase& c, std::ostream* os) { *os << c.name; }

// The real entry and the symlink, each under `flipped` or its stash, swapped
// by a thread until the probe inside has created `.ready`; then the thread
// creates `.go` and stops, and the probe goes on.
class Flipper {
 public:
  Flipper(std::string a, std::string b, std::string ready, std::string go)
      : a_(std::move(a)), b_(std::move(b)), ready_(std::move(ready)), go_(std::move(go)) {
    thread_ = std::thread([this] { loop(); });
  }
  ~Flipper() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  long flips() const { return flips_; }

 private:
  void loop() {
    while (!stop_) {
      if (access(ready_.c_str(), F_OK) == 0) {
        int fd = open(go_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd >= 0) close(fd);
        return;
      }
      if (syscall(SYS_renameat2, AT_FDCWD, a_.c_str(), AT_FDCWD, b_.c_str(), RENAME_EXCHANGE) == 0)
        ++flips_;
    }
  }
  std::string a_, b_, ready_, go_;
  std::atomic<bool> stop_{false};
  std::atomic<long> flips_{0};
  std::thread thread_;
};

std::string describe(const std::map<std::string, std::string>& snap) {
  std::string text;
  for (const auto& [rel, desc] : snap) text += "  " + rel + ": " + desc.substr(0, 80) + "\n";
  return text;
}

using Param = std::tuple<As, RaceCase>;

std::string param_name(const testing::TestParamInfo<Param>& info) {
  return std::string(std::get<0>(info.param) == As::Caller ? "caller_" : "unprivileged_") +
         std::get<1>(info.param).name;
}

class SetupRace : public testing::TestWithParam<Param> {
 protected:
  bool unprivileged() const { return std::get<0>(GetParam()) == As::Unprivileged; }
  const RaceCase& rc() const { return std::get<1>(GetParam()); }
  std::string flipped() const { return rc().flipped; }
  std::string stash() const { return flipped() + ".swap"; }

  // .git with config and hooks (inside-marker) in the workspace; the same
  // shape outside with other markers; the symlink in the stash. The configs
  // are valid git config, whose first word tells them apart.
  void prepare(Scene& s) const {
    s.ws.write(".git/config", "#inside-config\n[core]\n\tbare = false\n");
    if (flipped() != ".git") s.ws.write(".git/hooks/inside-marker", "inside\n");
    s.outside.write("outside-marker", "outside\n");
    s.outside.write("config", "#outside-config\n[core]\n\tbare = false\n");
    const std::string target = *rc().link_to ? s.outside.file(rc().link_to) : s.outside.path();
    s.ws.symlink(target, stash());
  }
};

TEST_P(SetupRace, SymlinkSwapDuringSetupNeverLandsOutside) {
  {
    // Uncontained, the symlink in place: the write lands outside.
    Scene bare(unprivileged());
    prepare(bare);
    ASSERT_EQ(syscall(SYS_renameat2, AT_FDCWD, bare.ws.file(flipped()).c_str(), AT_FDCWD,
                      bare.ws.file(stash()).c_str(), RENAME_EXCHANGE),
              0);
    const auto before = snapshot(bare.outside.path());
    const std::string step = rc().bare_step;
    EXPECT_EQ(bare.bare({{step == ".git/config" ? "open-write" : "create", step}}), "OK");
    EXPECT_NE(snapshot(bare.outside.path()), before) << "uncontained, the write must land outside";
  }

  std::vector<std::vector<std::string>> steps{{"sync", ".ready", ".go"}};
  steps.insert(steps.end(), rc().steps.begin(), rc().steps.end());

  std::map<std::string, int> seen;  // frozen state (or "refused") -> runs
  long flips = 0;
  for (int i = 0; i < kRuns; ++i) {
    // A fresh workspace each run: what one run's sweep renamed must not
    // change the next run's starting point.
    Scene s(unprivileged());
    prepare(s);
    const auto outside_before = snapshot(s.outside.path());
    const std::string ready = s.ws.file(".ready"), go = s.ws.file(".go");
    RunResult r;
    {
      Flipper flipper(s.ws.file(flipped()), s.ws.file(stash()), ready, go);
      r = s.inside_run(steps, s.show_outside());
      flipper.stop();
      flips += flipper.flips();
    }
    const std::string context =
        "run " + std::to_string(i) + " (" + std::to_string(flips) + " flips so far)";
    EXPECT_EQ(snapshot(s.outside.path()), outside_before)
        << context << ": the outside changed" << r;
    if (r.exit_code == 125) {
      ++seen["refused"];
      EXPECT_EQ(r.out, "") << context << ": refused, yet the probe ran" << r;
    } else {
      const std::string got = outcome(r);
      const std::string state = got.rfind("OK ", 0) == 0 ? split_words(got)[1] : "?";
      ++seen[state];
      const auto want = rc().expected.find(state);
      EXPECT_TRUE(want != rc().expected.end() && got == "OK " + want->second)
          << context << ": the probe saw `" << got << "`; expected one of "
          << testing::PrintToString(rc().expected) << r << "workspace .git after the run:\n"
          << describe(snapshot(s.ws.file(".git"))) << "and .git.swap:\n"
          << describe(snapshot(s.ws.file(".git.swap")));
    }
    if (HasFailure()) break;  // the first failing run says it all
  }
  std::string summary;
  for (const auto& [state, n] : seen) summary += state + "=" + std::to_string(n) + " ";
  RecordProperty("states", summary + "flips=" + std::to_string(flips));
  EXPECT_GT(flips, kRuns) << "the flipper hardly ran: the race was not exercised";
}

INSTANTIATE_TEST_SUITE_P(Cases, SetupRace,
                         testing::Combine(testing::Values(As::Caller, As::Unprivileged),
                                          testing::ValuesIn(kCases)),
                         param_name);

// The same without a race: .git itself is a symlink to a directory outside
// (as a planted workspace might have it). The placeholders for the missing
// protected names must not be created through it, on the host.
TEST(Escape, PlaceholdersAreNeverCreatedThroughASymlinkedParent) {
  for (bool unprivileged : {false, true}) {
    Scene s(unprivileged);
    s.outside.write("outside-marker", "outside\n");
    s.ws.symlink(s.outside.path(), ".git");
    const auto before = snapshot(s.outside.path());
    auto r =
        s.inside_run({{"create", ".git/hooks/pwned"}, {"create", ".git/config"}}, s.show_outside());
    if (r.exit_code != 125) {
      EXPECT_EQ(outcome(r), "ENOENT EROFS") << (unprivileged ? "unprivileged" : "caller");
    }
    EXPECT_EQ(snapshot(s.outside.path()), before) << (unprivileged ? "unprivileged" : "caller");
  }
}

}  // namespace
}  // namespace cordon::test::escape
