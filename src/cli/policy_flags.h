// The policy flags shared by `cordon run` and `cordon policy show`: their
// names and help come from the policy schema (policy/schema.h), and their
// values become the command-line layer of the policy.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "base/error.h"
#include "policy/load.h"
#include "policy/policy.h"

namespace cordon::cli {

struct PolicyFlags {
  std::vector<std::string> policy_files;
  bool trust_project = false;
  std::vector<std::string> allow_read, deny_read, allow_write, deny_write, pass_env, require;
  std::vector<std::string> allow_domain, deny_domain, ask_domain, open_range, resolve;
  // One value each, as written; empty when the flag was not given.
  std::string timeout, memory, pids, cpus, file_size, open_files, tmpfs_size;
  std::string mode, on_violation, unix_sockets, host_ptys;
};

// --policy FILE (repeatable), --trust-project, and one flag per schema field
// that has one: --allow-read P, --deny-read P, --allow-write P, --deny-write P,
// --pass-env NAME, --require NAME, --allow-domain HOST, --deny-domain HOST,
// --ask-domain HOST, --open-range CIDR, --resolve NAME=ADDRESS (each
// repeatable, one value per occurrence); --timeout DURATION, --memory SIZE, --pids N, --cpus N,
// --file-size SIZE, --open-files N, --tmpfs-size SIZE, --mode MODE,
// --on-violation ACTION, --unix-sockets allow|deny.
void add_policy_flags(CLI::App* sub, PolicyFlags& flags);

// Converts the parsed flags into the CommandLine layer; a bad value gives
// "--timeout: expected ..., got \"abc\"" / "--deny-read: expected ...".
Result<policy::Policy> command_line_policy(const PolicyFlags& flags);

// Builds the LoadRequest from the environment and the flags: HOME (else the
// passwd entry) made canonical when it exists, XDG_CONFIG_HOME, and
// CORDON_MANAGED_POLICY (tests: a stand-in managed file, refused by
// load_effective() when /etc/cordon/managed.toml exists). `workspace` is made
// canonical and must be a directory.
Result<policy::LoadRequest> load_request(const PolicyFlags& flags, const std::string& workspace);

}  // namespace cordon::cli
