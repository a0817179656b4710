#!/usr/bin/env bash
# ctest clients_python: installs clients/python from this tree into the venv that
# scripts/setup.sh made (.local/clients-py; offline, no dependency resolution: they are
# installed already), which regenerates the caselink.v1 modules from proto/, then runs its
# pytest suite, including the broker tests. Skipped (77) without
# CASELINK_KAFKA_BOOTSTRAP.
set -uo pipefail
ROOT="${CASELINK_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
cd "$ROOT"
source scripts/kafka-bootstrap.sh
caselink_bootstrap_or_skip
VENV="$ROOT/.local/clients-py"
if [[ ! -x "$VENV/bin/pytest" ]]; then
  echo "FAIL: no Python venv with pytest at .local/clients-py (run scripts/setup.sh)"
  exit 1
fi
# A fresh build directory each time: a stale one would keep modules of a removed .proto.
rm -rf clients/python/build
"$VENV/bin/pip" install -q --no-index --no-deps --no-build-isolation --force-reinstall ./clients/python || {
  echo "FAIL: could not build and install clients/python"; exit 1; }
cd clients/python
exec "$VENV/bin/pytest" -p no:cacheprovider -rs -q tests
