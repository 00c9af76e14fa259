// `cordon policy show`: the effective policy as TOML that parses again, each
// entry annotated with where it came from.
#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "policy/load.h"
#include "policy/pattern.h"
#include "policy/schema.h"

namespace cordon::policy {
namespace {

// Comments end at the newline; a source name must not start a new TOML line.
std::string comment_safe(std::string text) {
  for (char& c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = '?';
  }
  return text;
}

// A value as TOML: numbers bare (600, 1.5, and a size in plain bytes), the
// rest strings ("2G", "auto"), so that a size reads as it was written.
std::string toml_value(const Field& f, const std::string& text) {
  bool bytes = f.kind == FieldKind::Size && !text.empty() &&
               text.find_first_not_of("0123456789") == std::string::npos;
  bool bare = bytes || f.kind == FieldKind::Duration || f.kind == FieldKind::Count ||
              f.kind == FieldKind::Number;
  return bare ? text : toml_string(text);
}

// "resources.memory" -> its row, or nullptr.
const Field* field_named(std::string_view name) {
  size_t dot = name.find('.');
  if (dot == std::string_view::npos) return nullptr;
  return find_field(name.substr(0, dot), name.substr(dot + 1));
}

std::string where(const Origin& origin) { return comment_safe(origin_text(origin)); }

std::string source_line(const Source& s, bool project_trusted) {
  std::string line = fmt::format("#   {}", layer_name(s.layer));
  if (s.name != layer_name(s.layer)) line += ": " + comment_safe(s.name);
  if (s.layer == Layer::Project)
    line += project_trusted ? " (trusted)" : " (not trusted: may only tighten)";
  return line + "\n";
}

template <typename T, typename Text>
std::string toml_array(const std::vector<T>& values, Text text) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) out += (i > 0 ? ", " : "") + text(values[i]);
  return out + "]";
}

// [network.limits."HOST"] and [network.credentials.NAME], after the lists.
// A credential shows where its secret comes from, never the secret.
std::string network_tables(const Network& network) {
  std::string out;
  auto str = [](const std::string& v) { return toml_string(v); };
  for (const HostLimit& l : network.limits) {
    out += fmt::format("\n[network.limits.{}]  # {}\n", toml_string(l.host), where(l.origin));
    if (!l.ports.empty()) {
      out += "ports = " + toml_array(l.ports, [](uint16_t p) { return std::to_string(p); }) + "\n";
    }
    if (!l.methods.empty()) out += "methods = " + toml_array(l.methods, str) + "\n";
    if (!l.paths.empty()) out += "paths = " + toml_array(l.paths, str) + "\n";
  }
  for (const Credential& c : network.credentials) {
    out += fmt::format("\n[network.credentials.{}]  # {}\n", c.name, where(c.origin));
    if (!c.env.empty()) out += "env = " + toml_string(c.env) + "\n";
    if (!c.file.empty()) out += "file = " + toml_string(c.file) + "\n";
    out += "hosts = " + toml_array(c.hosts, str) + "\n";
    out += "header = " + toml_string(c.header) + "\n";
  }
  return out;
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
    if (!f.is_list()) {
      std::optional<std::pair<std::string, const Origin*>> value;
      if (const auto* n = number_value(effective, f.id); n != nullptr && *n) {
        value.emplace(toml_value(f, number_text(f, (*n)->value)), &(*n)->origin);
      } else if (const auto* c = choice_value(effective, f.id); c != nullptr && *c) {
        value.emplace(toml_string((*c)->value), &(*c)->origin);
      }
      if (value) {
        out += fmt::format("{} = {}  # {}\n", f.key, value->first, where(*value->second));
      } else {
        out += fmt::format("# {}: not set ({})\n", f.key, f.unset);
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
      items.push_back(toml_string(e.value) + ",");
      width = std::max(width, items.back().size());
    }
    out += fmt::format("{} = [\n", f.key);
    for (size_t i = 0; i < list.size(); ++i) {
      out += fmt::format("  {:<{}}  # {}\n", items[i], width, where(list[i].origin));
    }
    out += "]\n";
  }
  out += network_tables(effective.network);
  if (!effective.notes.empty()) out += "\n# Notes:\n";
  for (const std::string& n : effective.notes) out += "# " + comment_safe(n) + "\n";
  if (!effective.ignored.empty()) out += "\n# Not applied:\n";
  for (const Ignored& i : effective.ignored) {
    const Field* f = field_named(i.field);
    std::string value = f != nullptr ? toml_value(*f, i.value) : toml_string(i.value);
    out += fmt::format("# ignored ({}): {} = {}  # {}\n", comment_safe(i.reason), i.field,
                       comment_safe(value), where(i.origin));
  }
  return out;
}

}  // namespace cordon::policy
