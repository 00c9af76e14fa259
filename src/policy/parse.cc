// Parsing one policy file: toml++ reads the syntax, this file checks the
// schema (schema.h) and every value, and turns each problem into
// "FILE:LINE:COL: what was expected" at the exact node that caused it.
#include <fmt/format.h>

#include <toml++/toml.h>
#include <algorithm>
#include <cmath>

#include "policy/load.h"
#include "policy/network.h"
#include "policy/pattern.h"
#include "policy/schema.h"

namespace cordon::policy {
namespace {

const char* type_name(toml::node_type type) {
  switch (type) {
    case toml::node_type::none: return "nothing";
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
  }
  return "a value";
}

std::string section_list() {
  std::string out;
  auto all = sections();
  for (size_t i = 0; i < all.size(); ++i) {
    if (i > 0) out += i + 1 == all.size() ? " or " : ", ";
    out += fmt::format("[{}]", all[i]);
  }
  return out;
}

std::string key_list(std::string_view section) {
  std::string out = section == "network" ? "limits, credentials" : "";
  for (const Field& f : fields()) {
    if (f.section != section) continue;
    if (!out.empty()) out += ", ";
    out += f.key;
  }
  return out;
}

class Parser {
 public:
  Parser(const std::string& source, Layer layer) : source_(source), layer_(layer) {}

  Error error_at(const toml::source_position& where, std::string_view what) const {
    return plain_error(fmt::format("{}:{}:{}: {}", source_, where.line, where.column, what));
  }

  Origin origin_at(const toml::source_position& where) const {
    return Origin{layer_, source_, static_cast<int>(where.line), static_cast<int>(where.column)};
  }

  Status document(const toml::table& doc, Policy& out) const {
    for (const auto& [key, node] : in_source_order(doc)) {
      std::string_view name = key->str();
      bool known = std::find(sections().begin(), sections().end(), name) != sections().end();
      if (!known) {
        // A key that belongs in a section, written above every header, gets a hint.
        for (const Field& f : fields()) {
          if (f.key == name) {
            return error_at(
                key->source().begin,
                fmt::format("expected \"{}\" inside [{}], not at the top level", name, f.section));
          }
        }
        return error_at(key->source().begin,
                        fmt::format("unknown section [{}]; expected {}", name, section_list()));
      }
      const toml::table* table = node->as_table();
      if (table == nullptr) {
        return error_at(node->source().begin, fmt::format("expected a table [{}], got {}", name,
                                                          type_name(node->type())));
      }
      CORDON_TRY(section(name, *table, out));
    }
    return ok_status();
  }

 private:
  using Item = std::pair<const toml::key*, const toml::node*>;

  // toml::table iterates by key order; errors must name the first problem in
  // the file, and entries must keep the order the author wrote.
  static std::vector<Item> in_source_order(const toml::table& table) {
    std::vector<Item> items;
    for (const auto& [key, node] : table) items.emplace_back(&key, &node);
    std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
      const auto& pa = a.first->source().begin;
      const auto& pb = b.first->source().begin;
      return pa.line != pb.line ? pa.line < pb.line : pa.column < pb.column;
    });
    return items;
  }

  Status section(std::string_view name, const toml::table& table, Policy& out) const {
    for (const auto& [key, node] : in_source_order(table)) {
      if (name == "network" && (key->str() == "limits" || key->str() == "credentials")) {
        CORDON_TRY(network_table(key->str(), *node, out));
        continue;
      }
      const Field* f = find_field(name, key->str());
      if (f == nullptr) {
        return error_at(key->source().begin,
                        fmt::format("unknown key \"{}\" in [{}]; expected one of {}", key->str(),
                                    name, key_list(name)));
      }
      CORDON_TRY(value(*f, *node, out));
    }
    return ok_status();
  }

  Status value(const Field& f, const toml::node& node, Policy& out) const {
    if (f.kind == FieldKind::Duration) return timeout(f, node, out);
    if (f.is_number()) return number(f, node, out);
    if (f.kind == FieldKind::Choice) return choice(f, node, out);
    if (const toml::table* t = node.as_table(); t != nullptr && f.kind == FieldKind::ResolveList) {
      return resolve_table(f, *t, out);
    }
    const toml::array* array = node.as_array();
    if (array == nullptr) {
      return error_at(node.source().begin, fmt::format("{}: expected an array of strings, got {}",
                                                       f.name(), type_name(node.type())));
    }
    PatternList& list = *pattern_list(out, f.id);
    for (const toml::node& element : *array) {
      const auto* text = element.as_string();
      if (text == nullptr) {
        return error_at(element.source().begin, fmt::format("{}: expected a string, got {}",
                                                            f.name(), type_name(element.type())));
      }
      const std::string& entry = text->get();
      Status valid = check_list_entry(f, entry);
      if (!valid) {
        return error_at(element.source().begin,
                        fmt::format("{}: {}", f.name(), valid.error().message));
      }
      list.push_back({entry, origin_at(element.source().begin)});
    }
    return ok_status();
  }

  Status timeout(const Field& f, const toml::node& node, Policy& out) const {
    std::optional<double> seconds;
    if (const auto* i = node.as_integer()) {
      int64_t v = i->get();
      if (v > 0 && static_cast<double>(v) <= kMaxTimeoutSeconds) seconds = static_cast<double>(v);
    } else if (const auto* d = node.as_floating_point()) {
      double v = d->get();
      if (std::isfinite(v) && v > 0 && v <= kMaxTimeoutSeconds) seconds = v;
    } else if (const auto* s = node.as_string()) {
      seconds = parse_duration(s->get());
    } else {
      return error_at(node.source().begin,
                      fmt::format("{}: expected a number of seconds or a duration string, got {}",
                                  f.name(), type_name(node.type())));
    }
    if (!seconds) {
      return error_at(node.source().begin, fmt::format("{}: {}", f.name(), kDurationExpected));
    }
    out.process.timeout_seconds = Entry<double>{*seconds, origin_at(node.source().begin)};
    return ok_status();
  }

  // Sizes (an integer of bytes or "512M"), counts (integers) and numbers
  // (integers or floats). A value of a type the field never takes says what
  // it got; a value of the right type out of range says what is accepted.
  Status number(const Field& f, const toml::node& node, Policy& out) const {
    const toml::source_position& at = node.source().begin;
    std::optional<double> value;
    bool right_type = true;
    if (const auto* i = node.as_integer()) {
      // Compared as integers first: a huge int64 must not round into range.
      int64_t v = i->get();
      if (v >= 1 && v <= (int64_t{1} << 53)) value = static_cast<double>(v);
      if (value && !accepts_number(f, *value)) value.reset();
    } else if (const auto* d = node.as_floating_point();
               d != nullptr && f.kind == FieldKind::Number) {
      if (accepts_number(f, d->get())) value = d->get();
    } else if (const auto* s = node.as_string(); s != nullptr && f.kind == FieldKind::Size) {
      value = parse_size(s->get());
    } else {
      right_type = false;
    }
    if (!right_type) {
      std::string expected =
          f.kind == FieldKind::Size
              ? "expected a number of bytes or a size string (\"512M\", \"1.5G\")"
              : expected_value(f);
      return error_at(at,
                      fmt::format("{}: {}, got {}", f.name(), expected, type_name(node.type())));
    }
    if (!value) return error_at(at, fmt::format("{}: {}", f.name(), expected_value(f)));
    *number_value(out, f.id) = Entry<double>{*value, origin_at(at)};
    return ok_status();
  }

  Status choice(const Field& f, const toml::node& node, Policy& out) const {
    const toml::source_position& at = node.source().begin;
    const auto* text = node.as_string();
    if (text == nullptr) {
      return error_at(
          at, fmt::format("{}: {}, got {}", f.name(), expected_value(f), type_name(node.type())));
    }
    if (choice_rank(f, text->get()) < 0) {
      return error_at(at, fmt::format("{}: {}", f.name(), expected_value(f)));
    }
    *choice_value(out, f.id) = Entry<std::string>{text->get(), origin_at(at)};
    return ok_status();
  }

  // [network.resolve] as a table: { "name" = "address" }.
  Status resolve_table(const Field& f, const toml::table& table, Policy& out) const {
    for (const auto& [key, node] : in_source_order(table)) {
      const auto* address = node->as_string();
      if (address == nullptr) {
        return error_at(node->source().begin,
                        fmt::format("{}.\"{}\": expected an address string, got {}", f.name(),
                                    key->str(), type_name(node->type())));
      }
      std::string entry = fmt::format("{}={}", key->str(), address->get());
      Status valid = check_resolve_entry(entry);
      if (!valid) {
        return error_at(key->source().begin,
                        fmt::format("{}: {}", f.name(), valid.error().message));
      }
      out.network.resolve.push_back({entry, origin_at(key->source().begin)});
    }
    return ok_status();
  }

  // An array of strings, each checked; errors point at the element.
  Result<std::vector<std::string>> strings(std::string_view name, const toml::node& node,
                                           Status (*check)(std::string_view)) const {
    const toml::array* array = node.as_array();
    if (array == nullptr) {
      return error_at(node.source().begin, fmt::format("{}: expected an array of strings, got {}",
                                                       name, type_name(node.type())));
    }
    std::vector<std::string> out;
    for (const toml::node& element : *array) {
      const auto* text = element.as_string();
      if (text == nullptr) {
        return error_at(element.source().begin, fmt::format("{}: expected a string, got {}", name,
                                                            type_name(element.type())));
      }
      Status valid = check(text->get());
      if (!valid) {
        return error_at(element.source().begin, fmt::format("{}: {}", name, valid.error().message));
      }
      out.push_back(text->get());
    }
    return out;
  }

  Result<std::string> string(std::string_view name, const toml::node& node,
                             Status (*check)(std::string_view)) const {
    const auto* text = node.as_string();
    if (text == nullptr) {
      return error_at(node.source().begin,
                      fmt::format("{}: expected a string, got {}", name, type_name(node.type())));
    }
    Status valid = check(text->get());
    if (!valid) {
      return error_at(node.source().begin, fmt::format("{}: {}", name, valid.error().message));
    }
    return text->get();
  }

  static Status any_text(std::string_view text) {
    for (char c : text) {
      auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f) return plain_error("expected no control bytes");
    }
    if (text.empty()) return plain_error("expected a non-empty string");
    return ok_status();
  }

  // [network.limits."HOST"] ports/methods/paths and
  // [network.credentials.NAME] env/file/hosts/header.
  Status network_table(std::string_view which, const toml::node& node, Policy& out) const {
    const toml::table* table = node.as_table();
    if (table == nullptr) {
      return error_at(node.source().begin, fmt::format("network.{}: expected a table, got {}",
                                                       which, type_name(node.type())));
    }
    for (const auto& [key, entry_node] : in_source_order(*table)) {
      const std::string name = fmt::format("network.{}.\"{}\"", which, key->str());
      const toml::table* entry = entry_node->as_table();
      if (entry == nullptr) {
        return error_at(
            entry_node->source().begin,
            fmt::format("{}: expected a table, got {}", name, type_name(entry_node->type())));
      }
      if (which == "limits") {
        CORDON_TRY(limit(name, key->str(), key->source().begin, *entry, out));
      } else {
        CORDON_TRY(credential(name, key->str(), key->source().begin, *entry, out));
      }
    }
    return ok_status();
  }

  Status limit(const std::string& name, std::string_view host, const toml::source_position& at,
               const toml::table& entry, Policy& out) const {
    Status valid = check_host_pattern(host);
    if (!valid) return error_at(at, fmt::format("{}: {}", name, valid.error().message));
    HostLimit l;
    l.host = std::string(host);
    l.origin = origin_at(at);
    for (const auto& [key, node] : in_source_order(entry)) {
      const std::string field = name + "." + std::string(key->str());
      if (key->str() == "ports") {
        const toml::array* array = node->as_array();
        if (array == nullptr) {
          return error_at(node->source().begin,
                          fmt::format("{}: expected an array of port numbers", field));
        }
        for (const toml::node& p : *array) {
          const auto* i = p.as_integer();
          if (i == nullptr || i->get() < 1 || i->get() > 65535) {
            return error_at(p.source().begin,
                            fmt::format("{}: expected a port number from 1 to 65535", field));
          }
          l.ports.push_back(static_cast<uint16_t>(i->get()));
        }
      } else if (key->str() == "methods") {
        auto methods = strings(field, *node, check_method);
        if (!methods) return methods.error();
        l.methods = std::move(*methods);
      } else if (key->str() == "paths") {
        auto paths = strings(field, *node, check_path_prefix);
        if (!paths) return paths.error();
        l.paths = std::move(*paths);
      } else {
        return error_at(
            key->source().begin,
            fmt::format("unknown key \"{}\" in {}; expected one of ports, methods, paths",
                        key->str(), name));
      }
    }
    out.network.limits.push_back(std::move(l));
    return ok_status();
  }

  Status credential(const std::string& name, std::string_view variable,
                    const toml::source_position& at, const toml::table& entry, Policy& out) const {
    Status valid = check_variable_name(variable);
    if (!valid) return error_at(at, fmt::format("{}: {}", name, valid.error().message));
    Credential c;
    c.name = std::string(variable);
    c.origin = origin_at(at);
    for (const auto& [key, node] : in_source_order(entry)) {
      const std::string field = name + "." + std::string(key->str());
      if (key->str() == "env") {
        auto v = string(field, *node, check_variable_name);
        if (!v) return v.error();
        c.env = std::move(*v);
      } else if (key->str() == "file") {
        auto v = string(field, *node, any_text);
        if (!v) return v.error();
        if (!v->starts_with("/") && !v->starts_with("~/")) {
          return error_at(node->source().begin,
                          fmt::format("{}: expected an absolute or \"~/\" path", field));
        }
        c.file = std::move(*v);
      } else if (key->str() == "hosts") {
        auto v = strings(field, *node, check_host_pattern);
        if (!v) return v.error();
        c.hosts = std::move(*v);
      } else if (key->str() == "header") {
        auto v = string(field, *node, check_header_name);
        if (!v) return v.error();
        c.header = std::move(*v);
      } else {
        return error_at(
            key->source().begin,
            fmt::format("unknown key \"{}\" in {}; expected one of env, file, hosts, header",
                        key->str(), name));
      }
    }
    if (c.env.empty() == c.file.empty()) {
      return error_at(at, fmt::format("{}: expected exactly one of env or file", name));
    }
    if (c.hosts.empty()) {
      return error_at(
          at, fmt::format("{}: expected hosts = [\"...\"], the hosts that receive it", name));
    }
    out.network.credentials.push_back(std::move(c));
    return ok_status();
  }

  const std::string& source_;
  Layer layer_;
};

}  // namespace

Result<Policy> parse_policy(std::string_view text, const std::string& source_name, Layer layer) {
  Parser parser(source_name, layer);
  toml::table doc;
  try {
    doc = toml::parse(text, std::string_view(source_name));
  } catch (const toml::parse_error& e) {
    // toml++ says what it expected ("Error while parsing ...: expected ..."),
    // at the exact position; keep its words and put our location format first.
    return parser.error_at(e.source().begin, e.description());
  }
  Policy policy;
  policy.sources.push_back({layer, source_name});
  CORDON_TRY(parser.document(doc, policy));
  return policy;
}

}  // namespace cordon::policy
