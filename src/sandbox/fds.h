// File descriptors across the sandbox boundary: passing them over the setup
// socketpair, and closing everything a command must not inherit.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace cordon::sandbox {

// One SOCK_SEQPACKET message with an optional fd attached (SCM_RIGHTS).
Status send_message(int sock, const std::string& data, int fd = -1);
struct Message {
  std::string data;  // empty with ok() means the peer closed the socket
  UniqueFd fd;
};
Result<Message> receive_message(int sock);

// Closes every fd except those listed (which must be sorted ascending).
Status close_all_except(const std::vector<int>& keep);

// The open fds of this process, from /proc/self/fd.
std::vector<int> open_fds();

}  // namespace cordon::sandbox
