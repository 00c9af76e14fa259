// The plan as the supervisor sends it to the child it cloned before there
// was a plan (spec.h encode_for_child): every field the child uses survives
// the trip exactly, and a damaged encoding is refused whole.
#include <gtest/gtest.h>

#include <cstring>

#include "sandbox/spec.h"

namespace cordon::sandbox {
namespace {

Spec sample() {
  Spec s;
  s.argv = {"sh", "-c", "echo 'a b'"};
  s.envp = {"PATH=/usr/bin:/bin", "EMPTY=", std::string("NUL=a\0b", 7)};
  s.workspace = "/home/u/proj";
  s.cwd = "/home/u/proj/src";
  s.mounts = {{MountKind::ReadOnly, "/usr"},
              {MountKind::ReadWrite, "/home/u/proj"},
              {MountKind::Protected, "/home/u/proj/.git/hooks"},
              {MountKind::Pin, "/home/u/proj/.git"},
              {MountKind::HideDir, "/home/u/.ssh"},
              {MountKind::HideFile, "/home/u/.netrc"},
              {MountKind::Tmpfs, "/tmp"}};
  s.symlinks = {{"/bin", "usr/bin"}, {"/lib64", "usr/lib64"}};
  s.tmpfs_bytes = 64ULL << 20;
  s.rlimits.core = 0;
  s.rlimits.file_size = 1ULL << 40;
  s.rlimits.open_files = std::nullopt;
  s.rlimits.processes = 512;
  s.rlimits.cpu_seconds = std::nullopt;
  s.landlock = true;
  s.landlock_rules.read_paths = {"/usr", "/proc"};
  s.landlock_rules.write_paths = {"/home/u/proj", "/tmp"};
  s.landlock_rules.device_paths = {"/dev/null", "/dev/pts"};
  s.landlock_rules.restrict_tcp = true;
  s.landlock_rules.tcp_connect_ports = {3128, 1080};
  s.landlock_rules.tcp_bind_ports = {};
  s.landlock_rules.scope_abstract_unix = true;
  s.landlock_rules.scope_signals = false;
  s.landlock_rules.log_denials_after_exec = true;
  s.landlock_rules.min_abi = 6;
  s.egress = true;
  // What only the supervisor uses, and must not be needed on the other side.
  s.placeholders = {{"/home/u/proj/.claude", true, true}};
  s.timeout_seconds = 30;
  return s;
}

TEST(SpecForChild, EveryFieldTheChildUsesSurvivesTheTrip) {
  const Spec in = sample();
  auto out = decode_for_child(encode_for_child(in));
  ASSERT_TRUE(out.ok()) << out.error().what();
  const Spec& s = out.value();
  EXPECT_EQ(s.mode, Mode::Full);
  EXPECT_EQ(s.argv, in.argv);
  EXPECT_EQ(s.envp, in.envp);
  EXPECT_EQ(s.workspace, in.workspace);
  EXPECT_EQ(s.cwd, in.cwd);
  ASSERT_EQ(s.mounts.size(), in.mounts.size());
  for (size_t i = 0; i < in.mounts.size(); ++i) {
    EXPECT_EQ(s.mounts[i].kind, in.mounts[i].kind) << i;
    EXPECT_EQ(s.mounts[i].path, in.mounts[i].path) << i;
  }
  ASSERT_EQ(s.symlinks.size(), in.symlinks.size());
  for (size_t i = 0; i < in.symlinks.size(); ++i) {
    EXPECT_EQ(s.symlinks[i].path, in.symlinks[i].path);
    EXPECT_EQ(s.symlinks[i].target, in.symlinks[i].target);
  }
  EXPECT_EQ(s.tmpfs_bytes, in.tmpfs_bytes);
  EXPECT_EQ(s.rlimits.core, in.rlimits.core);
  EXPECT_EQ(s.rlimits.file_size, in.rlimits.file_size);
  EXPECT_EQ(s.rlimits.open_files, in.rlimits.open_files);
  EXPECT_EQ(s.rlimits.processes, in.rlimits.processes);
  EXPECT_EQ(s.rlimits.cpu_seconds, in.rlimits.cpu_seconds);
  EXPECT_EQ(s.landlock, in.landlock);
  const auto &a = s.landlock_rules, &b = in.landlock_rules;
  EXPECT_EQ(a.read_paths, b.read_paths);
  EXPECT_EQ(a.write_paths, b.write_paths);
  EXPECT_EQ(a.device_paths, b.device_paths);
  EXPECT_EQ(a.restrict_tcp, b.restrict_tcp);
  EXPECT_EQ(a.tcp_connect_ports, b.tcp_connect_ports);
  EXPECT_EQ(a.tcp_bind_ports, b.tcp_bind_ports);
  EXPECT_EQ(a.scope_abstract_unix, b.scope_abstract_unix);
  EXPECT_EQ(a.scope_signals, b.scope_signals);
  EXPECT_EQ(a.log_denials_after_exec, b.log_denials_after_exec);
  EXPECT_EQ(a.min_abi, b.min_abi);
  EXPECT_EQ(s.egress, in.egress);
  EXPECT_TRUE(s.placeholders.empty()) << "the supervisor's own state is not sent";
}

TEST(SpecForChild, TheOppositeFlagsSurviveToo) {
  // Every flag of sample() flipped, every limit unset: a field that the
  // encoding dropped would come back as its default and fail one of the two.
  Spec in = sample();
  in.landlock = false;
  in.egress = false;
  in.rlimits = RlimitSettings{};
  in.rlimits.core = std::nullopt;
  in.landlock_rules.restrict_tcp = false;
  in.landlock_rules.scope_abstract_unix = false;
  in.landlock_rules.scope_signals = true;
  in.landlock_rules.log_denials_after_exec = false;
  auto out = decode_for_child(encode_for_child(in));
  ASSERT_TRUE(out.ok()) << out.error().what();
  EXPECT_FALSE(out->landlock);
  EXPECT_FALSE(out->egress);
  EXPECT_FALSE(out->rlimits.core.has_value());
  EXPECT_FALSE(out->landlock_rules.restrict_tcp);
  EXPECT_FALSE(out->landlock_rules.scope_abstract_unix);
  EXPECT_TRUE(out->landlock_rules.scope_signals);
  EXPECT_FALSE(out->landlock_rules.log_denials_after_exec);
}

TEST(SpecForChild, EveryTruncationIsRefused) {
  const std::string bytes = encode_for_child(sample());
  for (size_t n = 0; n < bytes.size(); ++n)
    EXPECT_FALSE(decode_for_child(std::string_view(bytes).substr(0, n)).ok()) << n;
  EXPECT_FALSE(decode_for_child(bytes + "x").ok()) << "trailing bytes";
}

TEST(SpecForChild, HugeCountsAreRefusedWithoutAllocating) {
  std::string bytes = encode_for_child(sample());
  // The argv count, right after the 4-byte layout version.
  const uint32_t huge = 0xfffffff0U;
  std::memcpy(bytes.data() + 4, &huge, sizeof huge);
  EXPECT_FALSE(decode_for_child(bytes).ok());
}

TEST(SpecForChild, AnUnknownMountKindIsRefused) {
  Spec in;
  in.mounts = {{MountKind::Tmpfs, "/tmp"}};
  std::string bytes = encode_for_child(in);
  const auto at = bytes.find(std::string("\x06\x04\x00\x00\x00/tmp", 9));
  ASSERT_NE(at, std::string::npos);
  bytes[at] = 0x07;
  EXPECT_FALSE(decode_for_child(bytes).ok());
}

}  // namespace
}  // namespace cordon::sandbox
