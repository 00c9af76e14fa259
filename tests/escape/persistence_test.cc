// Persistence (THREATS.md, "Filesystem"): a contained command that cannot
// escape now plants something that runs later, outside, when a person or a
// tool uses the workspace: git hooks and git config (core.hooksPath,
// core.fsmonitor, filters), shell rc files and .envrc, agent and editor
// configuration (srt, Cursor CVE-2026-26268, Codex #37081); or it turns the
// workspace itself into a bare git repository whose config a later `git`
// run obeys (Claude Code sandbox).
//
// Every protected name is tried both when it exists before the run and when
// it does not (cordon then mounts a placeholder, removed after the run), with
// each way of changing it: writing, creating, renaming over, deleting and
// recreating, and for directories swapping the whole directory.
#include <sys/stat.h>
#include <unistd.h>

#include <tuple>

#include "escape/escape.h"

namespace cordon::test::escape {
namespace {

// A comment in every format cordon might read (a project policy is TOML).
constexpr const char* kOriginal = "# original content\n";
// A settings file cordon reads itself (.claude/settings.json) must parse.
constexpr const char* kOriginalJson = "{}\n";

enum class Kind { File, Dir };
enum class Before { Exists, Missing };

struct Protected {
  const char* path;  // relative to the workspace
  Kind kind;
  const char* inner;  // for a directory: a file it holds
};

// DESIGN.md's protected names ("The embedded default").
const Protected kProtected[] = {
    {".git/hooks", Kind::Dir, "pre-commit"},
    {".git/config", Kind::File, nullptr},
    {".gitmodules", Kind::File, nullptr},
    {".cordon", Kind::Dir, "policy.toml"},
    {".claude", Kind::Dir, "settings.json"},
    {".codex", Kind::Dir, "config.toml"},
    {".gemini", Kind::Dir, "settings.json"},
    {".mcp.json", Kind::File, nullptr},
    {".vscode", Kind::Dir, "tasks.json"},
    {".idea", Kind::Dir, "workspace.xml"},
    {".envrc", Kind::File, nullptr},
    {".npmrc", Kind::File, nullptr},
    {".bashrc", Kind::File, nullptr},
    {".bash_profile", Kind::File, nullptr},
    {".bash_login", Kind::File, nullptr},
    {".profile", Kind::File, nullptr},
    {".zshrc", Kind::File, nullptr},
    {".zshenv", Kind::File, nullptr},
    {".zprofile", Kind::File, nullptr},
    {".zlogin", Kind::File, nullptr},
    // The markers that make the workspace a bare repository.
    {"HEAD", Kind::File, nullptr},
    {"objects", Kind::Dir, "info"},
    {"refs", Kind::Dir, "heads"},
};

void PrintTo(const Protected& p, std::ostream* os) { *os << p.path; }

// Every name, existing and missing, but a missing HEAD: cordon mounts no
// placeholder there (a path named HEAD would make `git log HEAD` ambiguous);
// a HEAD created during the run is swept instead when it completes a bare
// repository (WorkspaceCannotBecomeABareRepository and
// BareRepositoryCompletedWithHeadIsSwept below).
std::vector<std::pair<Protected, Before>> cases() {
  std::vector<std::pair<Protected, Before>> out;
  for (const auto& p : kProtected) {
    out.push_back({p, Before::Exists});
    if (std::string(p.path) != "HEAD") out.push_back({p, Before::Missing});
  }
  return out;
}

using Param = std::tuple<As, std::pair<Protected, Before>>;

std::string param_name(const testing::TestParamInfo<Param>& info) {
  const auto& [as, c] = info.param;
  const auto& [prot, before] = c;
  return (as == As::Caller ? "caller_" : "unprivileged_") + identifier(prot.path) +
         (before == Before::Exists ? "_exists" : "_missing");
}

class PersistenceEscape : public testing::TestWithParam<Param> {
 protected:
  bool unprivileged() const { return std::get<0>(GetParam()) == As::Unprivileged; }
  const Protected& prot() const { return std::get<1>(GetParam()).first; }
  bool exists_before() const { return std::get<1>(GetParam()).second == Before::Exists; }
  std::string path() const { return prot().path; }
  std::string inner() const { return path() + "/" + prot().inner; }
  // Next to the protected name, so that a rename stays on one mount and
  // meets the mount point itself (from another mount it would be EXDEV).
  std::string beside(const std::string& name) const {
    const auto slash = path().rfind('/');
    return slash == std::string::npos ? name : path().substr(0, slash + 1) + name;
  }

  // The workspace before the run: the protected name (or only its parent),
  // and what the command renames over it.
  void prepare(Scene& s) const {
    if (path().rfind(".git/", 0) == 0) s.ws.mkdir(".git");
    if (prot().kind == Kind::File) {
      if (exists_before()) s.ws.write(path(), kOriginal);
      s.ws.write(beside("evil"), "evil\n");
    } else {
      if (exists_before()) {
        const bool json = inner().size() > 5 && inner().substr(inner().size() - 5) == ".json";
        s.ws.write(inner(), json ? kOriginalJson : kOriginal, 0755);
      }
      s.ws.write(beside("evil.d") + "/" + prot().inner, "evil\n", 0755);
    }
  }

  // The attempts, in an order where each one works uncontained.
  std::vector<std::vector<std::string>> steps() const {
    if (prot().kind == Kind::File)
      return {{exists_before() ? "open-write" : "create", path()},  // write / create
              {"rename", beside("evil"), path()},                   // rename over
              {"unlink", path()},                                   // delete...
              {"create", path()}};                                  // ...and recreate
    if (exists_before())
      return {{"open-write", inner()},                 // write a file inside
              {"create", path() + "/planted"},         // create one
              {"unlink", inner()},                     // delete...
              {"create", inner()},                     // ...and recreate
              {"chmod", inner(), "0755"},              // make it runnable
              {"exchange", beside("evil.d"), path()},  // swap the whole directory
              {"rename", path(), beside("moved.d")}};  // move it away
    return {{"mkdir", path()},                         // create the directory
            {"create", inner()},                       // fill it
            {"exchange", beside("evil.d"), path()},    // swap one in
            {"rename", path(), beside("moved.d")}};    // move it away
  }

  std::string expected_inside() const {
    // A missing name's placeholder is an empty read-only directory, whatever
    // the name's kind (git ignores empty directories, so `git add -A` inside
    // cannot commit it): a file cannot be opened, renamed over or unlinked
    // in its place.
    if (prot().kind == Kind::File)
      return exists_before() ? "EROFS EBUSY EBUSY EROFS" : "EISDIR EISDIR EISDIR EISDIR";
    if (exists_before()) return "EROFS EROFS EROFS EROFS EROFS EBUSY EBUSY";
    // The placeholder directory exists (EEXIST) and is read-only.
    return "EEXIST EROFS EBUSY EBUSY";
  }
};

TEST_P(PersistenceEscape, WriteCreateRenameOverAndRecreateAllFail) {
  const std::string all_ok = [&] {
    std::string s;
    for (size_t i = 0; i < steps().size(); ++i) s += i ? " OK" : "OK";
    return s;
  }();
  {
    Scene bare(unprivileged());
    prepare(bare);
    EXPECT_EQ(bare.bare(steps()), all_ok) << "uncontained, every attempt must work";
  }
  Scene scene(unprivileged());
  prepare(scene);
  const auto before = snapshot(scene.ws.path());
  EXPECT_EQ(scene.inside(steps()), expected_inside());
  if (!exists_before()) {
    // Only inside is there a placeholder to remove first (uncontained, the
    // create above already showed that the name can be made).
    const std::string create = prot().kind == Kind::File ? "create" : "mkdir";
    EXPECT_EQ(scene.inside({{"rmdir", path()}, {create, path()}}),
              prot().kind == Kind::File ? "EBUSY EISDIR" : "EBUSY EEXIST");
  }
  // Nothing changed, nothing was left behind (the placeholders are gone).
  auto after = snapshot(scene.ws.path());
  EXPECT_EQ(after, before);
  if (!exists_before()) {
    EXPECT_FALSE(scene.ws.exists(path())) << "placeholder left in the workspace";
  }
}

INSTANTIATE_TEST_SUITE_P(Names, PersistenceEscape,
                         testing::Combine(testing::Values(As::Caller, As::Unprivileged),
                                          testing::ValuesIn(cases())),
                         param_name);

// ---- git ------------------------------------------------------------------

class GitPersistence : public testing::TestWithParam<As> {
 protected:
  bool unprivileged() const { return GetParam() == As::Unprivileged; }

  static RunResult git(const Scene& s, const std::vector<std::string>& args) {
    std::vector<std::string> argv{"git"};
    argv.insert(argv.end(), args.begin(), args.end());
    RunOptions o = s.opts();
    // Never find a repository above the workspace.
    o.extra_env.push_back("GIT_CEILING_DIRECTORIES=" +
                          s.ws.path().substr(0, s.ws.path().rfind('/')));
    return run(argv, o);
  }
  static RunResult git_inside(const Scene& s, const std::vector<std::string>& args) {
    std::vector<std::string> cmd{"git"};
    cmd.insert(cmd.end(), args.begin(), args.end());
    return cordon(run_args({}, cmd), s.opts());
  }
};

// `git config` writes .git/config.lock and renames it over .git/config: the
// rename is refused, git fails, and the config is what it was.
TEST_P(GitPersistence, GitConfigCannotSetHooksPathFsmonitorOrFilters) {
  const std::vector<std::pair<std::string, std::string>> settings = {
      {"core.hooksPath", "/tmp/evil-hooks"},
      {"core.fsmonitor", "touch /tmp/evil"},
      {"filter.evil.clean", "touch /tmp/evil"},
  };
  for (const auto& [key, value] : settings) {
    {
      Scene bare(unprivileged());
      ASSERT_EQ(git(bare, {"init", "-q"}).exit_code, 0);
      auto r = git(bare, {"config", key, value});
      EXPECT_EQ(r.exit_code, 0) << "uncontained git config " << key << r;
      EXPECT_EQ(git(bare, {"config", key}).out, value + "\n");
    }
    Scene scene(unprivileged());
    ASSERT_EQ(git(scene, {"init", "-q"}).exit_code, 0);
    const std::string config = scene.ws.read(".git/config");
    auto r = git_inside(scene, {"config", key, value});
    EXPECT_NE(r.exit_code, 0) << "git config " << key << " inside" << r;
    EXPECT_NE(r.exit_code, 125) << "cordon itself failed" << r;
    EXPECT_NE(r.err.find("Device or resource busy"), std::string::npos) << r;
    EXPECT_EQ(scene.ws.read(".git/config"), config);
    EXPECT_FALSE(scene.ws.exists(".git/config.lock"));
    EXPECT_EQ(git(scene, {"config", key}).out, "");
  }
}

// The protected names hang off .git: moving .git itself aside and building a
// new one around them would leave the mounts on the old one. .git is pinned
// (a mount point inside), so it cannot be moved or removed.
TEST_P(GitPersistence, GitDirectoryCannotBeMovedAsideAndReplaced) {
  const std::vector<std::vector<std::string>> steps = {{"rename", ".git", ".git.old"},
                                                       {"mkdir", ".git"},
                                                       {"mkdir", ".git/hooks"},
                                                       {"create", ".git/hooks/pre-commit"},
                                                       {"create", ".git/config"}};
  {
    Scene bare(unprivileged());
    ASSERT_EQ(git(bare, {"init", "-q"}).exit_code, 0);
    EXPECT_EQ(bare.bare(steps), "OK OK OK OK OK");
  }
  Scene scene(unprivileged());
  ASSERT_EQ(git(scene, {"init", "-q"}).exit_code, 0);
  const auto before = snapshot(scene.ws.file(".git"));
  EXPECT_EQ(scene.inside(steps), "EBUSY EEXIST EEXIST EROFS EROFS");
  EXPECT_EQ(snapshot(scene.ws.file(".git")), before);
  EXPECT_FALSE(scene.ws.exists(".git.old"));
}

// The workspace turned into a bare repository: with HEAD, objects/ and refs/
// at its top, `git` run there (outside, later) takes the workspace itself as
// the repository, config included. objects/ and refs/ have placeholders, so
// the markers cannot all be made.
TEST_P(GitPersistence, WorkspaceCannotBecomeABareRepository) {
  const std::vector<std::vector<std::string>> steps = {
      {"create", "HEAD"}, {"mkdir", "objects"}, {"mkdir", "refs"}, {"create", "config"}};
  {
    Scene bare(unprivileged());
    EXPECT_EQ(bare.bare(steps), "OK OK OK OK");
    bare.ws.write("HEAD", "ref: refs/heads/main\n");
    bare.ws.write("config", "[core]\n\tbare = true\n");
    EXPECT_EQ(git(bare, {"rev-parse", "--is-bare-repository"}).out, "true\n")
        << "uncontained, these markers must make the workspace a repository";
  }
  Scene scene(unprivileged());
  // HEAD itself has no placeholder (see cases()).
  EXPECT_EQ(scene.inside(steps), "OK EEXIST EEXIST OK");
  EXPECT_EQ(scene.inside({{"rmdir", "objects"}, {"rmdir", "refs"}}), "EBUSY EBUSY");
  EXPECT_FALSE(scene.ws.exists("objects"));
  EXPECT_FALSE(scene.ws.exists("refs"));
  auto r = git(scene, {"rev-parse", "--is-bare-repository"});
  EXPECT_NE(r.exit_code, 0) << "the workspace is a git repository after the run" << r;
}

// A project that already has objects/ and refs/ directories at its top (they
// are then mounted read-only, but they exist): HEAD is the one marker
// missing, and creating it completes a bare repository whose config (also
// unprotected at the top) a later `git` there would obey. The sweep must
// undo it and say so.
TEST_P(GitPersistence, BareRepositoryCompletedWithHeadIsSwept) {
  auto prepare = [](Scene& s) {
    s.ws.write("objects/README", "project files\n");
    s.ws.write("refs/README", "project files\n");
  };
  const std::string script =
      "printf 'ref: refs/heads/main\\n' > HEAD && "
      "printf '[core]\\n\\tbare = true\\n\\thooksPath = /tmp/evil-hooks\\n' > config";
  {
    Scene bare(unprivileged());
    prepare(bare);
    ASSERT_EQ(run({"/bin/sh", "-c", script}, bare.opts()).exit_code, 0);
    EXPECT_EQ(git(bare, {"config", "core.hooksPath"}).out, "/tmp/evil-hooks\n")
        << "uncontained, the workspace must now be a repository with that config";
  }
  Scene scene(unprivileged());
  prepare(scene);
  auto r = cordon(run_args({}, {"/bin/sh", "-c", script}), scene.opts());
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(git(scene, {"config", "core.hooksPath"}).out, "")
      << "git obeys the planted config" << r;
  EXPECT_NE(r.err.find("HEAD"), std::string::npos) << "not reported" << r;
}

// A repository created during the run has no mount over its hooks and
// config: cordon finds them when the command ends, reports them, and leaves
// nothing that a later `git` would run.
TEST_P(GitPersistence, NestedRepositoryHooksAndConfigAreNeutralisedAfterTheRun) {
  const std::string script =
      "git init -q sub && "
      "printf '#!/bin/sh\\necho pwned\\n' > sub/.git/hooks/pre-commit && "
      "chmod 755 sub/.git/hooks/pre-commit && "
      "git -C sub config core.hooksPath /tmp/evil-hooks";
  auto executable_hooks = [](const Scene& s) {
    std::vector<std::string> found;
    for (const auto& [rel, desc] : snapshot(s.ws.file("sub/.git/hooks"))) {
      struct stat st {};
      const std::string abs = s.ws.file("sub/.git/hooks/" + rel);
      // git runs hooks by name; its "*.sample" templates are never run.
      const bool sample = rel.size() > 7 && rel.compare(rel.size() - 7, 7, ".sample") == 0;
      if (!sample && lstat(abs.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111))
        found.push_back(rel);
    }
    return found;
  };
  {
    Scene bare(unprivileged());
    auto r = run({"/bin/sh", "-c", script}, bare.opts());
    ASSERT_EQ(r.exit_code, 0) << r;
    EXPECT_EQ(executable_hooks(bare), std::vector<std::string>{"pre-commit"});
    EXPECT_NE(bare.ws.read("sub/.git/config").find("hooksPath"), std::string::npos);
  }
  Scene scene(unprivileged());
  auto r = cordon(run_args({}, {"/bin/sh", "-c", script}), scene.opts());
  EXPECT_EQ(r.exit_code, 0) << "inside, a new repository is ordinary work" << r;
  EXPECT_EQ(executable_hooks(scene), std::vector<std::string>{}) << "a hook is left executable";
  EXPECT_EQ(scene.ws.read("sub/.git/config").find("hooksPath"), std::string::npos)
      << "sub/.git/config still sets core.hooksPath:\n"
      << scene.ws.read("sub/.git/config");
  EXPECT_NE(r.err.find("sub/.git"), std::string::npos) << "not reported" << r;
}

// A workspace that is not a repository gains one during the run, at its top:
// the next `git` there (outside, later) would run its hooks and obey its
// config. Either creating it fails or cordon neutralises it when the command
// ends, as for a nested repository.
TEST_P(GitPersistence, RepositoryCreatedAtTheTopIsNeutralisedAfterTheRun) {
  const std::string script =
      "git init -q . && "
      "printf '#!/bin/sh\\necho pwned\\n' > .git/hooks/pre-commit && "
      "chmod 755 .git/hooks/pre-commit && "
      "git config core.hooksPath /tmp/evil-hooks";
  auto executable_hook = [](const Scene& s) {
    struct stat st {};
    return lstat(s.ws.file(".git/hooks/pre-commit").c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
           (st.st_mode & 0111) != 0;
  };
  {
    Scene bare(unprivileged());
    auto r = run({"/bin/sh", "-c", script}, bare.opts());
    ASSERT_EQ(r.exit_code, 0) << r;
    EXPECT_TRUE(executable_hook(bare));
    EXPECT_NE(bare.ws.read(".git/config").find("hooksPath"), std::string::npos);
  }
  Scene scene(unprivileged());
  auto r = cordon(run_args({}, {"/bin/sh", "-c", script}), scene.opts());
  EXPECT_NE(r.exit_code, 125) << r;
  EXPECT_FALSE(executable_hook(scene)) << "a hook is left executable" << r;
  EXPECT_EQ(scene.ws.read(".git/config").find("hooksPath"), std::string::npos)
      << ".git/config sets core.hooksPath after the run:\n"
      << scene.ws.read(".git/config") << r;
}

// The sweep runs on the host, with the caller's rights, after the command
// has ended, over a tree the command wrote. A hooks directory, a submodule's
// git directory or a bare repository's hooks that is a symlink to a directory
// outside must not lead it there: renaming or chmod'ing files outside would
// be the contained command acting on the host through cordon.
TEST_P(GitPersistence, SweepNeverFollowsASymlinkOutOfTheWorkspace) {
  struct Variant {
    const char* name;
    const char* script;   // $1: the directory outside
    const char* reaches;  // a file outside, through the workspace, uncontained
  };
  const Variant variants[] = {
      {"hooks", "git init -q sub && rm -rf sub/.git/hooks && ln -s \"$1/hooks\" sub/.git/hooks",
       "sub/.git/hooks/pre-commit"},
      {"modules",
       "git init -q sub && mkdir -p sub/.git/modules && ln -s \"$1\" sub/.git/modules/evil",
       "sub/.git/modules/evil/hooks/pre-commit"},
      {"bare",
       "mkdir -p bare/objects bare/refs && echo 'ref: refs/heads/main' > bare/HEAD && "
       "ln -s \"$1/hooks\" bare/hooks",
       "bare/hooks/pre-commit"},
  };
  for (const auto& v : variants) {
    auto prepare_outside = [](Scene& s) {
      s.outside.write("hooks/pre-commit", "#!/bin/sh\necho mine\n", 0755);
      s.outside.write("config", "[core]\n\thooksPath = /usr/local/share/my-hooks\n");
    };
    {
      Scene bare(unprivileged());
      prepare_outside(bare);
      auto r = run({"/bin/sh", "-c", v.script, "sh", bare.outside.path()}, bare.opts());
      ASSERT_EQ(r.exit_code, 0) << v.name << r;
      EXPECT_EQ(bare.ws.read(v.reaches), "#!/bin/sh\necho mine\n")
          << v.name << ": uncontained, the link must lead outside";
    }
    Scene scene(unprivileged());
    prepare_outside(scene);
    const auto before = snapshot(scene.outside.path());
    auto r =
        cordon(run_args({}, {"/bin/sh", "-c", v.script, "sh", scene.outside.path()}), scene.opts());
    EXPECT_EQ(r.exit_code, 0) << v.name << r;
    EXPECT_EQ(snapshot(scene.outside.path()), before)
        << v.name << ": the sweep changed files outside" << r;
  }
}

INSTANTIATE_TEST_SUITE_P(Users, GitPersistence, testing::Values(As::Caller, As::Unprivileged),
                         as_name);

}  // namespace
}  // namespace cordon::test::escape
