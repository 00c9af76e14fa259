#include "sandbox/workspace.h"

#include <sys/stat.h>

#include <climits>
#include <cstdlib>

namespace cordon::sandbox {

bool is_under(const std::string& path, const std::string& root) {
  if (root == "/") return true;
  return path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
         path[root.size()] == '/';
}

bool is_at_or_under(const std::string& path, const std::string& root) {
  return path == root || is_under(path, root);
}

std::string unsafe_workspace_reason(const std::string& ws, const std::string& home) {
  if (ws == "/") return "it is the root directory";
  if (!home.empty() && ws == home) return "it is your home directory";
  if (!home.empty() && is_under(home, ws)) return "it contains your home directory";
  // Directories no project lives in: refused with everything below them.
  static const char* const kSystemTrees[] = {
      "/bin",         "/boot",      "/dev",       "/etc",       "/lib",        "/lib32",
      "/lib64",       "/libx32",    "/proc",      "/sbin",      "/sys",        "/usr/bin",
      "/usr/sbin",    "/usr/lib",   "/usr/lib32", "/usr/lib64", "/usr/libx32", "/usr/libexec",
      "/usr/include", "/usr/share", "/var/lib",   "/var/log",   "/var/cache",  "/var/spool",
      "/var/mail",    "/run"};
  for (const char* s : kSystemTrees)
    if (is_at_or_under(ws, s)) return "it is a system directory";
  // Shared roots: fine to have projects below them, never to be one.
  static const char* const kSharedRoots[] = {"/usr",  "/var", "/opt",     "/home",
                                             "/srv",  "/tmp", "/var/tmp", "/usr/local",
                                             "/root", "/mnt", "/media"};
  for (const char* s : kSharedRoots)
    if (ws == s) return "it is a shared system directory";
  return {};
}

Result<std::string> choose_workspace(const std::string& requested, const std::string& cwd,
                                     const std::string& home, bool force) {
  const std::string& raw = requested.empty() ? cwd : requested;
  char buf[PATH_MAX];
  if (realpath(raw.c_str(), buf) == nullptr) return sys_error("workspace " + raw);
  std::string ws = buf;
  struct stat st {};
  if (stat(ws.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return plain_error("workspace " + ws + " is not a directory");
  std::string canonical_home;
  if (!home.empty() && realpath(home.c_str(), buf) != nullptr) canonical_home = buf;
  // The sandbox has its own /dev, /proc and /sys: a workspace below them
  // would be covered there, forced or not.
  for (const char* own : {"/dev", "/proc", "/sys"}) {
    if (is_at_or_under(ws, own))
      return plain_error("refusing " + ws + " as the workspace: the sandbox has its own " + own +
                         " (a private /dev/shm, a fresh /proc), which would cover it. Use a "
                         "directory elsewhere");
  }
  std::string why = unsafe_workspace_reason(ws, canonical_home);
  if (!why.empty() && !force)
    return plain_error("refusing " + ws + " as the workspace: " + why +
                       ", and the whole of it would be writable. cd into a project directory, "
                       "pass --workspace DIR, or --force-workspace if you really mean it");
  return ws;
}

}  // namespace cordon::sandbox
