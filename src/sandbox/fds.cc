#include "sandbox/fds.h"

#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <climits>
#include <cstring>

namespace cordon::sandbox {

Result<UniqueFd> loopback_listener(uint16_t port, uint16_t* bound_port) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return sys_error("socket for the egress listener");
  struct sockaddr_in addr {};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0)
    return sys_error("bind the egress listener to 127.0.0.1:" + std::to_string(port));
  if (listen(fd.get(), SOMAXCONN) != 0) return sys_error("listen on the egress listener");
  if (bound_port != nullptr) {
    if (getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      return sys_error("read the egress listener's port");
    *bound_port = ntohs(addr.sin_port);
  }
  return fd;
}

Status send_message(int sock, const std::string& data, int fd) {
  struct iovec iov {};
  iov.iov_base = const_cast<char*>(data.data());
  iov.iov_len = data.size();
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  if (fd >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  }
  ssize_t n;
  do {
    n = sendmsg(sock, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return sys_error("send on the setup socket");
  return {};
}

Result<Message> receive_message(int sock) {
  // Big enough for the seccomp program (a few KiB); SEQPACKET would cut a
  // longer message silently, so MSG_TRUNC is checked below.
  static thread_local char buf[65536];
  struct iovec iov {};
  iov.iov_base = buf;
  iov.iov_len = sizeof buf;
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return sys_error("receive on the setup socket");
  if (msg.msg_flags & MSG_TRUNC) return plain_error("setup message too long");
  Message m;
  m.data.assign(buf, static_cast<size_t>(n));
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c), sizeof(int));
      m.fd.reset(fd);
    }
  }
  return m;
}

Status close_all_except(const std::vector<int>& keep) {
  // close_range over the gaps: no allocation, no /proc needed, and nothing
  // the caller leaked (runc CVE-2024-21626) survives into the sandbox.
  unsigned next = 0;
  for (int k : keep) {
    if (static_cast<unsigned>(k) > next && close_range(next, static_cast<unsigned>(k) - 1, 0) != 0)
      return sys_error("close inherited file descriptors");
    next = static_cast<unsigned>(k) + 1;
  }
  if (close_range(next, UINT_MAX, 0) != 0) return sys_error("close inherited file descriptors");
  return {};
}

std::vector<int> open_fds() {
  std::vector<int> fds;
  DIR* d = opendir("/proc/self/fd");
  if (d == nullptr) return fds;
  int self = dirfd(d);
  while (struct dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    int fd = atoi(e->d_name);
    if (fd != self) fds.push_back(fd);
  }
  closedir(d);
  return fds;
}

}  // namespace cordon::sandbox
