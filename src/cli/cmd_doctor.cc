// cordon doctor [--json]: what this host can enforce, which mode `cordon run`
// will use, and what to do about each missing piece.
//
// Exit status: 0 when full mode is available, 1 otherwise (landlock mode or
// none), so that scripts can gate on it; 125 when doctor itself failed.
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "sandbox/detect.h"

namespace cordon::cli {
namespace {

using sandbox::Finding;
using sandbox::HostReport;

struct DoctorArgs {
  bool json = false;
};

std::string errno_name(int err) {
  if (err == 0) return "";
  const char* name = strerrorname_np(err);
  return name != nullptr ? name : std::to_string(err);
}

nlohmann::ordered_json finding_json(const Finding& f) {
  nlohmann::ordered_json j;
  j["ok"] = f.ok;
  j["summary"] = f.summary;
  if (!f.ok) {
    j["reason"] = f.reason;
    j["fix"] = f.fix;
  }
  return j;
}

nlohmann::ordered_json report_json(const HostReport& r, const std::string& mode) {
  nlohmann::ordered_json checks;

  auto userns = finding_json(r.userns);
  userns["failed_step"] = r.userns.failed_step;
  userns["errno"] = errno_name(r.userns.err);
  userns["assumed_off"] = r.userns.assumed_off;
  checks["user_namespaces"] = userns;

  auto landlock = finding_json(r.landlock);
  landlock["abi"] = r.landlock.abi;
  if (r.landlock.abi == 0) landlock["errno"] = errno_name(r.landlock.err);
  if (!r.landlock.lsm.empty()) landlock["lsm"] = r.landlock.lsm;
  nlohmann::ordered_json features = nlohmann::ordered_json::array();
  for (const auto& f : sandbox::landlock_abi_features()) {
    features.push_back({{"abi", f.abi},
                        {"linux", f.linux_version},
                        {"adds", f.adds},
                        {"available", f.abi <= r.landlock.abi}});
  }
  landlock["features"] = features;
  checks["landlock"] = landlock;

  auto seccomp = finding_json(r.seccomp);
  seccomp["filters"] = r.seccomp.filters;
  seccomp["user_notification"] = r.seccomp.user_notif;
  seccomp["current_mode"] = r.seccomp.current_mode;
  checks["seccomp"] = seccomp;

  auto cgroups = finding_json(r.cgroups);
  cgroups["version"] = sandbox::cgroup_version_name(r.cgroups.version);
  const auto& v2 = r.cgroups.host.v2;
  cgroups["v2"] = {{"mounted", v2.mounted},
                   {"root", v2.root},
                   {"path", v2.path},
                   {"controllers", v2.controllers},
                   {"subtree_control", v2.subtree_control},
                   {"writable", v2.writable}};
  nlohmann::ordered_json v1 = nlohmann::ordered_json::array();
  for (const auto& c : r.cgroups.host.v1)
    v1.push_back({{"controller", c.controller}, {"dir", c.dir}, {"writable", c.writable}});
  cgroups["v1"] = v1;
  checks["cgroups"] = cgroups;

  auto nft = finding_json(r.nftables);
  nft["nft"] = r.nftables.nft_path;
  nft["user_net_namespace"] = r.nftables.user_netns;
  nft["table_in_namespace"] = r.nftables.table_created;
  checks["nftables"] = nft;

  return {{"mode", mode},       {"mode_description", sandbox::mode_description(mode)},
          {"kernel", r.kernel}, {"container", r.container},
          {"root", r.root},     {"checks", checks}};
}

void print_item(const char* label, const Finding& f) {
  std::printf("  %-8s %-16s %s\n", f.ok ? "ok" : "missing", label, f.summary.c_str());
  if (f.ok) return;
  if (!f.reason.empty()) std::printf("  %-8s %-16s why: %s\n", "", "", f.reason.c_str());
  if (!f.fix.empty()) {
    // Multi-line fixes (an AppArmor profile) keep their indentation.
    std::string fix = f.fix;
    std::string indent = "\n" + std::string(2 + 8 + 1 + 16 + 1, ' ');
    for (size_t at = 0; (at = fix.find('\n', at)) != std::string::npos; at += indent.size())
      fix.replace(at, 1, indent);
    std::printf("  %-8s %-16s fix: %s\n", "", "", fix.c_str());
  }
}

void print_text(const HostReport& r, const std::string& mode) {
  std::printf("cordon doctor: what this host can enforce (Linux %s%s%s)\n\n", r.kernel.c_str(),
              r.root ? ", as root" : "",
              r.container.empty() ? "" : (", in a " + r.container + " container").c_str());
  print_item("user namespaces", r.userns);
  print_item("Landlock", r.landlock);
  if (r.landlock.abi > 0) {
    for (const auto& f : sandbox::landlock_abi_features()) {
      std::printf("  %-8s %-16s   %s ABI %d (Linux %s): %s\n", "", "",
                  f.abi <= r.landlock.abi ? "+" : "-", f.abi, f.linux_version, f.adds);
    }
  }
  print_item("seccomp", r.seccomp);
  print_item("cgroups", r.cgroups);
  print_item("nftables", r.nftables);
  std::printf("\nmode: %s — %s\n", mode.c_str(), sandbox::mode_description(mode));
  if (mode != "full")
    std::printf("full mode needs user namespaces, Landlock and seccomp: see the fixes above.\n");
  if (!r.cgroups.ok)
    std::printf(
        "resource limits: a policy with [resources] memory, pids or cpu will be refused here.\n");
}

int run(const DoctorArgs& args) {
  auto options = sandbox::detect_options_from_env();
  HostReport report = sandbox::detect_host(options);
  std::string mode = sandbox::mode_for(report);
  if (args.json) {
    std::string text = report_json(report, mode).dump(2);
    std::printf("%s\n", text.c_str());
  } else {
    print_text(report, mode);
  }
  if (std::fflush(stdout) != 0) {
    std::fprintf(stderr, "cordon: writing the report: %s\n", std::strerror(errno));
    return 125;
  }
  return mode == "full" ? 0 : 1;
}

}  // namespace

Runner add_doctor_command(CLI::App& app) {
  auto args = std::make_shared<DoctorArgs>();
  auto* sub = app.add_subcommand(
      "doctor",
      "Report what this host can enforce and which mode `cordon run` will use (exit 0: full mode)");
  sub->add_flag("--json", args->json, "The same report as JSON");
  return {sub, [args] { return run(*args); }};
}

}  // namespace cordon::cli
