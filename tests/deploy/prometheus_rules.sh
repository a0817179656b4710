#!/usr/bin/env bash
# deploy/prometheus/ is valid for the Prometheus of Debian's package (scripts/setup.sh installs
# it): `promtool check config` on the scrape config, `promtool check rules` on the alert rules and
# `promtool test rules` on their unit tests (alerts_test.yml). Needs no broker and no build.
# Fails (does not skip) without promtool.
set -uo pipefail
ROOT="${CASELINK_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
cd "$ROOT/deploy/prometheus"
command -v promtool >/dev/null || { echo "FAIL: promtool not installed (scripts/setup.sh installs prometheus)"; exit 1; }
status=0
promtool check config prometheus.yml || status=1
promtool check rules alerts.yml || status=1
promtool test rules alerts_test.yml || status=1
exit $status
