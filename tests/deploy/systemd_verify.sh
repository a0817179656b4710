#!/usr/bin/env bash
# The systemd units of deploy/systemd/ (deploy/README.md, Supervision):
#   1. `systemd-analyze verify` accepts every unit without a single complaint (it exits 0 even on
#      a misspelt setting such as Restart=on-failur, which it only prints: any output fails);
#   2. every daemon of the tree has a unit, named like its binary (caselink_executable in
#      services/daemons/*/CMakeLists.txt), and caselink.target wants it;
#   3. every service unit restarts on failure, has a start limit, runs as the caselink user,
#      hardened (the settings a review must not lose).
# verify runs against a scratch root: the host's system units (for sysinit.target, ...), our units
# in its /etc/systemd/system, and a stub executable for each ExecStart (verify checks that it
# exists; 2. checks that it names a real binary). Exit 0 = passed, 1 = failed or
# systemd-analyze missing (scripts/setup.sh installs it).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
units_dir="$root/deploy/systemd"
DAEMONS=(caselink-sync caselink-standards caselink-evidence caselink-feedback caselink-ingress caselink-console caselink-classcase)
REQUIRED=(
  "Restart=on-failure" "RestartSec=" "StartLimitIntervalSec=" "StartLimitBurst=" "User=caselink"
  "NoNewPrivileges=yes" "ProtectSystem=strict" "ProtectHome=yes" "PrivateTmp=yes" "CapabilityBoundingSet="
)
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "FAIL: systemd-analyze not found (package systemd; scripts/setup.sh installs it)"
  exit 1
fi

host_units=""
for d in /usr/lib/systemd/system /lib/systemd/system; do
  [[ -f $d/sysinit.target ]] && { host_units=$d; break; }
done
[[ -n $host_units ]] || { echo "FAIL: no system unit directory with sysinit.target on this host"; exit 1; }

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/usr/lib/systemd" "$scratch/etc/systemd/system" "$scratch/opt/caselink/bin"
cp -a "$host_units" "$scratch/usr/lib/systemd/system"
cp "$units_dir"/*.service "$units_dir"/*.target "$scratch/etc/systemd/system/"

mapfile -t built < <(sed -n 's/^caselink_executable(\([^ ]*\) .*/\1/p' "$root"/services/daemons/*/CMakeLists.txt "$root"/services/tools/*/CMakeLists.txt)
units=()
for unit in "$units_dir"/*.service "$units_dir"/*.target; do
  name=$(basename "$unit")
  units+=("/etc/systemd/system/$name")
  while read -r exe; do
    bin=$(basename "$exe")
    [[ " ${built[*]} " == *" $bin "* ]] || fail "$name: ExecStart names $bin, which no caselink_executable builds"
    printf '#!/bin/sh\n' >"$scratch$exe"
    chmod +x "$scratch$exe"
  done < <(sed -n 's/^ExecStart=[-@:+!]*\([^ ]*\).*/\1/p' "$unit")
done

echo "== systemd-analyze verify ($(systemd-analyze --version | head -n 1))"
set +e
output=$(systemd-analyze verify --root="$scratch" "${units[@]}" 2>&1)
status=$?
set -e
if [[ $status -ne 0 || -n $output ]]; then
  fail "systemd-analyze verify (exit $status):"
  printf '%s\n' "$output" | sed "s|$scratch||g"
else
  echo "verify: OK (${#units[@]} units)"
fi

echo "== every daemon supervised"
for daemon in "${DAEMONS[@]}"; do
  unit="$units_dir/$daemon.service"
  [[ -f $unit ]] || { fail "no unit for $daemon"; continue; }
  grep -q "^Wants=.*\b$daemon\.service\b" "$units_dir/caselink.target" || fail "caselink.target does not want $daemon"
  for line in "${REQUIRED[@]}"; do
    grep -qx "${line}.*" "$unit" || fail "$daemon.service lacks $line"
  done
done
for unit in "$units_dir"/*.service; do
  [[ " ${DAEMONS[*]} " == *" $(basename "$unit" .service) "* ]] || fail "$(basename "$unit"): not in this test's list"
done

if [[ $failures -gt 0 ]]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
