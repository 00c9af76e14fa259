#include "sandbox/userns.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "base/unique_fd.h"

namespace cordon::sandbox {
namespace {

Status write_proc_file(pid_t pid, const char* name, const std::string& content) {
  std::string path = "/proc/" + std::to_string(pid) + "/" + name;
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return sys_error("open " + path);
  if (write(fd.get(), content.data(), content.size()) != static_cast<ssize_t>(content.size()))
    return sys_error("write " + path);
  return {};
}

}  // namespace

Status write_id_maps(pid_t child, uid_t uid, gid_t gid) {
  // Only our own ids exist inside: files of every other owner show up as
  // the overflow id (nobody), and no setuid trick can become anyone else.
  CORDON_TRY(write_proc_file(child, "setgroups", "deny"));
  CORDON_TRY(
      write_proc_file(child, "uid_map", std::to_string(uid) + " " + std::to_string(uid) + " 1\n"));
  CORDON_TRY(
      write_proc_file(child, "gid_map", std::to_string(gid) + " " + std::to_string(gid) + " 1\n"));
  return {};
}

}  // namespace cordon::sandbox
