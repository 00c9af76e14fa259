#include "policy/network.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "egress/host.h"

namespace cordon::policy {
namespace {

std::optional<uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || text.size() > 5 || ec != std::errc() || p != end || value == 0 ||
      value > 65535 || text[0] == '0') {
    return std::nullopt;
  }
  return static_cast<uint16_t>(value);
}

// Narrows an allowed set by another layer's. An empty list means "any"; two
// disjoint sets leave nothing, written as the one value no request has
// (port 0, the empty method, a path prefix with a control byte), because an
// empty list would read as "any" again.
template <typename T>
void narrow(std::vector<T>& into, const std::vector<T>& by, const T& nothing) {
  if (by.empty()) return;
  if (into.empty()) {
    into = by;
    return;
  }
  std::vector<T> out;
  for (const T& x : into) {
    if (std::find(by.begin(), by.end(), x) != by.end()) out.push_back(x);
  }
  if (out.empty()) out.push_back(nothing);
  into = std::move(out);
}

// A path matches both sets when it has a prefix in each: keep each prefix
// of one set that lies under a prefix of the other.
void narrow_prefixes(std::vector<std::string>& into, const std::vector<std::string>& by) {
  if (by.empty()) return;
  if (into.empty()) {
    into = by;
    return;
  }
  std::vector<std::string> out;
  auto add_under = [&](const std::vector<std::string>& from, const std::vector<std::string>& of) {
    for (const auto& x : from) {
      bool under =
          std::any_of(of.begin(), of.end(), [&](const auto& y) { return x.starts_with(y); });
      if (under && std::find(out.begin(), out.end(), x) == out.end()) out.push_back(x);
    }
  };
  add_under(into, by);
  add_under(by, into);
  if (out.empty()) out.emplace_back("\x01");
  into = std::move(out);
}

}  // namespace

Result<HostPattern> parse_host_pattern(std::string_view text) {
  HostPattern out;
  std::string_view host = text;
  if (text.empty()) return plain_error("expected a host name or \"*.domain\"; got \"\"");
  if (text.front() == '[') {
    // "[v6]" or "[v6]:port"
    size_t close = text.find(']');
    if (close == std::string_view::npos) {
      return plain_error(fmt::format("\"{}\": \"[\" without \"]\"", text));
    }
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':' || !(out.port = parse_port(rest.substr(1)))) {
        return plain_error(
            fmt::format("\"{}\": expected \":PORT\" (1 to 65535) after \"]\"", text));
      }
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    size_t colon = text.find(':');
    host = text.substr(0, colon);
    if (!(out.port = parse_port(text.substr(colon + 1)))) {
      return plain_error(fmt::format("\"{}\": expected a port from 1 to 65535 after \":\"", text));
    }
  }
  auto canonical = egress::canonical_pattern(host);
  if (!canonical) return canonical.error();
  out.host = std::move(*canonical);
  return out;
}

Status check_host_pattern(std::string_view text) {
  auto parsed = parse_host_pattern(text);
  if (!parsed) return parsed.error();
  return ok_status();
}

Result<egress::Cidr> parse_address_range(std::string_view text) {
  return egress::Cidr::parse(text);
}

Status check_address_range(std::string_view text) {
  auto parsed = parse_address_range(text);
  if (!parsed) return parsed.error();
  return ok_status();
}

Result<std::pair<std::string, egress::IpAddress>> parse_resolve_entry(std::string_view text) {
  size_t eq = text.find('=');
  if (eq == std::string_view::npos) {
    return plain_error(fmt::format("\"{}\": expected NAME=ADDRESS", text));
  }
  auto name = egress::canonical_host(text.substr(0, eq));
  if (!name) return name.error();
  if (egress::is_ip_literal(*name)) {
    return plain_error(fmt::format("\"{}\": the name to resolve is already an address", text));
  }
  auto address = egress::IpAddress::parse(text.substr(eq + 1));
  if (!address) {
    return plain_error(fmt::format("\"{}\": expected an IPv4 or IPv6 address after \"=\"", text));
  }
  return std::make_pair(std::move(*name), *address);
}

Status check_resolve_entry(std::string_view text) {
  auto parsed = parse_resolve_entry(text);
  if (!parsed) return parsed.error();
  return ok_status();
}

Status check_method(std::string_view method) {
  bool token = !method.empty() && method.size() <= 32 &&
               std::all_of(method.begin(), method.end(),
                           [](char c) { return (c >= 'A' && c <= 'Z') || c == '-' || c == '_'; });
  if (!token) {
    return plain_error(
        fmt::format("\"{}\": expected an HTTP method in upper case (\"GET\", \"POST\")", method));
  }
  return ok_status();
}

Status check_path_prefix(std::string_view path) {
  bool printable = std::all_of(path.begin(), path.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u != 0x7f;
  });
  if (path.empty() || path.front() != '/' || !printable) {
    return plain_error(fmt::format(
        "\"{}\": expected a path prefix starting with \"/\", without spaces or control bytes",
        path));
  }
  return ok_status();
}

Status check_header_name(std::string_view name) {
  bool token = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
  if (!token) return plain_error(fmt::format("\"{}\": expected a header name", name));
  return ok_status();
}

Status check_variable_name(std::string_view name) {
  bool ok = !name.empty() && !(name[0] >= '0' && name[0] <= '9') &&
            std::all_of(name.begin(), name.end(), [](char c) {
              return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     c == '_';
            });
  if (!ok) {
    return plain_error(
        fmt::format("\"{}\": expected an environment variable name (letters, digits, _)", name));
  }
  return ok_status();
}

void merge_network_tables(const std::vector<Policy>& layers, bool trust_project, Policy& out) {
  for (const Policy& layer : layers) {
    for (const HostLimit& l : layer.network.limits) out.network.limits.push_back(l);
  }
  for (const Policy& layer : layers) {
    for (const Credential& c : layer.network.credentials) {
      const std::string field = "network.credentials." + c.name;
      if (c.origin.layer == Layer::Project && !trust_project) {
        out.ignored.push_back({field, c.name, c.origin, "project not trusted"});
        continue;
      }
      auto same = std::find_if(out.network.credentials.begin(), out.network.credentials.end(),
                               [&](const Credential& x) { return x.name == c.name; });
      if (same == out.network.credentials.end()) {
        out.network.credentials.push_back(c);
        continue;
      }
      // Layers come lowest first: this one replaces the earlier binding.
      out.ignored.push_back(
          {field, same->name, same->origin, fmt::format("replaced by {}", origin_text(c.origin))});
      *same = c;
    }
  }
}

egress::Rules egress_rules(const Network& network) {
  egress::Rules rules;
  // Limits narrow what allow and ask let through; on a deny entry they would
  // narrow the denial, so they are not applied there.
  auto convert = [&](const PatternList& list, std::vector<egress::HostRule>& into,
                     bool limited_by_limits) {
    for (const auto& e : list) {
      auto pattern = parse_host_pattern(e.value);
      if (!pattern) continue;  // the parser and the flags refused it already
      egress::HostRule rule;
      rule.pattern = pattern->host;
      if (pattern->port) rule.ports = {*pattern->port};
      rule.origin = fmt::format("{} ({})", e.value, origin_text(e.origin));
      for (const HostLimit& l : network.limits) {
        if (!limited_by_limits) break;
        auto limited = parse_host_pattern(l.host);
        if (!limited || limited->host != pattern->host) continue;
        narrow(rule.ports, l.ports, uint16_t{0});
        if (limited->port) narrow(rule.ports, {*limited->port}, uint16_t{0});
        narrow(rule.methods, l.methods, std::string());
        narrow_prefixes(rule.path_prefixes, l.paths);
      }
      into.push_back(std::move(rule));
    }
  };
  convert(network.allow, rules.allow, true);
  convert(network.deny, rules.deny, false);
  convert(network.ask, rules.ask, true);
  for (const auto& e : network.open_ranges) {
    if (auto range = parse_address_range(e.value)) rules.open_ranges.push_back(*range);
  }
  return rules;
}

std::vector<std::pair<std::string, egress::IpAddress>> egress_overrides(const Network& network) {
  std::vector<std::pair<std::string, egress::IpAddress>> out;
  for (const auto& e : network.resolve) {
    if (auto entry = parse_resolve_entry(e.value)) out.push_back(std::move(*entry));
  }
  return out;
}

}  // namespace cordon::policy
