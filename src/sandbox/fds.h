// File descriptors across the sandbox boundary: passing them over the setup
// socketpair, and closing everything a command must not inherit.
#pragma once

#include <cstdint>
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

// A listening TCP socket on 127.0.0.1:port of the calling process's network
// namespace (port 0: one the kernel picks, returned in *bound_port), for
// the egress proxy: made inside the sandbox in full mode, on the host's
// loopback in Landlock mode.
Result<UniqueFd> loopback_listener(uint16_t port, uint16_t* bound_port = nullptr);

// Closes every fd except those listed (which must be sorted ascending).
Status close_all_except(const std::vector<int>& keep);

// The open fds of this process, from /proc/self/fd.
std::vector<int> open_fds();

}  // namespace cordon::sandbox
