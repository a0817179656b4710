#!/usr/bin/env bash
# ctest it_report_numbers (issue 18 §3, docs/reports.md): caselinkctl report's numbers against
# numbers computed independently in Python (tests/integration/report/), on the real broker.
# Installs clients/python from this tree into the venv scripts/setup.sh made (.local/clients-py;
# offline, as tests/clients/python_client.sh does) for its generated decoders. Skipped (77)
# without CASELINK_KAFKA_BOOTSTRAP; a missing venv, ECharts or Chromium is a failure.
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
if [[ ! -f "$ROOT/.local/web/node_modules/echarts/dist/echarts.min.js" ]]; then
  echo "FAIL: no ECharts at .local/web (run scripts/setup.sh)"
  exit 1
fi
rm -rf clients/python/build
"$VENV/bin/pip" install -q --no-index --no-deps --no-build-isolation --force-reinstall ./clients/python || {
  echo "FAIL: could not build and install clients/python"; exit 1; }
rm -rf clients/python/build
exec "$VENV/bin/pytest" -p no:cacheprovider -rs -q tests/integration/report
