#include "guard/session.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>

namespace cordon::guard {

std::string session_dir(std::string_view home, std::string_view xdg_state_home) {
  if (xdg_state_home.starts_with("/")) return fmt::format("{}/cordon/sessions", xdg_state_home);
  return fmt::format("{}/.local/state/cordon/sessions", home);
}

Result<SessionFile> SessionFile::open(const std::string& dir, std::string_view session_id) {
  bool valid = !session_id.empty() && session_id.size() <= 128 &&
               std::all_of(session_id.begin(), session_id.end(), [](char c) {
                 return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '_';
               });
  if (!valid) {
    return plain_error(fmt::format(
        "session id \"{}\" is not usable as a file name (letters, digits, - and _ only)",
        std::string(session_id.substr(0, 64))));
  }
  for (size_t slash = dir.find('/', 1);; slash = dir.find('/', slash + 1)) {
    std::string part = slash == std::string::npos ? dir : dir.substr(0, slash);
    if (::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST) return sys_error("create " + part);
    if (slash == std::string::npos) break;
  }
  const std::string path = fmt::format("{}/{}.json", dir, session_id);
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) return sys_error("open session state " + path);
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return sys_error("lock session state " + path);
  }
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error("read session state " + path);
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  SessionState state;
  if (!text.empty()) {
    // A damaged file starts the session over, never fails the hook open.
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_discarded()) state = SessionState::from_json(j);
  }
  return SessionFile(std::move(fd), std::move(state));
}

Status SessionFile::save() {
  // Bytes that are not UTF-8 (a file name from realpath) are replaced, not
  // thrown on: the state must always be writable.
  const std::string text =
      state_.to_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (::ftruncate(fd_.get(), 0) != 0) return sys_error("truncate session state");
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n =
        ::pwrite(fd_.get(), text.data() + done, text.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return sys_error("write session state");
    done += static_cast<size_t>(n);
  }
  return ok_status();
}

}  // namespace cordon::guard
