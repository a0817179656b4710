#!/usr/bin/env bash
# ctest it_report_numbers (issue 18 §3, docs/reports.md): caselinkctl report's numbers against
# numbers computed independently in Python (tests/integration/report/), on the real broker.
# Installs clients/python from this tree into the venv scripts/setup.sh made (.local/clients-py;
# offline: tests/clients/python_venv.sh) for its generated decoders. Skipped (77)
# without CASELINK_KAFKA_BOOTSTRAP; a missing venv, ECharts or Chromium is a failure.
set -uo pipefail
ROOT="${CASELINK_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
cd "$ROOT"
source scripts/kafka-bootstrap.sh
caselink_bootstrap_or_skip
if [[ ! -f "$ROOT/.local/web/node_modules/echarts/dist/echarts.min.js" ]]; then
  echo "FAIL: no ECharts at .local/web (run scripts/setup.sh)"
  exit 1
fi
source tests/clients/python_venv.sh
rm -rf clients/python/build
exec "$VENV/bin/pytest" -p no:cacheprovider -rs -q tests/integration/report
