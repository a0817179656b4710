# Sourced by the ctest scripts that run pytest with the Python client (tests/clients/python_client.sh,
# tests/chaos/checker_test.sh, tests/integration/report_numbers.sh), from the repository root:
# checks the venv scripts/setup.sh made (.local/clients-py) and installs clients/python from this
# tree into it (offline, no dependency resolution: they are installed already), which regenerates
# the caselink.v1 modules from proto/. Sets VENV; exits 1 (a failure, never a skip) when either fails.
VENV="$PWD/.local/clients-py"
if [[ ! -x "$VENV/bin/pytest" ]]; then
  echo "FAIL: no Python venv with pytest at .local/clients-py (run scripts/setup.sh)"
  exit 1
fi
# A fresh build directory each time: a stale one would keep modules of a removed .proto.
rm -rf clients/python/build
"$VENV/bin/pip" install -q --no-index --no-deps --no-build-isolation --force-reinstall ./clients/python || {
  echo "FAIL: could not build and install clients/python"; exit 1; }
