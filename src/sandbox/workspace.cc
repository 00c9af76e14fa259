#include "sandbox/workspace.h"

#include <sys/stat.h>

#include <climits>
#include <cstdlib>

namespace cordon::sandbox {

std::string unsafe_workspace_reason(const std::string& ws, const std::string& home) {
  if (ws == "/") return "it is the root directory";
  if (!home.empty() && ws == home) return "it is your home directory";
  if (!home.empty() && home.size() > ws.size() && home.compare(0, ws.size(), ws) == 0 &&
      home[ws.size()] == '/')
    return "it contains your home directory";
  static const char* const kSystem[] = {"/bin", "/boot", "/dev",  "/etc",   "/lib",  "/lib32",
                                        "/lib64", "/libx32", "/opt", "/proc", "/root", "/run",
                                        "/sbin", "/srv",  "/sys",  "/usr",   "/var",  "/home",
                                        "/usr/local", "/usr/bin", "/usr/lib", "/var/lib"};
  for (const char* s : kSystem)
    if (ws == s) return "it is a system directory";
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
  std::string why = unsafe_workspace_reason(ws, canonical_home);
  if (!why.empty() && !force)
    return plain_error("refusing " + ws + " as the workspace: " + why +
                       ", and the whole of it would be writable. cd into a project directory, "
                       "pass --workspace DIR, or --force-workspace if you really mean it");
  return ws;
}

}  // namespace cordon::sandbox
