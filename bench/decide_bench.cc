// Whole tool-call decisions through the real engine (policy::CallPolicy,
// src/policy/decide_call.h) with 1,000 rules: Read, Edit and Write path
// rules, WebFetch domain rules, MCP tools and Bash, as `cordon hook` makes
// them (issue 5: a decision well under a microsecond with 1,000 rules).
//
//   ninja -C build decide_bench && build/bench/decide_bench
//
// The policy is the built-in default plus N tool rules of every kind
// (Bash ones as in shell_bench.cc); the workspace is a real directory
// tree, because a path rule is matched on the canonical path (realpath and
// stat of the target are part of every Read/Edit decision).
#include <benchmark/benchmark.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "corpus.h"
#include "policy/decide_call.h"
#include "policy/load.h"
#include "policy/toolrules.h"

using namespace cordon::policy;
using nlohmann::json;

namespace {

// A workspace with a few files, made once and removed at exit.
struct Tree {
  std::string root;
  Tree() {
    char tmpl[] = "/tmp/cordon-decide-bench-XXXXXX";
    root = ::mkdtemp(tmpl);
    for (const char* d : {"/home", "/home/.ssh", "/ws", "/ws/src", "/ws/src/mod7", "/ws/docs"}) {
      ::mkdir((root + d).c_str(), 0755);
    }
    std::ofstream(root + "/ws/src/main.c") << "int main;";
    std::ofstream(root + "/ws/src/mod7/a.c") << "int a;";
    std::ofstream(root + "/ws/.env") << "SECRET=1";
    std::ofstream(root + "/home/.ssh/id_rsa") << "key";
  }
  ~Tree() { std::filesystem::remove_all(root); }
};

const Tree& tree() {
  static const Tree t;
  return t;
}

using cordon::bench::corpus;

// The built-in default plus `total` tool rules, a fifth of each kind: path
// rules (Read, Edit, Write), WebFetch domains, MCP tools, Bash; a third of
// the generated ones deny. The hand-written ones come first, as a user's
// settings would have them.
// With `paths_only`, every generated rule is a path rule (Read, Edit or
// Write, a third of them below the workspace's src/ where the calls go):
// what a path call pays for the rules when all 1,000 are of its kind.
CallPolicy engine_of(int total, bool paths_only = false) {
  Policy p = builtin_default();
  auto add = [&](PatternList& list, std::string rule) { list.push_back({std::move(rule), {}}); };
  int n = 0;
  for (const char* a :
       {"Bash(git status:*)", "Bash(git diff:*)", "Bash(git log:*)", "Bash(ls:*)", "Bash(cat:*)",
        "Bash(rg:*)", "Bash(grep:*)", "Bash(find:*)", "Bash(npm run test:*)", "Bash(make:*)",
        "Bash(sed:*)", "Read(./src/**)", "Edit(src/**)", "WebFetch(domain:docs.example.com)",
        "mcp__github__get_issue"}) {
    if (n++ < total) add(p.tools.allow, a);
  }
  for (const char* d : {"Bash(rm -rf:*)", "Bash(curl:*)", "Read(~/.ssh/**)", "Read(.env)",
                        "Edit(//etc/**)", "WebFetch(domain:*.evil.example)"}) {
    if (n++ < total) add(p.tools.deny, d);
  }
  if (n++ < total) add(p.tools.ask, "Bash(git push:*)");
  for (int i = 0; n < total; ++i, ++n) {
    std::string k = std::to_string(i);
    std::string rule;
    if (paths_only) {
      switch (i % 6) {
        case 0: rule = "Read(//data/proj" + k + "/**)"; break;
        case 1: rule = "Read(~/.cache/p" + k + "/**)"; break;
        case 2: rule = "Edit(gen/mod" + k + "/*.c)"; break;
        case 3: rule = "Write(/out/file" + k + ".txt)"; break;
        case 4: rule = "Read(src/mod" + k + "/**)"; break;
        default: rule = "Edit(src/mod" + k + "/*.h)"; break;
      }
      add(i % 3 == 0 ? p.tools.deny : p.tools.allow, rule);
      continue;
    }
    switch (i % 5) {
      case 0:
        rule = i % 2 == 0 ? "Read(//data/proj" + k + "/**)" : "Edit(gen/mod" + k + "/*.c)";
        break;
      case 1: rule = "Write(/out/file" + k + ".txt)"; break;
      case 2: rule = "WebFetch(domain:host" + k + ".example.org)"; break;
      case 3: rule = "mcp__server" + std::to_string(i % 40) + "__tool" + k; break;
      default: rule = "Bash(tool" + std::to_string(i % 300) + " sub" + k + ":*)"; break;
    }
    add(i % 3 == 0 ? p.tools.deny : p.tools.allow, rule);
  }
  const std::string ws = tree().root + "/ws";
  return CallPolicy(p, CallContext{ws, tree().root + "/home", ws, true});
}

void run(benchmark::State& state, const std::vector<ToolCall>& calls, bool paths_only = false) {
  CallPolicy engine = engine_of(static_cast<int>(state.range(0)), paths_only);
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(engine.decide(calls[i++ % calls.size()]));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

std::string at(const std::string& rel) { return tree().root + rel; }

// Read and Edit of files inside and outside the workspace: realpath and
// stat of the target, then every path rule that applies.
void BM_DecideRead(benchmark::State& state) {
  run(state, {{"Read", {{"file_path", at("/ws/src/main.c")}}},
              {"Read", {{"file_path", at("/ws/.env")}}},
              {"Read", {{"file_path", at("/home/.ssh/id_rsa")}}},
              {"Grep", {{"pattern", "x"}, {"path", at("/ws/src")}}}});
}
BENCHMARK(BM_DecideRead)->Arg(0)->Arg(1000);

// What every Read and Edit decision pays before any rule: the target's
// canonical path (realpath(3): a readlink per component, in the kernel).
void BM_CanonicalTarget(benchmark::State& state) {
  const std::vector<std::string> paths = {at("/ws/src/main.c"), at("/ws/.env"),
                                          at("/home/.ssh/id_rsa"), at("/ws/src")};
  const std::string ws = tree().root + "/ws";
  const std::string home = tree().root + "/home";
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(canonical_target(paths[i++ % paths.size()], home, ws));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_CanonicalTarget);

void BM_DecideEdit(benchmark::State& state) {
  run(state, {{"Edit", {{"file_path", at("/ws/src/mod7/a.c")}}},
              {"Write", {{"file_path", at("/ws/docs/new.md")}}},
              {"Edit", {{"file_path", "/etc/hosts"}}}});
}
BENCHMARK(BM_DecideEdit)->Arg(0)->Arg(1000);

// Read, Grep, Edit and Write with 1,000 path rules, none of another kind.
void BM_DecidePathRules(benchmark::State& state) {
  run(state,
      {{"Read", {{"file_path", at("/ws/src/main.c")}}},
       {"Read", {{"file_path", at("/home/.ssh/id_rsa")}}},
       {"Grep", {{"pattern", "x"}, {"path", at("/ws/src")}}},
       {"Edit", {{"file_path", at("/ws/src/mod7/a.c")}}},
       {"Write", {{"file_path", at("/ws/docs/new.md")}}}},
      true);
}
BENCHMARK(BM_DecidePathRules)->Arg(0)->Arg(1000);

// What 1,000 rules add to a path call, without realpath's cost and its
// variance under load: each call is decided by an engine with the rules
// and by one without, in alternating order, each timed; the counters are
// the mean of the difference (rules_ns) and of the whole call (whole_ns).
// Arg 1: the path-rules-only set of BM_DecidePathRules; 0: the mixed set.
// Files only: a Grep of a directory also pays a stat() when a deny or ask
// rule may lie below it (in BM_DecideRead and BM_DecidePathRules).
void BM_RulesOnlyOfPathCalls(benchmark::State& state) {
  const bool paths_only = state.range(0) == 1;
  const CallPolicy with = engine_of(1000, paths_only);
  const CallPolicy without = engine_of(0, paths_only);
  const std::vector<ToolCall> calls = {{"Read", {{"file_path", at("/ws/src/main.c")}}},
                                       {"Read", {{"file_path", at("/ws/.env")}}},
                                       {"Read", {{"file_path", at("/home/.ssh/id_rsa")}}},
                                       {"Edit", {{"file_path", at("/ws/src/mod7/a.c")}}},
                                       {"Write", {{"file_path", at("/ws/docs/new.md")}}},
                                       {"Edit", {{"file_path", "/etc/hosts"}}}};
  using Clock = std::chrono::steady_clock;
  Clock::duration with_time{}, without_time{};
  std::size_t i = 0;
  for (auto _ : state) {
    const ToolCall& call = calls[i % calls.size()];
    const bool with_first = (i++ / calls.size()) % 2 == 0;
    for (int k = 0; k < 2; ++k) {
      const bool use_with = (k == 0) == with_first;
      const auto start = Clock::now();
      benchmark::DoNotOptimize((use_with ? with : without).decide(call));
      (use_with ? with_time : without_time) += Clock::now() - start;
    }
  }
  const auto n = static_cast<double>(state.iterations());
  auto ns = [](Clock::duration d) {
    return static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
  };
  state.counters["rules_ns"] = ns(with_time - without_time) / n;
  state.counters["whole_ns"] = ns(with_time) / n;
}
BENCHMARK(BM_RulesOnlyOfPathCalls)->Arg(0)->Arg(1);

void BM_DecideWebFetch(benchmark::State& state) {
  run(state, {{"WebFetch", {{"url", "https://docs.example.com/guide"}}},
              {"WebFetch", {{"url", "https://host17.example.org/x"}}},
              {"WebFetch", {{"url", "https://a.evil.example/"}}},
              {"WebFetch", {{"url", "https://unknown.example.net/"}}}});
}
BENCHMARK(BM_DecideWebFetch)->Arg(0)->Arg(1000);

void BM_DecideMcp(benchmark::State& state) {
  run(state, {{"mcp__github__get_issue", {}},
              {"mcp__server7__tool7", {}},
              {"mcp__server3__tool999", {}},
              {"TodoWrite", {}}});
}
BENCHMARK(BM_DecideMcp)->Arg(0)->Arg(1000);

// Bash through the engine: parse, analysis and rules, for the 413 corpus
// commands in turn (contained, as `cordon hook` runs them).
void BM_DecideBash(benchmark::State& state) {
  std::vector<ToolCall> calls;
  for (const std::string& c : corpus()) calls.push_back({"Bash", {{"command", c}}});
  run(state, calls);
}
BENCHMARK(BM_DecideBash)->Arg(0)->Arg(1000);

// One simple Bash command, the common case.
void BM_DecideBashSimple(benchmark::State& state) {
  run(state, {{"Bash", {{"command", "git diff --stat HEAD~1"}}},
              {"Bash", {{"command", "ls -la src"}}},
              {"Bash", {{"command", "npm run test -- --watch=false"}}}});
}
BENCHMARK(BM_DecideBashSimple)->Arg(0)->Arg(1000);

}  // namespace

BENCHMARK_MAIN();
