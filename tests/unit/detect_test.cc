// Host detection: every reason and fix `cordon doctor` can give (pure
// explain_* functions fed what a host would show), the mode chosen from
// them, and the real probe on this host, including under a seccomp filter
// that refuses user namespaces the way Docker's default profile does.
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include "sandbox/detect.h"

namespace cordon::sandbox {
namespace {

using testing::HasSubstr;
using testing::Not;

UsernsFacts plain_host() {
  UsernsFacts f;
  f.max_user_namespaces = 63000;
  f.exe = "/opt/cordon/bin/cordon";
  return f;
}

// ---- user namespaces -----------------------------------------------------------------

TEST(ExplainUserns, WorkingNamespacesAreOk) {
  auto r = explain_userns("", 0, plain_host());
  EXPECT_TRUE(r.ok);
  EXPECT_THAT(r.summary, HasSubstr("available"));
  EXPECT_TRUE(r.fix.empty());
}

TEST(ExplainUserns, DebianSysctlOffForUnprivilegedUsers) {
  auto f = plain_host();
  f.unprivileged_userns_clone = 0;
  auto r = explain_userns(kUsernsSteps[0], EPERM, f);
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.reason, HasSubstr("kernel.unprivileged_userns_clone is 0"));
  EXPECT_THAT(r.fix, HasSubstr("sysctl -w kernel.unprivileged_userns_clone=1"));
}

TEST(ExplainUserns, MaxUserNamespacesZero) {
  auto f = plain_host();
  f.max_user_namespaces = 0;
  auto r = explain_userns(kUsernsSteps[0], ENOSPC, f);
  EXPECT_THAT(r.reason, HasSubstr("user.max_user_namespaces is 0"));
  EXPECT_THAT(r.fix, HasSubstr("sysctl -w user.max_user_namespaces="));
}

TEST(ExplainUserns, DockerDefaultSeccompProfile) {
  auto f = plain_host();
  f.seccomp_mode = 2;
  f.container = "docker";
  auto r = explain_userns(kUsernsSteps[0], EPERM, f);
  EXPECT_THAT(r.reason, HasSubstr("seccomp filter"));
  EXPECT_THAT(r.reason, HasSubstr("docker container"));
  EXPECT_THAT(r.fix, HasSubstr("--security-opt seccomp=unconfined"));
  EXPECT_THAT(r.fix, HasSubstr("--privileged"));
  EXPECT_THAT(r.fix, HasSubstr("landlock mode"));
}

TEST(ExplainUserns, UbuntuAppArmorRestrictionGetsAProfileForThisBinary) {
  // Ubuntu 23.10+: unshare works, the namespace has no capabilities, so
  // the first map write fails.
  auto f = plain_host();
  f.apparmor_restrict = 1;
  auto r = explain_userns(kUsernsSteps[2], EPERM, f);
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.reason, HasSubstr("kernel.apparmor_restrict_unprivileged_userns is 1"));
  EXPECT_THAT(r.fix, HasSubstr("profile cordon /opt/cordon/bin/cordon"));
  EXPECT_THAT(r.fix, HasSubstr("userns,"));
  EXPECT_THAT(r.fix, HasSubstr("apparmor_parser -r /etc/apparmor.d/cordon"));
  EXPECT_THAT(r.fix, HasSubstr("kernel.apparmor_restrict_unprivileged_userns=0"));
}

TEST(ExplainUserns, SysctlOffDoesNotApplyToRoot) {
  auto f = plain_host();
  f.unprivileged_userns_clone = 0;
  f.root = true;
  auto r = explain_userns(kUsernsSteps[0], EPERM, f);
  EXPECT_THAT(r.reason, Not(HasSubstr("unprivileged_userns_clone")));
}

TEST(ExplainUserns, KernelWithoutUserNamespaces) {
  auto r = explain_userns(kUsernsSteps[0], EINVAL, plain_host());
  EXPECT_THAT(r.reason, HasSubstr("CONFIG_USER_NS"));
}

TEST(ExplainUserns, EveryFailureHasAReasonAndAFix) {
  for (const char* step : kUsernsSteps) {
    for (int err : {EPERM, EACCES, ENOSPC, EINVAL, EUSERS, ENOMEM}) {
      for (int seccomp : {0, 2}) {
        auto f = plain_host();
        f.seccomp_mode = seccomp;
        auto r = explain_userns(step, err, f);
        EXPECT_FALSE(r.ok);
        EXPECT_FALSE(r.reason.empty()) << step << " " << err;
        EXPECT_FALSE(r.fix.empty()) << step << " " << err;
        EXPECT_THAT(r.summary, HasSubstr(step));
      }
    }
  }
}

// ---- Landlock -------------------------------------------------------------------------

TEST(ExplainLandlock, NotInLsmListSaysHowToBootWithIt) {
  auto r = explain_landlock(0, EOPNOTSUPP, "lockdown,capability,yama,apparmor", "");
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.reason, HasSubstr("not in the lsm= list (now: lockdown,capability,yama,apparmor)"));
  EXPECT_THAT(r.fix, HasSubstr("lsm=landlock,lockdown,capability,yama,apparmor"));
}

TEST(ExplainLandlock, KernelWithoutLandlock) {
  auto r = explain_landlock(0, ENOSYS, "", "");
  EXPECT_THAT(r.reason, HasSubstr("older than 5.13"));
  EXPECT_THAT(r.fix, HasSubstr("5.13"));
}

TEST(ExplainLandlock, OldAbiIsUsableButSaysWhatItLacks) {
  auto r = explain_landlock(3, 0, "", "");
  EXPECT_TRUE(r.ok);
  EXPECT_THAT(r.summary, HasSubstr("ABI 3"));
  EXPECT_THAT(r.summary, HasSubstr("TCP connect/bind needs ABI 4"));
  r = explain_landlock(5, 0, "", "");
  EXPECT_THAT(r.summary, HasSubstr("scoping (ABI 6"));
  r = explain_landlock(6, 0, "", "");
  EXPECT_EQ(r.summary, "ABI 6");
}

TEST(ExplainLandlock, AbiTableIsContiguousFromOne) {
  const auto& t = landlock_abi_features();
  ASSERT_FALSE(t.empty());
  for (size_t i = 0; i < t.size(); ++i) EXPECT_EQ(t[i].abi, static_cast<int>(i) + 1);
}

// ---- seccomp, cgroups, nftables -----------------------------------------------------------

TEST(ExplainSeccomp, FiltersAreWhatMatters) {
  EXPECT_TRUE(explain_seccomp(true, 0, false, 0).ok);
  EXPECT_THAT(explain_seccomp(true, 0, false, 0).summary,
              HasSubstr("user notification unavailable"));
  EXPECT_THAT(explain_seccomp(true, 0, true, 2).summary, HasSubstr("already filtered"));
  auto r = explain_seccomp(false, EINVAL, false, 0);
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.reason, HasSubstr("CONFIG_SECCOMP_FILTER"));
}

TEST(ExplainCgroups, DelegatedV2OrRootV1OrTheFix) {
  CgroupHost h;
  h.fs_root = "/sys/fs/cgroup";
  h.v2.mounted = true;
  h.v2.root = "/sys/fs/cgroup";
  h.v2.path = "/user.slice/run.scope";
  h.v2.dir = h.v2.root + h.v2.path;
  h.v2.controllers = {"cpu", "memory", "pids"};
  h.v2.writable = true;
  auto r = explain_cgroups(h, 1);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.version, CgroupVersion::V2);

  h.v2.controllers = {"hugetlb"};
  h.v1 = {{"memory", "/sys/fs/cgroup/memory", true},
          {"pids", "/sys/fs/cgroup/pids", true},
          {"cpu", "/sys/fs/cgroup/cpu", true}};
  r = explain_cgroups(h, 1);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.version, CgroupVersion::V1);

  for (auto& c : h.v1) c.writable = false;
  r = explain_cgroups(h, 1);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.version, CgroupVersion::None);
  EXPECT_THAT(r.reason, HasSubstr("does not offer the memory, pids, cpu controller(s)"));
  EXPECT_THAT(r.fix, HasSubstr("Delegate=yes"));
}

TEST(ExplainNftables, EachMissingPiece) {
  EXPECT_TRUE(explain_nftables("/usr/sbin/nft", true, true, "", 0, "").ok);
  auto r = explain_nftables("", true, false, "", 0, "");
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.fix, HasSubstr("install nftables"));
  r = explain_nftables("/usr/sbin/nft", true, false, "", 0,
                       "Error: Could not process rule: Operation not permitted\nadd table\n^^^\n");
  EXPECT_EQ(r.reason, "nft: Error: Could not process rule: Operation not permitted");
  r = explain_nftables("/usr/sbin/nft", false, false, "unshare(CLONE_NEWUSER)", EPERM, "");
  EXPECT_THAT(r.reason, HasSubstr("unshare(CLONE_NEWUSER) failed"));
}

// ---- mode --------------------------------------------------------------------------------

TEST(ModeFor, FullNeedsAllThreeLandlockModeNeedsNoNamespaces) {
  HostReport r;
  r.userns.ok = true;
  r.landlock.abi = 6;
  r.seccomp.filters = true;
  EXPECT_EQ(mode_for(r), "full");
  r.userns.ok = false;  // Docker's default profile, Ubuntu's AppArmor restriction
  EXPECT_EQ(mode_for(r), "landlock");
  r.landlock.abi = 0;
  EXPECT_EQ(mode_for(r), "none");
  r.userns.ok = true;  // namespaces without Landlock: not "full" (DESIGN.md)
  EXPECT_EQ(mode_for(r), "none");
  r.landlock.abi = 1;
  r.seccomp.filters = false;
  EXPECT_EQ(mode_for(r), "none");
  EXPECT_THAT(mode_description("none"), HasSubstr("refuses"));
}

TEST(DetectOptions, AssumeNoUsernsComesFromTheEnvironment) {
  ::setenv("CORDON_ASSUME_NO_USERNS", "1", 1);
  EXPECT_TRUE(detect_options_from_env().assume_no_userns);
  ::setenv("CORDON_ASSUME_NO_USERNS", "0", 1);
  EXPECT_FALSE(detect_options_from_env().assume_no_userns);
  ::unsetenv("CORDON_ASSUME_NO_USERNS");
  EXPECT_FALSE(detect_options_from_env().assume_no_userns);
}

TEST(FindProgram, SearchesPathThenSbin) {
  EXPECT_THAT(find_program("sh"), testing::EndsWith("/sh"));
  EXPECT_EQ(find_program("cordon-no-such-program"), "");
}

// ---- this host ---------------------------------------------------------------------------------

DetectOptions quick() {
  DetectOptions o;
  o.probe_cgroups = false;
  o.probe_nftables = false;
  return o;
}

TEST(DetectHost, ThisHostOffersFullMode) {
  // The project's own machines have every feature (DESIGN.md): nothing here
  // may be missing. Elsewhere this prints what is.
  auto r = detect_host(quick());
  EXPECT_TRUE(r.userns.ok) << r.userns.summary << "\n" << r.userns.reason;
  EXPECT_GE(r.landlock.abi, 1) << r.landlock.reason;
  EXPECT_TRUE(r.seccomp.filters) << r.seccomp.reason;
  EXPECT_EQ(mode_for(r), "full");
  EXPECT_FALSE(r.kernel.empty());
}

TEST(DetectHost, AssumedOffUsernsGivesLandlockMode) {
  auto o = quick();
  o.assume_no_userns = true;
  auto r = detect_host(o);
  EXPECT_FALSE(r.userns.ok);
  EXPECT_TRUE(r.userns.assumed_off);
  if (r.landlock.abi >= 1 && r.seccomp.filters) {
    EXPECT_EQ(mode_for(r), "landlock");
  }
}

// What the probe reports from inside a child under a filter refusing
// `syscall` with EPERM, the way a container's seccomp profile does.
std::string probe_under_filter(int syscall_nr) {
  int fds[2];
  if (pipe(fds) != 0) return "pipe failed";
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    std::string out;
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (ctx == nullptr || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), syscall_nr, 0) != 0 ||
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || seccomp_load(ctx) != 0) {
      out = "filter not loaded";
    } else {
      auto r = detect_host(quick());
      out = r.userns.failed_step + "|" + std::to_string(r.userns.err) + "|" + r.userns.reason +
            "|" + r.userns.fix;
    }
    (void)!write(fds[1], out.data(), out.size());
    _exit(0);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  waitpid(pid, nullptr, 0);
  return out;
}

TEST(DetectHost, SeccompFilterRefusingUnshareIsExplained) {
  std::string out = probe_under_filter(SCMP_SYS(unshare));
  EXPECT_THAT(out, testing::StartsWith("unshare(CLONE_NEWUSER)|" + std::to_string(EPERM) + "|"));
  EXPECT_THAT(out, HasSubstr("a seccomp filter on this process refuses unshare(CLONE_NEWUSER)"));
  EXPECT_THAT(out, HasSubstr("seccomp=unconfined"));
}

TEST(DetectHost, SeccompFilterRefusingMountIsExplained) {
  std::string out = probe_under_filter(SCMP_SYS(mount));
  EXPECT_THAT(out, testing::StartsWith("mount|" + std::to_string(EPERM) + "|"));
  EXPECT_THAT(out, HasSubstr("a seccomp filter on this process refuses mount"));
}

}  // namespace
}  // namespace cordon::sandbox
