#!/usr/bin/env bash
# Function-length contract (issue 12 §4): no function outside tests is longer than MAX lines
# (default 80), measured by lizard's "length" (first to last line of the function, comments and
# blank lines included). Runs over services/ and bench/ (or the paths given as arguments),
# leaving out */tests/* and build directories, and lists every function over the limit.
#
# Exit codes: 0 = every function is within the limit, 1 = some function is too long or lizard
# is missing. A missing lizard is a FAILURE, not a skip: the check would otherwise pass silently
# on a machine that cannot run it. Install it with scripts/setup.sh, which puts it into
# .local/lizard (a venv), or with: python3 -m venv .local/lizard && .local/lizard/bin/pip install lizard
#
# lizard is looked up as $LIZARD, then .local/lizard/bin/lizard, then `lizard` on PATH, then
# `python3 -m lizard` (pip install --user).
#
#   tests/contract/function_length.sh                 # services/ and bench/
#   MAX=60 tests/contract/function_length.sh services/tools/ctl
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
max=${MAX:-80}

lizard=()
if [[ -n ${LIZARD:-} ]]; then
  lizard=("$LIZARD")
elif [[ -x $root/.local/lizard/bin/lizard ]]; then
  lizard=("$root/.local/lizard/bin/lizard")
elif command -v lizard >/dev/null 2>&1; then
  lizard=("$(command -v lizard)")
elif command -v python3 >/dev/null 2>&1 && python3 -m lizard --version >/dev/null 2>&1; then
  lizard=(python3 -m lizard)
fi
if [[ ${#lizard[@]} -eq 0 ]] || ! "${lizard[@]}" --version >/dev/null 2>&1; then
  echo "FAIL: lizard not found (looked at \$LIZARD, $root/.local/lizard/bin/lizard, PATH and python3 -m lizard)."
  echo "FAIL: install it with scripts/setup.sh --no-build, or:"
  echo "      python3 -m venv .local/lizard && .local/lizard/bin/pip install lizard"
  exit 1
fi

paths=("$@")
[[ ${#paths[@]} -gt 0 ]] || paths=(services bench)

echo "lizard $("${lizard[@]}" --version) (${lizard[*]}): functions longer than $max lines in ${paths[*]}"
# Only the length threshold matters here: cyclomatic complexity and parameter count are set out of
# reach so that -w warns about length alone. lizard exits non-zero when it printed a warning.
status=0
out=$("${lizard[@]}" --warnings_only --length "$max" --CCN 1000000 --arguments 1000000 \
        --exclude '*/tests/*' --exclude '*/build/*' --exclude 'build*/*' "${paths[@]}") || status=$?
if [[ -n $out ]]; then
  echo "$out"
fi
if [[ $status -ne 0 || -n $out ]]; then
  count=$(grep -c ': warning: ' <<<"$out" || true)
  echo "function length: FAILED ($count function(s) longer than $max lines; split them)"
  exit 1
fi
echo "function length: OK"
