#!/usr/bin/env bash
# Shows what `cordon run` contains, on the embedded default policy.
#
# Makes a throw-away workspace (a git repository) and a throw-away home with
# dummy credentials, runs one shell inside `cordon run` that tries what an
# agent might try, and prints what happened next to what the policy promises.
# Everything it creates is removed at the end; nothing touches the network
# (the sandbox has only loopback) or the real home directory.
#
# Exit status: 0 when every line came out as expected, 1 otherwise.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cordon="${CORDON:-$repo/build/cordon}"
[[ -x "$cordon" ]] || { echo "$cordon not found: run scripts/setup.sh first" >&2; exit 1; }

base="$(mktemp -d "${TMPDIR:-/tmp}/cordon-demo.XXXXXX")"
cleanup() { rm -rf "$base"; }
trap cleanup EXIT
ws="$base/workspace"
home="$base/home"
mkdir -p "$ws" "$home/.ssh" "$home/.aws"
# Dummy secrets where the real ones would be: the default policy hides them.
echo "not a real key" >"$home/.ssh/id_ed25519"
printf '[default]\naws_secret_access_key = not-a-real-secret\n' >"$home/.aws/credentials"
chmod 700 "$home/.ssh"
git -C "$ws" init -q
echo "# a project" >"$ws/README.md"
tmp_probe="/tmp/cordon-demo-private-$$"

# What runs inside: one line per attempt, "key<TAB>result". A failed write
# reports the error text (what follows the last ": " of the shell's message).
# shellcheck disable=SC2016
inside='
try_write() {
  if err=$( (: >"$1") 2>&1 ); then echo written; else echo "${err##*: }"; fi
}
printf "workspace\t%s\n" "$(try_write ./written-inside.txt)"
printf "etc\t%s\n" "$(try_write /etc/cordon-demo)"
printf "home\t%s\n" "$(try_write "$HOME/cordon-demo")"
printf "hooks\t%s\n" "$(try_write .git/hooks/pre-commit)"
printf "gitconfig\t%s\n" "$(try_write .git/config)"
printf "tmp\t%s\n" "$(try_write '"$tmp_probe"')"
printf "ssh\t%s\n" "$(ls -A "$HOME/.ssh" 2>&1 | wc -l) entries"
printf "aws\t%s\n" "$(ls -A "$HOME/.aws" 2>&1 | wc -l) entries"
printf "net\t%s\n" "$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | tr "\n" " ")"
printf "env\t%s\n" "${FOO_TOKEN-unset}"
printf "procs\t%s\n" "$(ps -e -o pid=,comm= | awk "{l = l sep \$2 \"(\" \$1 \")\"; sep=\" \"} END {print NR \": \" l}")"
printf "uid\t%s\n" "$(id -u)"
# A repository created during the run is not covered by any mount: its hooks
# are swept when the command ends.
printf "nested\t%s\n" "$( (git init -q nested &&
  printf "#!/bin/sh\necho planted\n" >nested/.git/hooks/pre-commit &&
  chmod +x nested/.git/hooks/pre-commit && echo planted) 2>&1)"
'

echo "cordon demo: workspace $ws"
echo "             home      $home (with a dummy ~/.ssh/id_ed25519 and ~/.aws/credentials)"
echo "             \$ FOO_TOKEN=... cordon run -- sh -c '<the attempts below>'"
echo

rc=0
output="$(cd "$ws" &&
  HOME="$home" FOO_TOKEN=demo-secret-value "$cordon" run -- sh -c "$inside" 2>"$base/stderr")" ||
  rc=$?
if ((rc != 0)); then
  echo "cordon run failed with exit status $rc; its output:" >&2
  printf '%s\n' "$output" >&2
  cat "$base/stderr" >&2
  exit 1
fi

declare -A got
while IFS=$'\t' read -r key value; do
  got[$key]="$value"
done <<<"$output"

unexpected=0
# show WHAT EXPECTED-PATTERN KEY: prints one line, marks it when the result
# is not what the default policy promises.
show() {
  local what=$1 pattern=$2 key=$3 value="${got[$3]-<no answer>}"
  local mark="ok "
  # shellcheck disable=SC2053
  if [[ "$value" != $pattern ]]; then
    mark="!! "
    unexpected=$((unexpected + 1))
  fi
  ((${#value} <= 60)) || value="${value:0:57}..."
  printf '  %s %-46s -> %s\n' "$mark" "$what" "$value"
}

echo "inside the sandbox:"
show "write a file in the workspace" "written" workspace
show "write /etc/cordon-demo" "Read-only file system" etc
show "write \$HOME/cordon-demo" "Read-only file system" home
show "write .git/hooks/pre-commit (protected)" "Read-only file system" hooks
show "write .git/config (protected)" "Read-only file system" gitconfig
show "write a file in /tmp (private to the sandbox)" "written" tmp
show "list ~/.ssh (id_ed25519 outside)" "0 entries" ssh
show "list ~/.aws (credentials outside)" "0 entries" aws
show "network interfaces (/proc/net/dev)" "lo " net
show "FOO_TOKEN (set outside)" "unset" env
show "processes visible (outside: $(ps -e --no-headers | wc -l))" "[1-9]: *" procs
show "uid (outside: $(id -u))" "$(id -u)" uid
show "git init nested; plant an executable hook" "planted" nested

echo "afterwards, outside:"
if [[ -f "$ws/written-inside.txt" ]]; then
  printf '  ok  %-46s -> %s\n' "the workspace file is there" "yes"
else
  printf '  !!  %-46s -> %s\n' "the workspace file is there" "no"
  unexpected=$((unexpected + 1))
fi
if [[ -e "$tmp_probe" ]]; then
  printf '  !!  %-46s -> %s\n' "the sandbox's /tmp file leaked to the host" "yes"
  rm -f "$tmp_probe"
  unexpected=$((unexpected + 1))
else
  printf '  ok  %-46s -> %s\n' "the sandbox's /tmp file stayed inside" "yes"
fi

quarantined=("$ws"/nested/.git/hooks/pre-commit.cordon-quarantined-*)
if [[ ! -e "$ws/nested/.git/hooks/pre-commit" && -f "${quarantined[0]}" && ! -x "${quarantined[0]}" ]]; then
  printf '  ok  %-46s -> %s\n' "the planted hook" "renamed aside, not executable"
else
  printf '  !!  %-46s -> %s\n' "the planted hook" "still in place"
  unexpected=$((unexpected + 1))
fi
# What cordon said about it (its report goes to stderr).
sed -e "s|$ws/||g" -e 's/^/      /' "$base/stderr"

# The exit status passes through; a wall-clock limit ends the whole tree.
status=0
(cd "$ws" && "$cordon" run -- sh -c 'exit 3') || status=$?
mark="ok "
[[ $status == 3 ]] || { mark="!! "; unexpected=$((unexpected + 1)); }
printf '  %s %-46s -> %s\n' "$mark" "cordon run -- sh -c 'exit 3'" "exit $status"
status=0
(cd "$ws" && "$cordon" run --timeout 1s -- sleep 30 2>/dev/null) || status=$?
mark="ok "
[[ $status == 124 ]] || { mark="!! "; unexpected=$((unexpected + 1)); }
printf '  %s %-46s -> %s\n' "$mark" "cordon run --timeout 1s -- sleep 30" "exit $status"

echo
if ((unexpected > 0)); then
  echo "$unexpected result(s) differ from what the default policy promises (marked !!)"
  exit 1
fi
echo "everything contained as the default policy says (docs/policy.md)."
