// Shell analysis and Bash rule decisions (issue 5 targets: an analysis in
// microseconds, a decision well under a microsecond with 1,000 rules).
//
//   ninja -C build shell_bench && build/bench/shell_bench
//
// The commands are tests/unit/shell_corpus.tsv (413 realistic agent
// commands); the rules are that corpus's allow/ask/deny set plus generated
// ones up to 1,000.
#include <benchmark/benchmark.h>

#include <string>
#include <variant>
#include <vector>

#include "corpus.h"
#include "shell/analyze.h"
#include "shell/rules.h"

using namespace cordon::shell;

namespace {

using cordon::bench::corpus;

BashRules rules_of(int total) {
  BashRules r;
  int n = 0;
  for (const char* a :
       {"Bash(git status:*)", "Bash(git diff:*)",   "Bash(git log:*)",      "Bash(git show:*)",
        "Bash(git add:*)",    "Bash(git commit:*)", "Bash(ls:*)",           "Bash(cat:*)",
        "Bash(head:*)",       "Bash(tail:*)",       "Bash(wc:*)",           "Bash(rg:*)",
        "Bash(grep:*)",       "Bash(find:*)",       "Bash(echo:*)",         "Bash(cd:*)",
        "Bash(mkdir:*)",      "Bash(npm test:*)",   "Bash(npm run test:*)", "Bash(pytest:*)",
        "Bash(cargo test:*)", "Bash(make:*)",       "Bash(go test:*)",      "Bash(sed:*)",
        "Bash(awk:*)",        "Bash(jq:*)",         "Bash(sort:*)",         "Bash(tee:*)"}) {
    r.add(RuleList::Allow, a);
    ++n;
  }
  for (const char* d : {"Bash(rm -rf:*)", "Bash(curl:*)", "Bash(wget:*)", "Bash(sudo:*)"}) {
    r.add(RuleList::Deny, d);
    ++n;
  }
  r.add(RuleList::Ask, "Bash(git push:*)");
  ++n;
  // The rest: rules for tools the corpus does not use, some with a wildcard
  // first word (tried for every command), most indexed by their first word.
  for (int i = 0; n < total; ++i, ++n) {
    std::string rule =
        i % 50 == 0 ? "Bash(tool" + std::to_string(i) + "* --flag)"
                    : "Bash(tool" + std::to_string(i % 300) + " sub" + std::to_string(i) + ":*)";
    r.add(i % 3 == 0 ? RuleList::Deny : RuleList::Allow, rule);
  }
  return r;
}

void BM_Parse(benchmark::State& state) {
  const auto& cmds = corpus();
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(parse(cmds[i++ % cmds.size()]));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_Parse);

void BM_Analyze(benchmark::State& state) {
  const auto& cmds = corpus();
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(analyze(cmds[i++ % cmds.size()]));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_Analyze);

// The decision alone, on an analysis made beforehand: what the rules cost.
void BM_Decide(benchmark::State& state) {
  BashRules rules = rules_of(static_cast<int>(state.range(0)));
  std::vector<Analysis> analyses;
  for (const std::string& c : corpus()) {
    AnalyzeResult r = analyze(c);
    if (auto* a = std::get_if<Analysis>(&r)) analyses.push_back(std::move(*a));
  }
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(judge(analyses[i++ % analyses.size()], rules));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_Decide)->Arg(10)->Arg(1000);

// One rule lookup for one simple command.
void BM_MatchOneCommand(benchmark::State& state) {
  BashRules rules = rules_of(static_cast<int>(state.range(0)));
  Command c;
  for (const char* w : {"git", "diff", "--stat", "HEAD~1"}) c.argv.push_back(Arg{w, true, false});
  for (auto _ : state) {
    benchmark::DoNotOptimize(rules.match(RuleList::Allow, c));
    benchmark::DoNotOptimize(rules.match(RuleList::Deny, c));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_MatchOneCommand)->Arg(10)->Arg(1000);

// Everything: parse, analyse, decide.
void BM_Judge(benchmark::State& state) {
  BashRules rules = rules_of(static_cast<int>(state.range(0)));
  const auto& cmds = corpus();
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(judge(cmds[i++ % cmds.size()], rules));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_Judge)->Arg(1000);

}  // namespace

BENCHMARK_MAIN();
