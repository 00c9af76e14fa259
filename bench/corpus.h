// The 413 labelled agent commands of tests/unit/shell_corpus.tsv, for the
// benchmarks: the command column only, with the file's newline marker
// (U+23CE) turned back into newlines.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace cordon::bench {

inline const std::vector<std::string>& corpus() {
  static const std::vector<std::string> commands = [] {
    std::vector<std::string> out;
    std::ifstream in(std::filesystem::path(__FILE__).parent_path() / ".." / "tests" / "unit" /
                     "shell_corpus.tsv");
    for (std::string line; std::getline(in, line);) {
      if (line.empty() || line[0] == '#') continue;
      std::string cmd = line.substr(line.find('\t') + 1);
      for (std::size_t at; (at = cmd.find("\xe2\x8f\x8e")) != std::string::npos;) {
        cmd.replace(at, 3, "\n");
      }
      out.push_back(cmd);
    }
    return out;
  }();
  return commands;
}

}  // namespace cordon::bench
