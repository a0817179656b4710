#!/usr/bin/env bash
# Contract checks for proto/caselink/v1 (package caselink.v1):
#   1. `buf lint` with the repository's buf.yaml (STANDARD + COMMENTS);
#   2. `buf breaking` (FILE rules) against the previous version of proto/ in git:
#      - if proto/ has uncommitted changes: against the last commit that touched proto/;
#      - otherwise: against the commit before that one that touched proto/;
#      skipped, with a message, when there is no such commit or it does not build.
# Exit codes: 0 = passed, 1 = a check failed or buf is not installed. A missing buf is a failure,
# not a skip: the contract is unchecked until it is installed (scripts/setup.sh step 4 does).
# buf is looked up as $BUF, then .local/buf/node_modules/.bin/buf, then on PATH. Install it with
#   scripts/setup.sh --no-build      (or: npm install --prefix .local/buf @bufbuild/buf)
# The script only reads git (log, diff, ls-files); buf clones the baseline into a temporary
# directory and never touches the working tree or the index.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

buf=${BUF:-}
if [[ -z $buf ]]; then
  if [[ -x $root/.local/buf/node_modules/.bin/buf ]]; then
    buf=$root/.local/buf/node_modules/.bin/buf
  elif command -v buf >/dev/null 2>&1; then
    buf=$(command -v buf)
  fi
fi
if [[ -z $buf ]] || ! "$buf" --version >/dev/null 2>&1; then
  echo "FAIL: buf not found (looked at \$BUF, $root/.local/buf/node_modules/.bin/buf and PATH)."
  echo "FAIL: install it with: scripts/setup.sh --no-build (or npm install --prefix .local/buf @bufbuild/buf)"
  exit 1
fi
echo "buf $("$buf" --version) at $buf"

status=0

echo "== buf lint (buf.yaml: STANDARD + COMMENTS)"
if "$buf" lint; then
  echo "buf lint: OK"
else
  echo "buf lint: FAILED"
  status=1
fi

echo "== buf breaking (FILE rules) against the previous version of proto/"
baseline=""
if git rev-parse --git-dir >/dev/null 2>&1; then
  mapfile -t proto_commits < <(git log --format=%H -- proto 2>/dev/null || true)
  dirty=0
  if ! git diff --quiet HEAD -- proto 2>/dev/null; then dirty=1; fi
  if [[ -n $(git ls-files --others --exclude-standard -- proto 2>/dev/null) ]]; then dirty=1; fi
  if ((dirty)); then
    baseline=${proto_commits[0]:-}
  else
    baseline=${proto_commits[1]:-}
  fi
fi
if [[ -z $baseline ]]; then
  echo "buf breaking: SKIPPED (no earlier commit touching proto/ to compare with)"
else
  against="$root/.git#ref=$baseline,subdir=proto"
  echo "baseline: $(git log -1 --format='%h %s' "$baseline")"
  if ! "$buf" build "$against" -o /dev/null >/dev/null 2>&1; then
    echo "buf breaking: SKIPPED (baseline $baseline does not build on its own, e.g. it predates" \
      "the payload files; the next commit touching proto/ becomes a usable baseline)"
  elif "$buf" breaking --against "$against"; then
    echo "buf breaking: OK"
  else
    echo "buf breaking: FAILED (see docs/topics.md, Evolution rules)"
    status=1
  fi
fi

exit "$status"
