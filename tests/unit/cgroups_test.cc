// cgroups against a fake cgroupfs in a temporary directory: where cordon
// creates its cgroups (only under its own), which files it writes, the
// no-internal-processes leaf, and that everything it made is gone after.
// The real kernel is exercised by tests/integration/resources_test.cc.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "sandbox/cgroups.h"

namespace cordon::sandbox {
namespace {

namespace fs = std::filesystem;
using testing::HasSubstr;
using testing::MatchesRegex;

constexpr uint64_t kMiB = 1 << 20;

class FakeCgroupFs : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/cordon-cgroups-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { fs::remove_all(root_); }

  std::string path(const std::string& rel) const { return rel.empty() ? root_ : root_ + "/" + rel; }
  void write(const std::string& rel, const std::string& content) {
    fs::create_directories(fs::path(path(rel)).parent_path());
    std::ofstream(path(rel)) << content;
  }
  std::string read(const std::string& rel) const {
    std::ifstream in(path(rel));
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  bool exists(const std::string& rel) const { return fs::exists(fs::symlink_status(path(rel))); }
  // The cordon-* directories directly under `rel`.
  std::vector<std::string> cordon_dirs(const std::string& rel) const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(path(rel))) {
      if (e.is_directory() && e.path().filename().string().starts_with("cordon-"))
        out.push_back(e.path().filename().string());
    }
    return out;
  }

  // A v2 cgroup directory as the kernel shows it. The root cgroup has no
  // cgroup.type; every other one does.
  void v2_cgroup(const std::string& rel, const std::string& controllers,
                 const std::string& subtree_control = "", const std::string& procs = "",
                 bool is_root = false) {
    fs::create_directories(path(rel));
    write(rel + "/cgroup.controllers", controllers + "\n");
    write(rel + "/cgroup.subtree_control", subtree_control.empty() ? "" : subtree_control + "\n");
    write(rel + "/cgroup.procs", procs);
    if (!is_root) write(rel + "/cgroup.type", "domain\n");
  }
  // A pure v2 host with our process in `self_path`.
  CgroupOptions v2_options(const std::string& self_path) const {
    CgroupOptions o;
    o.fs_root = root_;
    o.self_cgroup = "0::" + self_path + "\n";
    return o;
  }
  static std::string self_pid() { return std::to_string(getpid()); }
  static ResourceLimits all_limits() {
    ResourceLimits l;
    l.memory_bytes = 64 * kMiB;
    l.pids = 20;
    l.cpus = 0.5;
    return l;
  }

  std::string root_;
};

// ---- /proc/self/cgroup -----------------------------------------------------------

TEST(SelfCgroup, PureV2HostHasOnlyTheUnifiedLine) {
  auto s = parse_self_cgroup("0::/user.slice/user-1000.slice/session-2.scope\n");
  ASSERT_TRUE(s.ok()) << s.error().what();
  EXPECT_EQ(s->v2_path, "/user.slice/user-1000.slice/session-2.scope");
  EXPECT_TRUE(s->v1.empty());
}

TEST(SelfCgroup, HybridHostListsEachV1ControllerAndSkipsNamedHierarchies) {
  auto s = parse_self_cgroup(
      "9:name=systemd:/\n8:pids:/\n4:memory:/process_api/a3d6\n1:cpu,cpuacct:/x\n0::/\n");
  ASSERT_TRUE(s.ok()) << s.error().what();
  EXPECT_EQ(s->v2_path, "/");
  ASSERT_EQ(s->v1.size(), 4u);
  EXPECT_EQ(s->v1[0].controller, "pids");
  EXPECT_EQ(s->v1[1].controller, "memory");
  EXPECT_EQ(s->v1[1].path, "/process_api/a3d6");
  // Co-mounted: one entry per controller, the hierarchy kept as written.
  EXPECT_EQ(s->v1[2].controller, "cpu");
  EXPECT_EQ(s->v1[3].controller, "cpuacct");
  EXPECT_EQ(s->v1[3].hierarchy, "cpu,cpuacct");
  EXPECT_EQ(s->v1[3].path, "/x");
}

TEST(SelfCgroup, PathMayContainColons) {
  auto s = parse_self_cgroup("0::/system.slice/a:b.scope\n");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->v2_path, "/system.slice/a:b.scope");
}

TEST(SelfCgroup, CgroupOutsideOurNamespaceIsRefused) {
  // What a process sees for a cgroup above its cgroup namespace's root:
  // nothing "under" it is visible to us, so nothing may be created there.
  EXPECT_FALSE(parse_self_cgroup("0::/../../user.slice\n").ok());
  EXPECT_FALSE(parse_self_cgroup("0::/..\n").ok());
  EXPECT_FALSE(parse_self_cgroup("garbage\n").ok());
}

// ---- reading the host -------------------------------------------------------------

TEST_F(FakeCgroupFs, FindsV2AtTheRootOrUnderUnified) {
  v2_cgroup("", "cpu memory pids", "", "", true);
  auto host = read_cgroup_host(v2_options("/"));
  EXPECT_TRUE(host.v2.mounted);
  EXPECT_EQ(host.v2.root, root_);
  EXPECT_TRUE(host.v2.is_root);
  EXPECT_THAT(host.v2.controllers, testing::ElementsAre("cpu", "memory", "pids"));

  fs::remove_all(root_);
  v2_cgroup("unified", "hugetlb", "", "", true);
  host = read_cgroup_host(v2_options("/"));
  EXPECT_TRUE(host.v2.mounted);
  EXPECT_EQ(host.v2.root, root_ + "/unified");
  EXPECT_THAT(host.v2.controllers, testing::ElementsAre("hugetlb"));
}

TEST_F(FakeCgroupFs, OurOwnSupervisorLeafIsSeenThroughToItsParent) {
  v2_cgroup("", "cpu memory pids", "", "", true);
  v2_cgroup("app.scope", "cpu memory pids", "memory", "");
  v2_cgroup("app.scope/cordon-" + self_pid() + "-supervisor", "memory", "", self_pid());
  auto host = read_cgroup_host(v2_options("/app.scope/cordon-" + self_pid() + "-supervisor"));
  EXPECT_EQ(host.v2.path, "/app.scope");
  EXPECT_EQ(host.v2.dir, root_ + "/app.scope");
}

// ---- v2 ------------------------------------------------------------------------------

TEST_F(FakeCgroupFs, V2CgroupIsCreatedUnderOurOwnCgroupWithEveryLimit) {
  v2_cgroup("", "cpu memory pids io", "cpu memory pids io", "", true);
  v2_cgroup("user.slice", "cpu memory pids io", "cpu memory pids io");
  // An inner node of a delegated subtree: no process of its own.
  v2_cgroup("user.slice/agent", "cpu memory pids io", "", "");
  std::string ours = "user.slice/agent";
  std::string made;
  {
    auto cg = Cgroup::create(all_limits(), v2_options("/" + ours));
    ASSERT_TRUE(cg.ok()) << cg.error().what();
    EXPECT_EQ(cg->version(), CgroupVersion::V2);
    ASSERT_EQ(cg->paths().size(), 1u);
    made = cg->paths()[0];
    EXPECT_THAT(made, MatchesRegex(path(ours) + "/cordon-" + self_pid() + "-[0-9]+"));
    std::string rel = made.substr(root_.size() + 1);
    EXPECT_EQ(read(rel + "/memory.max"), "67108864");
    EXPECT_EQ(read(rel + "/pids.max"), "20");
    EXPECT_EQ(read(rel + "/cpu.max"), "50000 100000");
    // The controllers were enabled for our children, in one write.
    EXPECT_EQ(read(ours + "/cgroup.subtree_control"), "+memory +pids +cpu");
    // No leaf was needed: nothing lives in our cgroup itself.
    EXPECT_THAT(cordon_dirs(ours), testing::SizeIs(1));
    EXPECT_GE(cg->dir_fd_v2(), 0);
    // Nothing anywhere else in the tree.
    EXPECT_TRUE(cordon_dirs("").empty());
    EXPECT_TRUE(cordon_dirs("user.slice").empty());
  }
  EXPECT_FALSE(fs::exists(made)) << "the run's cgroup outlived its Cgroup";
}

TEST_F(FakeCgroupFs, V2ControllersAlreadyEnabledAreLeftAlone) {
  v2_cgroup("", "memory pids", "", "", true);
  v2_cgroup("a", "memory pids", "memory pids", "");
  ResourceLimits l;
  l.pids = 5;
  auto cg = Cgroup::create(l, v2_options("/a"));
  ASSERT_TRUE(cg.ok()) << cg.error().what();
  EXPECT_EQ(read("a/cgroup.subtree_control"), "memory pids\n");
}

TEST_F(FakeCgroupFs, V2OnlyTheNeededControllersAreEnabled) {
  v2_cgroup("", "cpu memory pids", "", "", true);
  v2_cgroup("a", "cpu memory pids", "", "");
  ResourceLimits l;
  l.memory_bytes = 32 * kMiB;
  auto cg = Cgroup::create(l, v2_options("/a"));
  ASSERT_TRUE(cg.ok()) << cg.error().what();
  EXPECT_EQ(read("a/cgroup.subtree_control"), "+memory");
  std::string rel = cg->paths()[0].substr(root_.size() + 1);
  EXPECT_FALSE(exists(rel + "/pids.max"));
  EXPECT_FALSE(exists(rel + "/cpu.max"));
}

TEST_F(FakeCgroupFs, V2AloneInOurCgroupWeMoveIntoALeafToEnableControllers) {
  // `systemd-run --user --scope -p Delegate=yes cordon ...`: the scope holds
  // cordon alone, and no controller is enabled below it yet.
  v2_cgroup("", "cpu memory pids", "", "", true);
  v2_cgroup("run.scope", "cpu memory pids", "", self_pid() + "\n");
  const std::string leaf = "run.scope/cordon-" + self_pid() + "-supervisor";
  {
    auto cg = Cgroup::create(all_limits(), v2_options("/run.scope"));
    ASSERT_TRUE(cg.ok()) << cg.error().what();
    ASSERT_TRUE(exists(leaf));
    EXPECT_EQ(read(leaf + "/cgroup.procs"), self_pid());
    EXPECT_EQ(read("run.scope/cgroup.subtree_control"), "+memory +pids +cpu");
    // The run's cgroup is a sibling of the leaf, under our cgroup.
    EXPECT_THAT(cg->paths()[0],
                MatchesRegex(path("run.scope") + "/cordon-" + self_pid() + "-[0-9]+"));
    EXPECT_THAT(cordon_dirs("run.scope"), testing::SizeIs(2));
  }
  // Undone in reverse: controllers off, back where we were, leaf removed.
  EXPECT_FALSE(exists(leaf));
  EXPECT_TRUE(cordon_dirs("run.scope").empty());
  EXPECT_EQ(read("run.scope/cgroup.procs"), self_pid());
  EXPECT_EQ(read("run.scope/cgroup.subtree_control"), "-memory -pids -cpu");
}

TEST_F(FakeCgroupFs, V2TheLeafIsSharedByConcurrentRunsAndGoesWithTheLast) {
  v2_cgroup("", "memory pids", "", "", true);
  v2_cgroup("s", "memory pids", "", self_pid() + "\n");
  const std::string leaf = "s/cordon-" + self_pid() + "-supervisor";
  ResourceLimits l;
  l.pids = 10;
  auto first = Cgroup::create(l, v2_options("/s"));
  ASSERT_TRUE(first.ok()) << first.error().what();
  ASSERT_TRUE(exists(leaf));
  // What the kernel would show now: we live in the leaf, our old cgroup is
  // empty, and pids is enabled below it.
  write("s/cgroup.procs", "");
  write("s/cgroup.subtree_control", "pids\n");
  const auto in_leaf = v2_options("/" + leaf);
  {
    auto second = Cgroup::create(l, in_leaf);
    ASSERT_TRUE(second.ok()) << second.error().what();
    EXPECT_NE(first->paths()[0], second->paths()[0]);
    EXPECT_EQ(fs::path(second->paths()[0]).parent_path(), path("s")) << "nested in the leaf";
    EXPECT_THAT(cordon_dirs("s"), testing::SizeIs(3));
    EXPECT_EQ(read("s/cgroup.subtree_control"), "pids\n") << "nothing to enable";
    (void)first->remove();
    EXPECT_TRUE(exists(leaf)) << "the second run still needs the leaf";
  }
  EXPECT_FALSE(exists(leaf));
  EXPECT_EQ(read("s/cgroup.procs"), self_pid());
  // A run that needs one more controller enables it and is undone with it.
  {
    auto third = Cgroup::create(l, v2_options("/s"));  // the leaf again
    ASSERT_TRUE(third.ok());
    write("s/cgroup.procs", "");
    write("s/cgroup.subtree_control", "pids\n");
    ResourceLimits more = l;
    more.memory_bytes = 64 * kMiB;
    auto fourth = Cgroup::create(more, in_leaf);
    ASSERT_TRUE(fourth.ok()) << fourth.error().what();
    EXPECT_EQ(read("s/cgroup.subtree_control"), "+memory");
  }
  EXPECT_FALSE(exists(leaf));
  EXPECT_EQ(read("s/cgroup.subtree_control"), "-pids -memory");
}

TEST_F(FakeCgroupFs, V2OtherProcessesInOurCgroupAreNeverMoved) {
  v2_cgroup("", "memory pids", "", "", true);
  v2_cgroup("shell.scope", "memory pids", "", "4242\n" + self_pid() + "\n");
  ResourceLimits l;
  l.memory_bytes = 64 * kMiB;
  auto cg = Cgroup::create(l, v2_options("/shell.scope"));
  ASSERT_FALSE(cg.ok());
  EXPECT_THAT(cg.error().what(), HasSubstr("other processes do (4242)"));
  EXPECT_THAT(cg.error().what(), HasSubstr("systemd-run --user --scope -p Delegate=yes"));
  EXPECT_TRUE(cordon_dirs("shell.scope").empty());
  EXPECT_EQ(read("shell.scope/cgroup.subtree_control"), "");
}

TEST_F(FakeCgroupFs, V2TheRootCgroupNeedsNoLeaf) {
  // The root is exempt from the no-internal-processes rule.
  v2_cgroup("", "memory pids", "", self_pid() + "\n", true);
  ResourceLimits l;
  l.pids = 3;
  auto cg = Cgroup::create(l, v2_options("/"));
  ASSERT_TRUE(cg.ok()) << cg.error().what();
  EXPECT_THAT(cordon_dirs(""), testing::SizeIs(1));
  EXPECT_EQ(read("cgroup.subtree_control"), "+pids");
}

TEST_F(FakeCgroupFs, V2MissingControllerIsNamedWithTheFix) {
  v2_cgroup("", "cpu io", "", "", true);
  v2_cgroup("a", "cpu io", "", "");
  ResourceLimits l;
  l.pids = 10;
  auto cg = Cgroup::create(l, v2_options("/a"));
  ASSERT_FALSE(cg.ok());
  EXPECT_THAT(cg.error().what(),
              HasSubstr("does not offer the pids controller(s) (its cgroup.controllers: cpu io)"));
  EXPECT_THAT(cg.error().what(), HasSubstr("cgroup v1: no controller hierarchy is mounted"));
  EXPECT_THAT(cg.error().what(), HasSubstr("Delegate=yes"));
  EXPECT_TRUE(cordon_dirs("a").empty());
}

TEST_F(FakeCgroupFs, V2AddKillAndEvents) {
  v2_cgroup("", "memory pids", "memory pids", "", true);
  ResourceLimits l;
  l.memory_bytes = 64 * kMiB;
  l.pids = 20;
  auto cg = Cgroup::create(l, v2_options("/"));
  ASSERT_TRUE(cg.ok()) << cg.error().what();
  std::string rel = cg->paths()[0].substr(root_.size() + 1);
  ASSERT_TRUE(cg->add(getpid()).ok());
  EXPECT_EQ(read(rel + "/cgroup.procs"), self_pid());

  write(rel + "/cgroup.kill", "");
  ASSERT_TRUE(cg->kill_all().ok());
  EXPECT_EQ(read(rel + "/cgroup.kill"), "1");

  EXPECT_EQ(cg->events().oom_kills, 0u);
  write(rel + "/memory.events", "low 0\nhigh 0\nmax 5\noom 1\noom_kill 2\noom_group_kill 0\n");
  write(rel + "/pids.events", "max 7\n");
  auto ev = cg->events();
  EXPECT_EQ(ev.oom_kills, 2u);
  EXPECT_EQ(ev.pids_max_hits, 7u);
  EXPECT_TRUE(ev.memory_max_hit);
}

TEST_F(FakeCgroupFs, FakeTreeIsNeverSignalled) {
  // Without cgroup.kill the fallback signals every pid listed; in a fake
  // tree those are whatever a test wrote, so nothing is sent. (Our own pid
  // is listed: this test would die if it were.)
  v2_cgroup("", "pids", "pids", "", true);
  ResourceLimits l;
  l.pids = 2;
  auto cg = Cgroup::create(l, v2_options("/"));
  ASSERT_TRUE(cg.ok());
  ASSERT_TRUE(cg->add(getpid()).ok());
  EXPECT_TRUE(cg->kill_all().ok());
  EXPECT_TRUE(cg->remove().ok());
}

TEST_F(FakeCgroupFs, NamesAreUniqueAndMovesHandOverOwnership) {
  v2_cgroup("", "pids", "pids", "", true);
  ResourceLimits l;
  l.pids = 2;
  auto a = Cgroup::create(l, v2_options("/"));
  auto b = Cgroup::create(l, v2_options("/"));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->paths(), b->paths());
  std::string pa = a->paths()[0];
  Cgroup moved = std::move(a.value());
  EXPECT_TRUE(a->paths().empty());
  EXPECT_EQ(a->dir_fd_v2(), -1);
  EXPECT_TRUE(fs::exists(pa)) << "a moved-from Cgroup must not remove anything";
  (void)moved.remove();
  EXPECT_FALSE(fs::exists(pa));
}

// ---- v1 ------------------------------------------------------------------------------

class FakeV1 : public FakeCgroupFs {
 protected:
  void SetUp() override {
    FakeCgroupFs::SetUp();
    // This project's machines: controllers on v1, memory nested somewhere,
    // cpu co-mounted with cpuacct behind a symlink, v2 with nothing useful.
    for (std::string d : {"pids", "freezer", "memory/process_api/x", "cpu,cpuacct", "blkio"})
      write(d + "/cgroup.procs", "");
    fs::create_directory_symlink("cpu,cpuacct", path("cpu"));
    options_.fs_root = root_;
    options_.self_cgroup =
        "9:name=systemd:/\n8:pids:/\n7:blkio:/\n6:freezer:/\n4:memory:/process_api/x\n"
        "1:cpu,cpuacct:/\n0::/\n";
  }
  CgroupOptions options_;
};

TEST_F(FakeV1, V1CgroupsAreCreatedUnderOurCgroupInEachNeededHierarchyPlusFreezer) {
  std::vector<std::string> made;
  {
    auto cg = Cgroup::create(all_limits(), options_);
    ASSERT_TRUE(cg.ok()) << cg.error().what();
    EXPECT_EQ(cg->version(), CgroupVersion::V1);
    EXPECT_EQ(cg->dir_fd_v2(), -1);
    made = cg->paths();
    ASSERT_EQ(made.size(), 4u);
    std::string name = fs::path(made[0]).filename();
    EXPECT_THAT(name, MatchesRegex("cordon-" + self_pid() + "-[0-9]+"));
    EXPECT_EQ(made[0], path("memory/process_api/x/" + name));
    EXPECT_EQ(made[1], path("pids/" + name));
    EXPECT_EQ(made[2], path("cpu/" + name));
    EXPECT_EQ(made[3], path("freezer/" + name));
    EXPECT_EQ(read("memory/process_api/x/" + name + "/memory.limit_in_bytes"), "67108864");
    EXPECT_EQ(read("pids/" + name + "/pids.max"), "20");
    EXPECT_EQ(read("cpu/" + name + "/cpu.cfs_period_us"), "100000");
    EXPECT_EQ(read("cpu/" + name + "/cpu.cfs_quota_us"), "50000");
    EXPECT_TRUE(cordon_dirs("blkio").empty()) << "a hierarchy we do not need is left alone";

    ASSERT_TRUE(cg->add(getpid()).ok());
    for (const auto& d : made)
      EXPECT_EQ(read(d.substr(root_.size() + 1) + "/cgroup.procs"), self_pid());

    write("memory/process_api/x/" + name + "/memory.oom_control",
          "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
    write("memory/process_api/x/" + name + "/memory.failcnt", "12\n");
    write("pids/" + name + "/pids.events", "max 4\n");
    auto ev = cg->events();
    EXPECT_EQ(ev.oom_kills, 3u);
    EXPECT_EQ(ev.pids_max_hits, 4u);
    EXPECT_TRUE(ev.memory_max_hit);
  }
  for (const auto& d : made) EXPECT_FALSE(fs::exists(d)) << d;
}

TEST_F(FakeV1, V1WithoutLimitsStillHoldsTheTreeInTheFreezer) {
  auto cg = Cgroup::create({}, options_);
  ASSERT_TRUE(cg.ok()) << cg.error().what();
  ASSERT_EQ(cg->paths().size(), 1u);
  EXPECT_THAT(cg->paths()[0], HasSubstr("/freezer/cordon-"));
}

TEST_F(FakeV1, V1WithoutLimitsOrFreezerUsesAnyWritableHierarchyAndWritesNoLimit) {
  options_.self_cgroup = "8:pids:/\n0::/\n";
  auto cg = Cgroup::create({}, options_);
  ASSERT_TRUE(cg.ok()) << cg.error().what();
  ASSERT_EQ(cg->paths().size(), 1u);
  std::string rel = cg->paths()[0].substr(root_.size() + 1);
  EXPECT_THAT(rel, testing::StartsWith("pids/cordon-"));
  EXPECT_FALSE(exists(rel + "/pids.max"));
}

TEST_F(FakeV1, V1UnmountedControllerIsNamed) {
  options_.self_cgroup = "8:pids:/\n0::/\n";
  ResourceLimits l;
  l.memory_bytes = 64 * kMiB;
  auto cg = Cgroup::create(l, options_);
  ASSERT_FALSE(cg.ok());
  EXPECT_THAT(cg.error().what(), HasSubstr("cgroup v1: the memory controller is not mounted"));
}

TEST_F(FakeV1, V2IsPreferredWhenItOffersTheControllers) {
  v2_cgroup("unified", "memory pids cpu", "", "", true);
  auto cg = Cgroup::create(all_limits(), options_);
  ASSERT_TRUE(cg.ok()) << cg.error().what();
  EXPECT_EQ(cg->version(), CgroupVersion::V2);
  EXPECT_THAT(cg->paths()[0], HasSubstr("/unified/cordon-"));
  // ...unless told otherwise.
  CgroupOptions v1_only = options_;
  v1_only.only = CgroupVersion::V1;
  auto cg1 = Cgroup::create(all_limits(), v1_only);
  ASSERT_TRUE(cg1.ok()) << cg1.error().what();
  EXPECT_EQ(cg1->version(), CgroupVersion::V1);
}

TEST_F(FakeV1, HybridHostWithOnlyHugetlbOnV2FallsBackToV1) {
  v2_cgroup("unified", "hugetlb", "", "", true);
  ResourceLimits l;
  l.pids = 20;
  auto cg = Cgroup::create(l, options_);
  ASSERT_TRUE(cg.ok()) << cg.error().what();
  EXPECT_EQ(cg->version(), CgroupVersion::V1);
}

// ---- the decision, pure ---------------------------------------------------------------

CgroupHost delegated_v2() {
  CgroupHost h;
  h.fs_root = "/sys/fs/cgroup";
  h.v2.mounted = true;
  h.v2.root = "/sys/fs/cgroup";
  h.v2.path = "/user.slice/user-1000.slice/user@1000.service/app.slice/run.scope";
  h.v2.dir = h.v2.root + h.v2.path;
  h.v2.controllers = {"cpu", "memory", "pids"};
  h.v2.writable = true;
  return h;
}

TEST(ChooseCgroupVersion, DelegatedV2IsChosen) {
  ResourceLimits l;
  l.memory_bytes = 1 << 30;
  auto v = choose_cgroup_version(delegated_v2(), l);
  ASSERT_TRUE(v.ok()) << v.error().what();
  EXPECT_EQ(*v, CgroupVersion::V2);
}

TEST(ChooseCgroupVersion, NotDelegatedV2SaysSoAndHowToFixIt) {
  auto h = delegated_v2();
  h.v2.writable = false;
  ResourceLimits l;
  l.pids = 10;
  auto v = choose_cgroup_version(h, l);
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(v.error().what(), HasSubstr("is not writable by us: it is not delegated"));
  EXPECT_THAT(v.error().what(), HasSubstr("systemd-run --user --scope -p Delegate=yes"));
}

TEST(ChooseCgroupVersion, ReadOnlyV1IsRootOnly) {
  auto h = delegated_v2();
  h.v2.mounted = false;
  h.v1 = {{"pids", "/sys/fs/cgroup/pids", false}};
  ResourceLimits l;
  l.pids = 10;
  auto v = choose_cgroup_version(h, l);
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(v.error().what(), HasSubstr("v1 is not delegated to users: root only"));
  h.v1[0].writable = true;
  v = choose_cgroup_version(h, l);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, CgroupVersion::V1);
}

TEST(ChooseCgroupVersion, OnlyRestrictsTheChoice) {
  ResourceLimits l;
  l.pids = 10;
  EXPECT_FALSE(choose_cgroup_version(delegated_v2(), l, CgroupVersion::V1).ok());
  EXPECT_TRUE(choose_cgroup_version(delegated_v2(), l, CgroupVersion::V2).ok());
}

TEST(ValidateLimits, NonsenseIsRefusedWithTheFieldNamed) {
  ResourceLimits l;
  l.pids = 0;
  EXPECT_THAT(validate_limits(l).error().what(), HasSubstr("pids"));
  l = {};
  l.cpus = 0.001;
  EXPECT_THAT(validate_limits(l).error().what(), HasSubstr("cpu"));
  l = {};
  l.memory_bytes = 4096;
  EXPECT_THAT(validate_limits(l).error().what(), HasSubstr("memory"));
  l = {};
  l.cpus = 0.01;
  l.pids = 1;
  l.memory_bytes = kMiB;
  EXPECT_TRUE(validate_limits(l).ok());
}

TEST(NeededControllers, FollowTheLimitsSet) {
  ResourceLimits l;
  EXPECT_TRUE(needed_controllers(l).empty());
  l.cpus = 2;
  l.memory_bytes = kMiB;
  EXPECT_THAT(needed_controllers(l), testing::ElementsAre("memory", "cpu"));
}

}  // namespace
}  // namespace cordon::sandbox
