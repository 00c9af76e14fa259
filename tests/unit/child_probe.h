// Runs a body in a forked child and brings back what it observed.
//
// Seccomp filters and Landlock domains cannot be undone, so tests apply them
// in a child. The child writes "label value" lines to a pipe (no gtest
// assertions there: they would be lost with the child) and the parent
// asserts on the values and on how the child ended.
#pragma once

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <functional>
#include <map>
#include <string>

namespace cordon::testing_support {

class ChildReport {
 public:
  explicit ChildReport(int fd) : fd_(fd) {}
  // Records a value (an errno, 0 for success, or any number).
  void put(const char* label, long value) const { dprintf(fd_, "%s %ld\n", label, value); }
  // Records the errno of a call that returned rc: 0 on success.
  void err(const char* label, long rc) const { put(label, rc < 0 ? errno : 0); }

 private:
  int fd_;
};

struct ChildOutcome {
  int status = -1;                     // waitpid status
  std::map<std::string, long> values;  // label -> value
  [[nodiscard]] bool exited_ok() const { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }
  [[nodiscard]] long at(const std::string& label) const {
    auto it = values.find(label);
    return it == values.end() ? -99999 : it->second;
  }
};

inline ChildOutcome run_in_child(const std::function<void(const ChildReport&)>& body) {
  ChildOutcome out;
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return out;
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    body(ChildReport(p[1]));
    _exit(0);
  }
  close(p[1]);
  std::string text;
  char buf[4096];
  for (;;) {
    ssize_t n = read(p[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  close(p[0]);
  while (waitpid(pid, &out.status, 0) < 0 && errno == EINTR) {
  }
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) break;
    std::string line = text.substr(pos, nl - pos);
    size_t sp = line.rfind(' ');
    if (sp != std::string::npos) out.values[line.substr(0, sp)] = std::stol(line.substr(sp + 1));
    pos = nl + 1;
  }
  return out;
}

}  // namespace cordon::testing_support
