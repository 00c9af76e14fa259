#include "policy/edit.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <toml++/toml.h>
#include <algorithm>
#include <cerrno>
#include <fstream>
#include <sstream>

#include "policy/load.h"
#include "policy/pattern.h"

namespace cordon::policy {
namespace {

// Byte offset of the start of 1-based `line`, or npos.
size_t line_start(std::string_view text, size_t line) {
  size_t at = 0;
  for (size_t l = 1; l < line; ++l) {
    at = text.find('\n', at);
    if (at == std::string_view::npos) return at;
    ++at;
  }
  return at;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::string line_at(std::string_view text, size_t start) {
  size_t end = text.find('\n', start);
  return std::string(
      text.substr(start, end == std::string_view::npos ? text.size() - start : end - start));
}

}  // namespace

Result<std::string> with_allowed_host(std::string_view text, const std::string& source,
                                      std::string_view host, std::string_view comment) {
  toml::table doc;
  try {
    doc = toml::parse(text, std::string_view(source));
  } catch (const toml::parse_error& e) {
    return plain_error(fmt::format("{}:{}:{}: {}", source, e.source().begin.line,
                                   e.source().begin.column, e.description()));
  }
  std::string out(text);
  const std::string entry = toml_string(host);
  const std::string note = comment.empty() ? "" : fmt::format("  # {}", comment);
  const toml::node* network = doc.get("network");
  auto append_section = [&]() {
    if (!out.empty() && out.back() != '\n') out += '\n';
    out += fmt::format("\n[network]\nallow = [{}]{}\n", entry, note);
  };
  if (network == nullptr) {
    append_section();
  } else {
    const toml::table* table = network->as_table();
    if (table == nullptr || table->is_inline()) {
      return plain_error(
          fmt::format("{}:{}:{}: [network] is not a table cordon can edit; add {} "
                      "to network.allow by hand",
                      source, network->source().begin.line, network->source().begin.column, entry));
    }
    const toml::node* allow = table->get("allow");
    if (allow == nullptr) {
      size_t header = line_start(out, network->source().begin.line);
      if (header == std::string::npos || trim(line_at(out, header)) != "[network]") {
        // [network] exists only through [network.limits...] or dotted
        // keys: a [network] header of its own may still be added.
        append_section();
      } else {
        size_t next = out.find('\n', header);
        if (next == std::string::npos) {
          out += '\n';
          next = out.size() - 1;
        }
        out.insert(next + 1, fmt::format("allow = [{}]{}\n", entry, note));
      }
    } else {
      const toml::array* array = allow->as_array();
      if (array == nullptr) {
        return plain_error(fmt::format("{}:{}:{}: network.allow is not an array", source,
                                       allow->source().begin.line, allow->source().begin.column));
      }
      // The "[" of the array: the first one after "allow" on its line.
      size_t at = line_start(out, allow->source().begin.line);
      size_t key = at == std::string::npos ? at : out.find("allow", at);
      size_t eq = key == std::string::npos ? key : out.find('=', key);
      size_t open = eq == std::string::npos ? eq : out.find('[', eq);
      size_t eol = at == std::string::npos ? at : out.find('\n', at);
      if (open == std::string::npos || (eol != std::string::npos && open > eol)) {
        return plain_error(
            fmt::format("{}:{}: cannot find the \"[\" of network.allow; add {} "
                        "by hand",
                        source, allow->source().begin.line, entry));
      }
      out.insert(open + 1, array->empty() ? entry : entry + ", ");
    }
  }
  // The edit must leave a valid policy that allows the host.
  auto check = parse_policy(out, source, Layer::User);
  if (!check.ok()) {
    return plain_error("editing " + source + " would break it: " + check.error().message);
  }
  bool added = std::any_of(check->network.allow.begin(), check->network.allow.end(),
                           [&](const auto& e) { return e.value == host; });
  if (!added) return plain_error("editing " + source + " did not add " + entry);
  return out;
}

Status add_allowed_host(const std::string& path, std::string_view host, std::string_view comment) {
  std::string text;
  if (std::ifstream in(path); in) {
    std::ostringstream buf;
    buf << in.rdbuf();
    text = buf.str();
  } else if (errno != ENOENT) {
    return sys_error("read " + path);
  }
  auto edited = with_allowed_host(text, path, host, comment);
  if (!edited.ok()) return edited.error();
  // Create the directory chain (~/.config/cordon) as the user would.
  for (size_t slash = path.find('/', 1); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    std::string dir = path.substr(0, slash);
    if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return sys_error("create " + dir);
  }
  const std::string tmp = path + ".cordon-tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return sys_error("write " + tmp);
  const std::string& data = *edited;
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Error e = sys_error("write " + tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return e;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    Error e = sys_error("write " + tmp);
    ::unlink(tmp.c_str());
    return e;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Error e = sys_error("replace " + path);
    ::unlink(tmp.c_str());
    return e;
  }
  return ok_status();
}

}  // namespace cordon::policy
