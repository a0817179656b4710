#!/usr/bin/env bash
# ctest chaos_checker: the chaos checker's own unit tests (tests/chaos/test_checker.py, no
# broker): every kind of finding on hand-made topic contents. Installs clients/python into the
# venv of scripts/setup.sh first, as tests/clients/python_client.sh does.
set -uo pipefail
ROOT="${CASELINK_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
cd "$ROOT"
VENV="$ROOT/.local/clients-py"
if [[ ! -x "$VENV/bin/pytest" ]]; then
  echo "FAIL: no Python venv with pytest at .local/clients-py (run scripts/setup.sh)"
  exit 1
fi
rm -rf clients/python/build
"$VENV/bin/pip" install -q --no-index --no-deps --no-build-isolation --force-reinstall ./clients/python || {
  echo "FAIL: could not build and install clients/python"; exit 1; }
exec "$VENV/bin/pytest" -p no:cacheprovider -q tests/chaos/test_checker.py
