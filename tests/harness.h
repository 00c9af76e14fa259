// The integration-test harness: runs the real cordon binary (or any program)
// on the real kernel, as the caller or as the unprivileged test user, with
// pipes or a pty, and hands back everything a test needs to assert on.
//
// Used by tests/integration/ and tests/escape/. Nothing here changes anything
// outside the temporary directories it creates; every process it starts is
// killed by PID (its process group) when it outlives its timeout.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace cordon::test {

struct RunOptions {
  std::string cwd;                     // working directory ("" = inherit)
  bool unprivileged = false;           // run as the test user instead of the current user
  std::vector<std::string> env;        // full environment "K=V"; empty = inherit the test's own
  std::vector<std::string> extra_env;  // added on top (replacing a variable of the same name)
  std::string stdin_data;  // fed through a pipe, then closed (written to the pty with stdin_tty)
  bool stdin_tty = false;  // a new pty as stdin/stdout/stderr and controlling terminal;
                           // output is read from the master (into `out`; `err` stays empty)
  std::vector<int> inherit_fds;  // extra open fds the child inherits, at the same numbers
  int timeout_seconds = 60;      // then SIGKILL to its process group, and the test fails
  unsigned short tty_rows = 24;  // the window size set on the pty before the child starts
  unsigned short tty_cols = 80;
};

struct RunResult {
  int exit_code = -1;    // WEXITSTATUS, or -1 when the process did not exit normally
  int term_signal = 0;   // WTERMSIG when killed by a signal
  std::string out, err;  // everything written to stdout / stderr (with a pty: the master's output)
  pid_t pid = 0;         // the host PID of the process started
  bool timed_out = false;
};

// Prints a RunResult in assertion messages: `EXPECT_EQ(r.exit_code, 0) << r;`
std::ostream& operator<<(std::ostream& os, const RunResult& r);

// Runs any program, uncontained, and waits for it.
RunResult run(const std::vector<std::string>& argv, const RunOptions& opts = {});
// CORDON_BIN + args.
RunResult cordon(const std::vector<std::string>& args, const RunOptions& opts = {});

// A process started without waiting, for tests that act while it runs
// (signals, the supervisor killed, typing into a pty). Killed (SIGKILL to its
// process group) and reaped at destruction if still running.
class Process {
 public:
  Process(const std::vector<std::string>& argv, const RunOptions& opts);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return result_.pid; }
  bool running() const { return !reaped_; }
  // Output so far (reads what is available first).
  const std::string& out();
  const std::string& err();
  // Pumps output until `needle` appears in stdout (or stderr), the process
  // exits, or `timeout` passes; true when it appeared.
  bool wait_for_output(const std::string& needle,
                       std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Writes to the process's stdin pipe or pty master.
  void write_input(const std::string& data);
  // Closes the stdin pipe (no-op with a pty).
  void close_input();
  // Sets the window size of the pty (the kernel sends SIGWINCH to its
  // foreground process group); no-op without a pty.
  void resize(unsigned short rows, unsigned short cols);
  // Sends a signal to the process itself (not its group).
  void signal(int sig);
  // Waits until it exits (up to the timeout of its options, counted from the
  // start) and returns everything.
  RunResult wait();

 private:
  void start(const std::vector<std::string>& argv);
  void release();             // kill and reap if running, close fds, remove the temp HOME
  bool pump(int timeout_ms);  // one poll round; false when nothing is left open
  void reap(bool block);

  RunOptions opts_;
  RunResult result_;
  int in_fd_ = -1, out_fd_ = -1, err_fd_ = -1, master_fd_ = -1;
  bool reaped_ = false;
  std::chrono::steady_clock::time_point deadline_;
  std::string home_;  // a HOME created for an unprivileged run, removed at destruction
};

// CORDON_BIN / CORDON_PROBE (the compile definitions), or the environment
// variables of the same names when set.
const std::string& cordon_bin();
const std::string& probe_bin();

// A temporary directory under /tmp, removed recursively (even read-only
// contents) at destruction; chowned to the test user when `for_unprivileged`
// (and so is everything written through it) so that an unprivileged run can
// use it as its workspace or home.
class TempDir {
 public:
  explicit TempDir(bool for_unprivileged = false);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& rel) const;  // path() + "/" + rel

  // Parent directories are created as needed.
  void write(const std::string& rel, const std::string& content, mode_t mode = 0644);
  void mkdir(const std::string& rel, mode_t mode = 0755);
  void symlink(const std::string& target, const std::string& rel);
  std::string read(const std::string& rel) const;  // "" when missing
  bool exists(const std::string& rel) const;       // lstat: a dangling link exists

 private:
  void own(const std::string& abs) const;
  std::string path_;
  bool for_unprivileged_;
};

bool is_root();

// The unprivileged test user "cordon-test", created by scripts/setup.sh. When
// the suite runs as root and the user is missing, these throw (the test fails
// with "run scripts/setup.sh"); when the suite runs as a non-root user,
// "unprivileged" simply means the current user.
uid_t test_uid();
gid_t test_gid();

// For TEST_P suites that run every case as the caller (root on CI) and as the
// unprivileged user:
//   INSTANTIATE_TEST_SUITE_P(Users, MySuite, testing::Values(As::Caller, As::Unprivileged),
//   as_name);
enum class As { Caller, Unprivileged };
std::string as_name(const testing::TestParamInfo<As>& info);  // "caller" / "unprivileged"

// ---- small helpers shared by the suites ----------------------------------

// The uid/gid a run with these options has.
uid_t expected_uid(bool unprivileged);
gid_t expected_gid(bool unprivileged);

std::string read_file(const std::string& path);  // "" when unreadable
bool path_exists(const std::string& path);       // lstat
std::vector<std::string> split_lines(const std::string& text);
std::vector<std::string> split_words(const std::string& text);

// A shell prelude defining `t LABEL CMD [ARGS...]`, which runs CMD (its
// stdout discarded) and prints "LABEL:ok", or "LABEL:" and the text after the
// last ": " of the last line of its stderr (the strerror text, with LC_ALL=C).
extern const char* const kTryShell;
// The lines "LABEL:RESULT" of an output, as a map (other lines ignored).
std::map<std::string, std::string> tries(const std::string& out);

// Polls `cond` until it holds or `timeout` passes; true when it held.
bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds timeout,
                std::chrono::milliseconds step = std::chrono::milliseconds(20));

// A process on the host, identified by PID and start time (so that a reused
// PID is not mistaken for it).
struct HostProc {
  pid_t pid = 0;
  unsigned long long start_time = 0;
  std::string cmdline;  // argv joined with spaces
};
// Every process whose ancestry (PPid chain) reaches `root` (not `root` itself).
std::vector<HostProc> descendants(pid_t root);
// Every process whose command line contains `needle` (note: cordon's own
// command line contains the argv of the command it runs).
std::vector<HostProc> processes_matching(const std::string& needle);
// Every process whose command line (argv joined with spaces) starts with
// `prefix`: `processes_started_as("sleep 300.123")` finds the sleep, not the
// `cordon run -- sleep 300.123` or `sh -c "sleep 300.123 &"` that started it.
std::vector<HostProc> processes_started_as(const std::string& prefix);
bool alive(const HostProc& p);  // same PID, same start time, not a zombie
// A string unique to this test process and call, for marking processes
// ("300.<n>" works as a sleep duration).
std::string unique_sleep_seconds(int whole_seconds = 300);

// A fixture for suites parameterised over As: a workspace and a home owned by
// whoever the run is, and `run_in()` that starts `cordon run ... -- CMD` in
// the workspace with HOME set to the temp home.
class SandboxTest : public testing::TestWithParam<As> {
 protected:
  SandboxTest();
  bool unprivileged() const { return GetParam() == As::Unprivileged; }
  // Options for a run as this case's user: cwd = workspace, HOME = home.
  RunOptions opts() const;
  // cordon run <flags> -- <cmd...>
  RunResult run_in(const std::vector<std::string>& cmd, const std::vector<std::string>& flags = {});
  RunResult run_in(const std::vector<std::string>& cmd, const std::vector<std::string>& flags,
                   const RunOptions& o);
  // cordon run <flags> -- sh -c <script>
  RunResult sh(const std::string& script, const std::vector<std::string>& flags = {});

  TempDir ws;    // the workspace
  TempDir home;  // HOME
};

std::vector<std::string> run_args(const std::vector<std::string>& flags,
                                  const std::vector<std::string>& cmd);

}  // namespace cordon::test
