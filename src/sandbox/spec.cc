#include "sandbox/spec.h"

#include <cstring>
#include <optional>
#include <type_traits>

namespace cordon::sandbox {

const char* mount_kind_name(MountKind kind) {
  switch (kind) {
    case MountKind::ReadOnly: return "read-only";
    case MountKind::ReadWrite: return "read-write";
    case MountKind::Protected: return "protected";
    case MountKind::Pin: return "pin";
    case MountKind::HideDir: return "hidden-dir";
    case MountKind::HideFile: return "hidden-file";
    case MountKind::Tmpfs: return "tmpfs";
  }
  return "?";
}

namespace {

// Fixed-width native-endian integers, length-prefixed strings and vectors:
// both ends are the same binary on the same machine, so no portability is
// needed, only exact bounds checks on the way in.
class Writer {
 public:
  template <typename T>
  void num(T v) {
    static_assert(std::is_integral_v<T>);
    out_.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  void flag(bool b) { num<uint8_t>(b ? 1 : 0); }
  void str(const std::string& s) {
    num<uint32_t>(static_cast<uint32_t>(s.size()));
    out_ += s;
  }
  void strs(const std::vector<std::string>& v) {
    num<uint32_t>(static_cast<uint32_t>(v.size()));
    for (const auto& s : v) str(s);
  }
  void limit(const std::optional<rlim_t>& l) {
    flag(l.has_value());
    num<uint64_t>(l.value_or(0));
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] bool at_end() const { return ok_ && in_.empty(); }

  template <typename T>
  T num() {
    T v{};
    if (!take(sizeof v)) return v;
    std::memcpy(&v, in_.data() - sizeof v, sizeof v);
    return v;
  }
  bool flag() {
    auto b = num<uint8_t>();
    if (b > 1) ok_ = false;
    return b == 1;
  }
  std::string str() {
    auto n = num<uint32_t>();
    if (!take(n)) return {};
    return std::string(in_.data() - n, n);
  }
  std::vector<std::string> strs() {
    std::vector<std::string> v;
    // Each string takes at least its 4-byte length.
    for (uint32_t i = 0, n = count(4); ok_ && i < n; ++i) v.push_back(str());
    return v;
  }
  std::optional<rlim_t> limit() {
    bool set = flag();
    auto v = num<uint64_t>();
    return set ? std::optional<rlim_t>(static_cast<rlim_t>(v)) : std::nullopt;
  }
  // A count of items, each at least `min_item_size` bytes: one beyond what
  // is left is malformed (and must not reserve gigabytes).
  uint32_t count(size_t min_item_size) {
    auto n = num<uint32_t>();
    if (n > in_.size() / min_item_size) ok_ = false;
    return ok_ ? n : 0;
  }

 private:
  bool take(size_t n) {
    if (!ok_ || in_.size() < n) {
      ok_ = false;
      return false;
    }
    in_.remove_prefix(n);
    return true;
  }
  std::string_view in_;
  bool ok_ = true;
};

// Bumped whenever the layout below changes.
constexpr uint32_t kWireVersion = 1;

}  // namespace

std::string encode_for_child(const Spec& spec) {
  Writer w;
  w.num(kWireVersion);
  w.strs(spec.argv);
  w.strs(spec.envp);
  w.str(spec.workspace);
  w.str(spec.cwd);
  w.num<uint32_t>(static_cast<uint32_t>(spec.mounts.size()));
  for (const auto& m : spec.mounts) {
    w.num<uint8_t>(static_cast<uint8_t>(m.kind));
    w.str(m.path);
  }
  w.num<uint32_t>(static_cast<uint32_t>(spec.symlinks.size()));
  for (const auto& l : spec.symlinks) {
    w.str(l.path);
    w.str(l.target);
  }
  w.num<uint64_t>(spec.tmpfs_bytes);
  const RlimitSettings& r = spec.rlimits;
  for (const auto* l : {&r.core, &r.file_size, &r.open_files, &r.processes, &r.cpu_seconds})
    w.limit(*l);
  w.flag(spec.landlock);
  const LandlockRules& ll = spec.landlock_rules;
  w.strs(ll.read_paths);
  w.strs(ll.write_paths);
  w.strs(ll.device_paths);
  w.flag(ll.restrict_tcp);
  for (const auto* ports : {&ll.tcp_connect_ports, &ll.tcp_bind_ports}) {
    w.num<uint32_t>(static_cast<uint32_t>(ports->size()));
    for (uint16_t p : *ports) w.num(p);
  }
  w.flag(ll.scope_abstract_unix);
  w.flag(ll.scope_signals);
  w.flag(ll.log_denials_after_exec);
  w.num<int32_t>(ll.min_abi);
  w.flag(spec.egress);
  return w.take();
}

Result<Spec> decode_for_child(std::string_view bytes) {
  Reader r(bytes);
  Spec spec;
  if (r.num<uint32_t>() != kWireVersion)
    return plain_error("the plan from the supervisor has another layout");
  spec.argv = r.strs();
  spec.envp = r.strs();
  spec.workspace = r.str();
  spec.cwd = r.str();
  for (uint32_t i = 0, n = r.count(5); i < n && r.ok(); ++i) {
    auto kind = r.num<uint8_t>();
    if (kind > static_cast<uint8_t>(MountKind::Tmpfs)) return plain_error("bad mount kind in plan");
    spec.mounts.push_back({static_cast<MountKind>(kind), r.str()});
  }
  for (uint32_t i = 0, n = r.count(8); i < n && r.ok(); ++i) {
    Symlink l;
    l.path = r.str();
    l.target = r.str();
    spec.symlinks.push_back(std::move(l));
  }
  spec.tmpfs_bytes = r.num<uint64_t>();
  RlimitSettings& rl = spec.rlimits;
  for (auto* l : {&rl.core, &rl.file_size, &rl.open_files, &rl.processes, &rl.cpu_seconds})
    *l = r.limit();
  spec.landlock = r.flag();
  LandlockRules& ll = spec.landlock_rules;
  ll.read_paths = r.strs();
  ll.write_paths = r.strs();
  ll.device_paths = r.strs();
  ll.restrict_tcp = r.flag();
  for (auto* ports : {&ll.tcp_connect_ports, &ll.tcp_bind_ports})
    for (uint32_t i = 0, n = r.count(2); i < n && r.ok(); ++i) ports->push_back(r.num<uint16_t>());
  ll.scope_abstract_unix = r.flag();
  ll.scope_signals = r.flag();
  ll.log_denials_after_exec = r.flag();
  ll.min_abi = r.num<int32_t>();
  spec.egress = r.flag();
  if (!r.at_end()) return plain_error("the plan from the supervisor is malformed");
  spec.mode = Mode::Full;
  return spec;
}

}  // namespace cordon::sandbox
