#!/usr/bin/env bash
# ctest chaos_checker: the chaos checker's own unit tests (tests/chaos/test_checker.py, no
# broker): every kind of finding on hand-made topic contents. Installs clients/python into the
# venv of scripts/setup.sh first, as tests/clients/python_client.sh does.
set -uo pipefail
ROOT="${CASELINK_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
cd "$ROOT"
source tests/clients/python_venv.sh
exec "$VENV/bin/pytest" -p no:cacheprovider -q tests/chaos/test_checker.py
