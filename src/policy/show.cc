// `cordon policy show`: the effective policy as TOML that parses again, each
// entry annotated with where it came from.
#include <fmt/format.h>

#include <algorithm>

#include "policy/load.h"
#include "policy/schema.h"

namespace cordon::policy {
namespace {

// A TOML basic string. Patterns hold no control bytes (the parser refuses
// them), but escape them anyway so that the output is TOML whatever it holds.
std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\u{:04x}", u);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// Comments end at the newline; a source name must not start a new TOML line.
std::string comment_safe(std::string text) {
  for (char& c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = '?';
  }
  return text;
}

std::string where(const Origin& origin) { return comment_safe(origin_text(origin)); }

std::string source_line(const Source& s, bool project_trusted) {
  std::string line = fmt::format("#   {}", layer_name(s.layer));
  if (s.name != layer_name(s.layer)) line += ": " + comment_safe(s.name);
  if (s.layer == Layer::Project)
    line += project_trusted ? " (trusted)" : " (not trusted: may only tighten)";
  return line + "\n";
}

}  // namespace

std::string show(const Policy& effective) {
  std::string out = "# cordon effective policy\n";
  if (!effective.sources.empty()) {
    out += "# layers, lowest first:\n";
    for (const Source& s : effective.sources) out += source_line(s, effective.project_trusted);
  }
  std::string_view current_section;
  for (const Field& f : fields()) {
    if (f.section != current_section) {
      current_section = f.section;
      out += fmt::format("\n[{}]\n", f.section);
    }
    if (f.kind == FieldKind::Duration) {
      const auto& t = effective.process.timeout_seconds;
      if (t) {
        out += fmt::format("{} = {}  # {}\n", f.key, t->value, where(t->origin));
      } else {
        out += fmt::format("# {}: not set (no wall-clock limit)\n", f.key);
      }
      continue;
    }
    const PatternList& list = *pattern_list(effective, f.id);
    if (list.empty()) {
      out += fmt::format("{} = []\n", f.key);
      continue;
    }
    // Origins in one column, so that a long list reads as a table.
    std::vector<std::string> items;
    size_t width = 0;
    for (const auto& e : list) {
      items.push_back(quoted(e.value) + ",");
      width = std::max(width, items.back().size());
    }
    out += fmt::format("{} = [\n", f.key);
    for (size_t i = 0; i < list.size(); ++i) {
      out += fmt::format("  {:<{}}  # {}\n", items[i], width, where(list[i].origin));
    }
    out += "]\n";
  }
  if (!effective.ignored.empty()) out += "\n# Not applied:\n";
  const std::string timeout_name = field(FieldId::Timeout).name();
  for (const Ignored& i : effective.ignored) {
    std::string value = i.field == timeout_name ? i.value : quoted(i.value);
    out += fmt::format("# ignored ({}): {} = {}  # {}\n", comment_safe(i.reason), i.field,
                       comment_safe(value), where(i.origin));
  }
  return out;
}

}  // namespace cordon::policy
