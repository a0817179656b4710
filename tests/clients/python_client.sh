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
source tests/clients/python_venv.sh
cd clients/python
exec "$VENV/bin/pytest" -p no:cacheprovider -rs -q tests
