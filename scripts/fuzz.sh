#!/usr/bin/env bash
# caselink — fuzz every parser of outside input with libFuzzer (clang, ASan + UBSan).
#
#   scripts/fuzz.sh                     every target for 60 s (the CI-sized run the test command makes)
#   scripts/fuzz.sh --seconds 600       the long run (docs/reliability.md: >= 10 CPU-minutes per target)
#   scripts/fuzz.sh --jobs 2 envelope   some targets only; --jobs: targets run at once (default 2)
#   scripts/fuzz.sh --list              the targets
#
# Builds build-fuzz/ (clang, -DCASELINK_FUZZ=ON) with only the fuzz targets. Each target starts
# from its checked-in seeds (tests/fuzz/corpus/<target>, plus the shipped rule files for the rule
# loaders) and a working corpus that grows across runs (.local/fuzz/corpus/<target>). A crash,
# a leak, a timeout (10 s per input) or running out of memory (2 GiB) fails the run; the input
# is saved under .local/fuzz/artifacts/<target>/ and printed. Fix the code, then copy the input
# into tests/fuzz/corpus/<target>/ so the ordinary build replays it for ever (fuzz_<target>_corpus).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUILD_DIR="${CASELINK_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}"
WORK="$ROOT/.local/fuzz"
SECONDS_PER_TARGET=60
JOBS=2
ALL=(envelope ingress_events ingress_http rule_files material_rules deadline_rules manifest signature)

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; }

TARGETS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) SECONDS_PER_TARGET="${2:?--seconds needs a number}"; shift ;;
    --jobs) JOBS="${2:?--jobs needs a number}"; shift ;;
    --list) printf '%s\n' "${ALL[@]}"; exit 0 ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) TARGETS+=("$1") ;;
  esac
  shift
done
[[ ${#TARGETS[@]} -gt 0 ]] || TARGETS=("${ALL[@]}")
for t in "${TARGETS[@]}"; do
  [[ " ${ALL[*]} " == *" $t "* ]] || { echo "fuzz.sh: unknown target '$t' (--list)" >&2; exit 2; }
done

command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ not found (scripts/setup.sh installs clang)" >&2; exit 1; }

# Extra seed directories per target (read-only): what the loaders read in production.
extra_seeds() {
  case "$1" in
    rule_files) echo "$ROOT/rules" ;;
    material_rules) echo "$ROOT/rules/materials" ;;
    deadline_rules) echo "$ROOT/rules/deadlines" ;;
  esac
}

mkdir -p "$WORK"
echo "[fuzz] building ${#TARGETS[@]} target(s) in ${BUILD_DIR#$ROOT/} (clang, ASan, UBSan, libFuzzer)" >&2
if [[ ! -f "$BUILD_DIR/build.ninja" ]]; then
  CC=clang CXX=clang++ cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCASELINK_FUZZ=ON -DCASELINK_WERROR=OFF >"$WORK/cmake.log" 2>&1 || {
    cat "$WORK/cmake.log" >&2; exit 1; }
fi
build_started=$(date +%s)
cmake --build "$BUILD_DIR" -j2 --target "${TARGETS[@]/#/fuzz_}" >"$WORK/build.log" 2>&1 || {
  tail -n 60 "$WORK/build.log" >&2; echo "[fuzz] build failed; full log: $WORK/build.log" >&2; exit 1; }
echo "[fuzz] built in $(( $(date +%s) - build_started )) s" >&2

# Runs one target; its verdict line goes to $WORK/<target>.verdict.
run_target() {
  local t="$1" corpus="$WORK/corpus/$1" artifacts="$WORK/artifacts/$1" log="$WORK/$1.log"
  mkdir -p "$corpus" "$artifacts"
  local seeds=("$ROOT/tests/fuzz/corpus/$t")
  local extra; extra="$(extra_seeds "$t")"
  [[ -n "$extra" ]] && seeds+=("$extra")
  local status=0
  # -max_total_time is wall time: on a loaded machine a target gets less CPU than that, so the
  # CPU time it really had (user + system, bash's `time`) is measured and reported.
  local TIMEFORMAT='%U %S'
  { time "$BUILD_DIR/tests/fuzz/fuzz_$t" "$corpus" "${seeds[@]}" \
    -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1 ; } 2>"$WORK/$t.cpu" || status=$?
  local execs cov cpu
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)" || true
  cov="$( (grep -o 'cov: [0-9]*' "$log" || true) | tail -n 1 | cut -d' ' -f2)"
  cpu="$(awk '{printf "%d", $1 + $2}' "$WORK/$t.cpu" 2>/dev/null)" || true
  echo "${cpu:-0}" >"$WORK/$t.cpu"
  if [[ $status -eq 0 ]]; then
    echo "PASS $t: ${execs:-?} inputs in ${SECONDS_PER_TARGET} s (${cpu:-?} CPU-s), coverage ${cov:-?} edges, corpus $(ls "$corpus" | wc -l) files" >"$WORK/$t.verdict"
  else
    local found; found="$( (ls -t "$artifacts" 2>/dev/null || true) | head -n 1)"
    echo "FAIL $t: exit $status after ${execs:-?} inputs; input saved as ${artifacts#$ROOT/}/${found:-?}; log ${log#$ROOT/}" >"$WORK/$t.verdict"
  fi
}

echo "[fuzz] running ${#TARGETS[@]} target(s), ${SECONDS_PER_TARGET} s each, ${JOBS} at a time" >&2
running=0
for t in "${TARGETS[@]}"; do
  rm -f "$WORK/$t.verdict"
  run_target "$t" &
  running=$((running + 1))
  if [[ $running -ge $JOBS ]]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait || true

failed=0
for t in "${TARGETS[@]}"; do
  if [[ -f "$WORK/$t.verdict" ]]; then
    cat "$WORK/$t.verdict"
    [[ "$(cut -c1-4 "$WORK/$t.verdict")" == PASS ]] || failed=$((failed + 1))
  else
    echo "FAIL $t: no verdict (the runner died); log ${WORK#$ROOT/}/$t.log"
    failed=$((failed + 1))
  fi
done
cpu_seconds=0
for t in "${TARGETS[@]}"; do
  cpu_seconds=$(( cpu_seconds + $(cat "$WORK/$t.cpu" 2>/dev/null || echo 0) ))
done
echo "[fuzz] $(( ${#TARGETS[@]} - failed )) passed, ${failed} failed ($(( cpu_seconds / 60 )) CPU-minutes measured, $(( ${#TARGETS[@]} * SECONDS_PER_TARGET / 60 )) wall-minutes of fuzzing)"
[[ $failed -eq 0 ]]
