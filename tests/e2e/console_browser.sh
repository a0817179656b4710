#!/usr/bin/env bash
# The console in headless Chromium (ctest: e2e_console_browser; docs/services/console.md, "Browser
# test"). Needs Debian's chromium and playwright-core in .local/web (scripts/setup.sh installs
# both): without them the test FAILS. Needs CASELINK_KAFKA_BOOTSTRAP (a broker with the topic
# spec applied, as scripts/test.sh provides); skipped (77) without it, like e2e_scenario_smoke.
#
# 1. scripts/run.sh --no-setup on that broker, on ports of its own, plays the scenario (4 cases)
#    with every service and the console running;
# 2. three more referrals are generated through the ingress, one of them with markup in a text
#    field shown on its page (offence_name: it must show as text, never run);
# 3. what the pages must show is read independently: caselinkctl (case list, case show --json)
#    and kcat (the dead letters) -> expected.json;
# 4. console_browser.mjs opens every page in Chromium and checks them; screenshots go to
#    $CASELINK_BUILD_DIR/e2e-console/screenshots/.
set -uo pipefail
ROOT="${CASELINK_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
cd "$ROOT"
export CASELINK_WEB_PREFIX="$ROOT/.local/web"
CHROMIUM="${CASELINK_CHROMIUM:-/usr/bin/chromium}"
[[ -x "$CHROMIUM" ]] || { echo "FAIL: $CHROMIUM not found (apt package chromium; scripts/setup.sh installs it)"; exit 1; }
[[ -f "$CASELINK_WEB_PREFIX/node_modules/playwright-core/package.json" ]] ||
  { echo "FAIL: playwright-core not in .local/web (scripts/setup.sh installs it)"; exit 1; }
command -v node >/dev/null || { echo "FAIL: node not found (apt package nodejs, with npm)"; exit 1; }
source scripts/kafka-bootstrap.sh
caselink_bootstrap_or_skip
BOOTSTRAP="$CASELINK_KAFKA_BOOTSTRAP"
export CASELINK_BUILD_DIR="${CASELINK_BUILD_DIR:-$ROOT/build}"
OUT_DIR="$CASELINK_BUILD_DIR/e2e-console"
export CASELINK_RUN_DIR="$OUT_DIR/run"
# Ports apart from the other stacks' (19400s, 19440s): base+1..+7 the services (+7 the console),
# +8 caselink-classcase, +9 the ingress.
BASE="${CASELINK_CONSOLE_TEST_PORT_BASE:-19410}"
export CASELINK_PORT_BASE="$BASE" CASELINK_INGRESS_PORT=$((BASE + 9))
CONSOLE="http://127.0.0.1:$((BASE + 7))"
CTL=("$CASELINK_BUILD_DIR/bin/caselinkctl" --bootstrap "$BOOTSTRAP")
rm -rf "$OUT_DIR"
mkdir -p "$CASELINK_RUN_DIR" "$OUT_DIR/screenshots"
trap 'bash scripts/run.sh --stop >/dev/null 2>&1' EXIT

echo "== 1. the stack and the scenario (scripts/run.sh --no-setup)"
if ! bash scripts/run.sh --no-setup >"$OUT_DIR/run.out" 2>&1; then
  tail -n 80 "$OUT_DIR/run.out"
  echo "FAIL: scripts/run.sh failed"
  exit 1
fi
grep -q "Open the console in a browser: $CONSOLE/" "$OUT_DIR/run.out" ||
  { echo "FAIL: run.sh did not end with the console's address"; tail -n 5 "$OUT_DIR/run.out"; exit 1; }

# A probe in this second may still precede the readiness run.sh saw: one second later counts.
STACK_READY="$(date -u -d "+1 second" +%Y-%m-%dT%H:%M:%S)"

echo "== 2. generated cases through the ingress"
RUN_ID="$(date -u +%Y%m%d%H%M%S)-$$"
MARKUP='<img src="x" onerror="alert(1)">'
generated=()
for i in 1 2 3; do
  id="console-gen-$RUN_ID-$i"
  generated+=("$id")
  name="污染环境罪"
  [[ $i == 3 ]] && name="$MARKUP"
  body=$(NAME="$name" ID="$id" I="$i" node -e '
    const e = {case_id: process.env.ID, occurred_at: new Date(Date.now() - 3600e3).toISOString(),
      case_referral: {transfer_letter_number: "杭环移〔2026〕" + process.env.I + "号",
        offence_code: "pollution_environment", offence_name: process.env.NAME,
        referring_agency: {organ_id: "sthjj-330100"}, target_police_organ: {organ_id: "ga-330100"},
        domain: "DOMAIN_ENVIRONMENT", jurisdiction: {province_code: "330000", city_code: "330100"},
        facts: [{name: "hazardous_waste_tonnes", number: 5.5, unit: "t"}], act_date: "2026-02-20",
        copy_to_procuratorate: false}};
    process.stdout.write(JSON.stringify(e));')
  status=$(curl -s --cacert "$CASELINK_RUN_DIR/tls/ca.crt" -o "$OUT_DIR/post-$i.json" -w '%{http_code}' -X POST "https://127.0.0.1:$CASELINK_INGRESS_PORT/v1/events" \
    -H 'Authorization: Bearer demo-token-sthjj-330100' -H 'Content-Type: application/json' --data-binary "$body")
  [[ "$status" == 202 ]] || { echo "FAIL: the ingress answered $status to referral $i: $(cat "$OUT_DIR/post-$i.json")"; exit 1; }
done
# Until caselink-sync's snapshot of each generated case is on the topic and in the console.
for id in "${generated[@]}"; do
  for _ in $(seq 1 60); do
    curl -sf "$CONSOLE/api/cases/$id" | grep -q '"state":{' && continue 2
    sleep 1
  done
  echo "FAIL: $id has no snapshot in the console after 60 s"; exit 1
done

# Until the console probed the services after run.sh saw them all ready (every ops.poll_interval_ms).
for i in $(seq 1 60); do
  taken=$(curl -sf "$CONSOLE/api/ops" | node -e 'let s = ""; process.stdin.on("data", (d) => s += d).on("end", () =>
    process.stdout.write(String(JSON.parse(s).taken_at || "")))')
  [[ -n "$taken" && "$taken" > "$STACK_READY" ]] && break
  [[ $i == 60 ]] && { echo "FAIL: the console did not probe the services again within 60 s"; exit 1; }
  sleep 1
done

echo "== 3. what the pages must show, read from the topics by caselinkctl and kcat"
mapfile -t scenario < <(cut -f1,2 "$CASELINK_RUN_DIR/scenario.cases")
[[ ${#scenario[@]} == 4 ]] || { echo "FAIL: expected the scenario's 4 cases, got ${#scenario[@]}"; exit 1; }
"${CTL[@]}" case list >"$OUT_DIR/case-list.txt" || { echo "FAIL: caselinkctl case list"; exit 1; }
"${CTL[@]}" case list --state FILING_SUPERVISION >"$OUT_DIR/case-list-fs.txt" || exit 1
wage_id=""; show_args=()
for line in "${scenario[@]}"; do
  [[ "${line#*$'\t'}" == wage ]] && wage_id="${line%%$'\t'*}"
done
"${CTL[@]}" case show "$wage_id" --json >"$OUT_DIR/wage.json" || { echo "FAIL: caselinkctl case show $wage_id"; exit 1; }
"${CTL[@]}" case show "${generated[2]}" --json >"$OUT_DIR/generated.json" || exit 1
caselink_kcat -C -b "$BOOTSTRAP" -t caselink.dlq.v1 -e -q -f '%o\n' >"$OUT_DIR/dlq.txt" 2>/dev/null || { echo "FAIL: kcat"; exit 1; }
# Class cases opened: the distinct keys (= class case ids) of committed ClassCaseOpened records
# (a data set replayed onto the shared broker repeats its ids; the console keeps one row each).
caselink_kcat -C -b "$BOOTSTRAP" -t caselink.classcase.v1 -e -q -X isolation.level=read_committed -f '%k\t%h\n' 2>/dev/null |
  grep 'ce_type=caselink.v1.ClassCaseOpened' | cut -f1 | sort -u | wc -l >"$OUT_DIR/classcases.txt"
curl -sf "$CONSOLE/api/cases" >"$OUT_DIR/api-cases.json" && curl -sf "$CONSOLE/api/recommendations" >"$OUT_DIR/api-recs.json" ||
  { echo "FAIL: the console's API did not answer"; exit 1; }
printf '%s\n' "${scenario[@]}" >"$OUT_DIR/scenario.tsv"
printf '%s\n' "${generated[@]}" >"$OUT_DIR/generated.txt"
MARKUP="$MARKUP" OUT_DIR="$OUT_DIR" node -e '
  const fs = require("fs"); const d = process.env.OUT_DIR;
  const count = (f) => Number((fs.readFileSync(d + "/" + f, "utf8").match(/^(\d+) case\(s\)$/m) || [])[1]);
  const api = JSON.parse(fs.readFileSync(d + "/api-cases.json", "utf8"));
  const withState = api.cases.filter((c) => c.has_state).length;
  if (withState !== count("case-list.txt")) {
    console.log(`FAIL: the API lists ${withState} cases with a state, caselinkctl case list ${count("case-list.txt")}`);
    process.exit(1);
  }
  const view = (f, key, extra) => { const v = JSON.parse(fs.readFileSync(d + "/" + f, "utf8"));
    return Object.assign({ key, case_id: v.case_id, deadline_ids: v.deadlines.map((x) => x.deadline_id),
      deadline_statuses: v.deadlines.map((x) => x.status.replace("DEADLINE_STATUS_", "") + (x.missed ? " (missed)" : "")),
      missed_count: v.deadlines.filter((x) => x.missed).length,
      timeline_length: v.timeline.length, chain_ok: v.hash_chain.ok }, extra); };
  const scenario = fs.readFileSync(d + "/scenario.tsv", "utf8").trim().split("\n").map((l) => l.split("\t")[0]);
  const generated = fs.readFileSync(d + "/generated.txt", "utf8").trim().split("\n");
  const expected = { api_case_count: api.count, case_ids: scenario.concat(generated),
    state_filter: { status: "FILING_SUPERVISION", count: count("case-list-fs.txt") },
    cases: [view("wage.json", "wage"), view("generated.json", "generated", { must_show_text: process.env.MARKUP })],
    recommendation_count: JSON.parse(fs.readFileSync(d + "/api-recs.json", "utf8")).count,
    class_case_count: Number(fs.readFileSync(d + "/classcases.txt", "utf8").trim()),
    service_count: 7, dlq_count: fs.readFileSync(d + "/dlq.txt", "utf8").split("\n").filter(Boolean).length };
  fs.writeFileSync(d + "/expected.json", JSON.stringify(expected, null, 2));' || exit 1

echo "== 4. every page in headless Chromium ($("$CHROMIUM" --version 2>/dev/null))"
node tests/e2e/console_browser.mjs "$CONSOLE" "$OUT_DIR/expected.json" "$OUT_DIR/screenshots"
