#!/usr/bin/env bash
# caselink — one-shot, idempotent setup for a fresh Debian 12 machine.
#
#   scripts/setup.sh              install packages, fetch Kafka, install buf, build everything
#   scripts/setup.sh --no-build   everything except the CMake build
#   scripts/setup.sh --targets "caselink-sync caselinkctl"   build only these CMake targets
#                                 (the main job builds only what it runs; tests build everything)
#
# Safe to run again: every step checks first and skips what is already done.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KAFKA_VERSION="3.9.2"            # keep in step with deploy/kafka/pom.xml
BUF_VERSION="1.75.0"             # @bufbuild/buf on npm; tested with `buf --version` and `buf lint`
POM="$ROOT/deploy/kafka/pom.xml"
LIBS="$ROOT/deploy/kafka/libs"
STAMP="$LIBS/.pom.sha256"
BUF_PREFIX="$ROOT/.local/buf"
LIZARD_VERSION="1.24.3"          # PyPI; tests/contract/function_length.sh looks in .local/lizard
ECHARTS_VERSION="6.1.0"          # npm; caselink-console serves its dist/echarts.min.js (web.echarts_js)
PLAYWRIGHT_CORE_VERSION="1.65.1" # npm, tests only: drives Debian's chromium (tests/e2e/console_browser.mjs)
WEB_PREFIX="$ROOT/.local/web"
BUILD_DIR="$ROOT/build"
TOTAL=5

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config
  librdkafka-dev libprotobuf-dev protobuf-compiler
  libboost-dev libboost-system-dev libspdlog-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev libyaml-cpp-dev nlohmann-json3-dev
  libssl-dev libzstd-dev libjemalloc-dev kcat uuid-dev curl
)
# Only for the test command (the fuzz run, scripts/fuzz.sh; a venv for lizard on a stock Debian
# python3; prometheus/promtool for deploy/prometheus, tests/deploy); the main job (--targets) skips them.
# chromium: the console's browser test (e2e_console_browser), driven by playwright-core;
# fonts-noto-cjk so its screenshots show the Chinese case data as text, not boxes.
TEST_APT_PACKAGES=(clang libclang-rt-14-dev python3-venv prometheus chromium fonts-noto-cjk)

usage() {
  cat <<EOF
Usage: scripts/setup.sh [--no-build | --targets "T1 T2 …"] [--help]

Prepares this machine (Debian 12) to build and run caselink:
  1. apt packages (compilers, CMake/Ninja, librdkafka, protobuf, Boost, spdlog, gtest,
     benchmark, CLI11, yaml-cpp, nlohmann-json, OpenSSL, zstd, jemalloc, kcat, uuid; without
     --targets also clang and its libFuzzer runtime for scripts/fuzz.sh) — skipped when all are
     already installed; systemd (for systemd-analyze) when it is missing
  2. Java 17 and Maven (openjdk-17-jre-headless, maven) if missing
  3. Apache Kafka ${KAFKA_VERSION} jars into deploy/kafka/libs (via deploy/kafka/pom.xml) —
     skipped when the pom is unchanged since the last fetch
  4. buf ${BUF_VERSION} (protobuf lint/breaking) into .local/buf via npm (npm from Debian if
     missing); when that fails setup warns and the contract test fails until buf is installed;
     Apache ECharts ${ECHARTS_VERSION} into .local/web via npm (caselink-console's charts) and,
     without --targets, playwright-core ${PLAYWRIGHT_CORE_VERSION} there too and Debian's chromium
     (the console's browser test, e2e_console_browser);
     lizard ${LIZARD_VERSION} (function-length check) into .local/lizard, a Python venv; without
     --targets, the client libraries' test dependencies (.local/clients-py venv, clients/java's
     Maven artifacts)
  5. CMake configure + Ninja build into build/ (RelWithDebInfo), unless --no-build

Options:
  --no-build   skip step 5
  --targets "T1 T2 …"
               build only these CMake targets in step 5 (scripts/run.sh: the services, the
               tools and the scenario it runs; the tests and benchmarks are left unbuilt)
  -h, --help   show this help

Runs as root, or uses sudo for apt when not root.
EOF
}

BUILD=1
TARGETS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --no-build) BUILD=0 ;;
    --targets)
      [[ $# -ge 2 && -n "$2" ]] || { echo "setup.sh: --targets needs a list of CMake targets" >&2; exit 2; }
      read -r -a TARGETS <<<"$2"
      shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "setup.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

step() { echo "[setup $1/$TOTAL] $2"; }
info() { echo "            $*"; }
warn() { echo "[setup] WARNING: $*" >&2; }
die()  { echo "[setup] ERROR: $*" >&2; exit 1; }

SUDO=()
if [[ $EUID -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo); fi
fi

APT_UPDATED=0
apt_install() {
  if [[ $EUID -ne 0 && ${#SUDO[@]} -eq 0 ]]; then
    die "need root (or sudo) to install: $*"
  fi
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found: this script targets Debian 12"
  if [[ $APT_UPDATED -eq 0 ]]; then
    info "apt-get update"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    APT_UPDATED=1
  fi
  info "apt-get install $*"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}

# Prints the packages of "$@" that are not installed.
missing_packages() {
  local p status
  for p in "$@"; do
    status="$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)"
    [[ "$status" == "installed" ]] || echo "$p"
  done
}

# ---------------------------------------------------------------------------------------------
[[ ${#TARGETS[@]} -gt 0 ]] || APT_PACKAGES+=("${TEST_APT_PACKAGES[@]}")
step 1 "apt packages (${#APT_PACKAGES[@]})…"
mapfile -t MISSING < <(missing_packages "${APT_PACKAGES[@]}")
if [[ ${#MISSING[@]} -eq 0 ]]; then
  info "all installed, skipping apt"
else
  info "missing: ${MISSING[*]}"
  apt_install "${APT_PACKAGES[@]}"
  # Debian's prometheus package enables its own server on :9090 (all interfaces); caselink only
  # runs it on demand (docs/operations.md), so a server this run installed is turned off again.
  if [[ " ${MISSING[*]} " == *" prometheus "* ]] && [[ -d /run/systemd/system ]]; then
    "${SUDO[@]}" systemctl disable --now prometheus >/dev/null 2>&1 || warn "could not stop the prometheus service"
  fi
fi
# systemd-analyze verifies deploy/systemd/ (tests/deploy); a container may have no systemd.
command -v systemd-analyze >/dev/null 2>&1 || apt_install systemd

# ---------------------------------------------------------------------------------------------
step 2 "Java 17+ and Maven…"
java_major() {
  # `java -version` prints e.g.: openjdk version "17.0.15" 2025-04-15
  java -version 2>&1 | sed -n 's/.*version "\([0-9]*\)[."].*/\1/p' | head -n1
}
NEED=()
if ! command -v java >/dev/null 2>&1 || [[ "$(java_major)" -lt 17 ]]; then
  NEED+=(openjdk-17-jre-headless)
fi
command -v mvn >/dev/null 2>&1 || NEED+=(maven)
if [[ ${#NEED[@]} -gt 0 ]]; then
  apt_install "${NEED[@]}"
fi
command -v java >/dev/null 2>&1 || die "java still missing after install"
command -v mvn  >/dev/null 2>&1 || die "mvn still missing after install"
info "java $(java_major), $(mvn -v 2>/dev/null | head -n1 | sed 's/\x1b\[[0-9;]*m//g')"

# ---------------------------------------------------------------------------------------------
step 3 "fetching Apache Kafka ${KAFKA_VERSION} jars…"
POM_SUM="$(sha256sum "$POM" | cut -d' ' -f1)"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$POM_SUM" ]] \
   && compgen -G "$LIBS/kafka_2.13-*.jar" >/dev/null; then
  info "up to date ($(find "$LIBS" -maxdepth 1 -name '*.jar' | wc -l) jars in deploy/kafka/libs), skipping"
else
  # Fetch into a fresh directory, then swap: no stale jars from an older pom, and an interrupted
  # fetch never leaves a half-filled libs/ behind a valid stamp.
  TMP_LIBS="$LIBS.tmp.$$"
  rm -rf "$TMP_LIBS"
  mkdir -p "$TMP_LIBS"
  # (Maven 3.8 emits stray ANSI resets even with -q -B: filter them; pipefail keeps mvn's status.)
  if ! mvn -q -B -Dstyle.color=never -f "$POM" dependency:copy-dependencies \
         -Dkafka.libs.dir="$TMP_LIBS" 2>&1 | sed -e 's/\x1b\[[0-9;]*m//g' -e '/^[[:space:]]*$/d'; then
    rm -rf "$TMP_LIBS"
    die "maven could not fetch the Kafka jars (see output above)"
  fi
  compgen -G "$TMP_LIBS/kafka_2.13-*.jar" >/dev/null || { rm -rf "$TMP_LIBS"; die "no kafka_2.13 jar fetched"; }
  echo "$POM_SUM" > "$TMP_LIBS/.pom.sha256"
  rm -rf "$LIBS"
  mv "$TMP_LIBS" "$LIBS"
  rm -rf "$ROOT/deploy/kafka/target"
  info "$(find "$LIBS" -maxdepth 1 -name '*.jar' | wc -l) jars in deploy/kafka/libs"
fi

# ---------------------------------------------------------------------------------------------
step 4 "buf ${BUF_VERSION} (protobuf lint)…"
BUF_BIN="$BUF_PREFIX/node_modules/.bin/buf"
if [[ -x "$BUF_BIN" ]] && [[ "$("$BUF_BIN" --version 2>/dev/null)" == "$BUF_VERSION" ]]; then
  info "already installed: .local/buf/node_modules/.bin/buf"
else
  command -v npm >/dev/null 2>&1 || apt_install npm
  mkdir -p "$BUF_PREFIX"
  if npm install --prefix "$BUF_PREFIX" --save-exact --no-audit --no-fund --loglevel=error \
       "@bufbuild/buf@${BUF_VERSION}" >/dev/null \
     && [[ "$("$BUF_BIN" --version 2>/dev/null)" == "$BUF_VERSION" ]]; then
    info "installed: .local/buf/node_modules/.bin/buf ($("$BUF_BIN" --version))"
  else
    warn "could not install @bufbuild/buf@${BUF_VERSION} with npm: ctest's contract_buf_lint will FAIL until it is"
  fi
fi

# Apache ECharts for caselink-console (the main job runs it); without --targets also playwright-core
# for the console's browser test. Pinned, into .local/web; redone only when a version differs.
npm_version_of() { sed -n 's/^  "version": "\(.*\)",$/\1/p' "$WEB_PREFIX/node_modules/$1/package.json" 2>/dev/null; }
WEB_PACKAGES=("echarts@${ECHARTS_VERSION}")
[[ ${#TARGETS[@]} -gt 0 ]] || WEB_PACKAGES+=("playwright-core@${PLAYWRIGHT_CORE_VERSION}")
WEB_MISSING=0
for pkg in "${WEB_PACKAGES[@]}"; do
  [[ "$(npm_version_of "${pkg%@*}")" == "${pkg##*@}" ]] || WEB_MISSING=1
done
if [[ $WEB_MISSING -eq 0 ]]; then
  info "already installed: ${WEB_PACKAGES[*]} in .local/web"
else
  command -v npm >/dev/null 2>&1 || apt_install npm
  mkdir -p "$WEB_PREFIX"
  if npm install --prefix "$WEB_PREFIX" --save-exact --no-audit --no-fund --loglevel=error "${WEB_PACKAGES[@]}" >/dev/null; then
    info "installed: ${WEB_PACKAGES[*]} in .local/web"
  else
    warn "could not install ${WEB_PACKAGES[*]} with npm: caselink-console will not start (web.echarts_js) and e2e_console_browser will FAIL"
  fi
fi

# lizard for the function-length contract test: a venv of the python3 on PATH (pyenv or Debian's;
# `pip install --user lizard` when venv is unavailable). The test fails, not skips, without it.
LIZARD_BIN="$ROOT/.local/lizard/bin/lizard"
if [[ -x "$LIZARD_BIN" ]] && [[ "$("$LIZARD_BIN" --version 2>/dev/null)" == "$LIZARD_VERSION" ]]; then
  info "already installed: .local/lizard/bin/lizard"
elif python3 -m venv "$ROOT/.local/lizard" >/dev/null 2>&1 \
     && "$ROOT/.local/lizard/bin/pip" install -q "lizard==${LIZARD_VERSION}"; then
  info "installed: .local/lizard/bin/lizard ($("$LIZARD_BIN" --version))"
elif python3 -m pip install -q --user "lizard==${LIZARD_VERSION}"; then
  info "installed with pip --user: python3 -m lizard"
else
  warn "could not install lizard ${LIZARD_VERSION}: contract_function_length will fail"
fi

# The client libraries' tests (tests/clients; not for --targets): a venv with the Python client's
# dependencies, and every Maven artifact of clients/java fetched by one run of its unit tests,
# so the tests themselves run offline. Each redone only when its pins or pom change.
CLIENTS_PY="$ROOT/.local/clients-py"
CLIENTS_PY_PINS="protobuf==4.21.12 confluent-kafka==2.6.1 pytest==8.3.4 setuptools==75.6.0 wheel==0.45.1"
CLIENTS_JAVA_STAMP="$ROOT/.local/clients-java.pom.sha256"
if [[ ${#TARGETS[@]} -eq 0 ]]; then
  if [[ "$(cat "$CLIENTS_PY/.pins" 2>/dev/null)" == "$CLIENTS_PY_PINS" ]]; then
    info "already installed: .local/clients-py (Python client test venv)"
  elif rm -rf "$CLIENTS_PY" && python3 -m venv "$CLIENTS_PY" \
       && "$CLIENTS_PY/bin/pip" install -q $CLIENTS_PY_PINS; then
    echo "$CLIENTS_PY_PINS" >"$CLIENTS_PY/.pins"
    info "installed: .local/clients-py ($CLIENTS_PY_PINS)"
  else
    warn "could not make the venv .local/clients-py: clients_python will fail"
  fi
  JAVA_POM_SUM="$(sha256sum "$ROOT/clients/java/pom.xml" | cut -d' ' -f1)"
  if [[ "$(cat "$CLIENTS_JAVA_STAMP" 2>/dev/null)" == "$JAVA_POM_SUM" ]]; then
    info "Maven artifacts of clients/java already resolved"
  elif mvn -q -B -Dstyle.color=never -f "$ROOT/clients/java/pom.xml" clean test -Dtest=EnvelopeDecoderTest \
         2>&1 | sed -e 's/\x1b\[[0-9;]*m//g' -e '/^[[:space:]]*$/d'; then
    echo "$JAVA_POM_SUM" >"$CLIENTS_JAVA_STAMP"
    info "Maven artifacts of clients/java resolved"
  else
    warn "could not resolve the Maven artifacts of clients/java: clients_java will fail"
  fi
fi

# ---------------------------------------------------------------------------------------------
if [[ $BUILD -eq 0 ]]; then
  step 5 "build skipped (--no-build)"
else
  step 5 "configuring and building with CMake + Ninja into build/…"
  cd "$ROOT"
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
  if [[ ${#TARGETS[@]} -gt 0 ]]; then
    info "targets: ${TARGETS[*]}"
    cmake --build "$BUILD_DIR" -j2 --target "${TARGETS[@]}"
  else
    cmake --build "$BUILD_DIR" -j2
  fi
fi

echo "[setup] done. Start a local broker with: deploy/local/kafka.sh start"
