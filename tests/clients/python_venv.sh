# Sourced by everything that runs the Python client from the venv scripts/setup.sh made
# (.local/clients-py): tests/clients/python_client.sh, tests/chaos/checker_test.sh,
# tests/integration/report_numbers.sh, scripts/chaos.sh and the ctest fixture
# clients_python_package (which the tests running the client's example adapter require), from the
# repository root. Checks the venv and installs clients/python from this tree into it (offline,
# no dependency resolution: they are installed already), which regenerates the caselink.v1
# modules from proto/. The install is skipped when the venv already holds this tree's package
# (a stamp of the client's sources and proto/), so tests that run side by side never reinstall
# it under each other. Sets VENV; exits 1 (a failure, never a skip) when either fails.
VENV="$PWD/.local/clients-py"
if [[ ! -x "$VENV/bin/pytest" ]]; then
  echo "FAIL: no Python venv with pytest at .local/clients-py (run scripts/setup.sh)"
  exit 1
fi
python_client_stamp() {
  find clients/python/src clients/python/setup.py clients/python/pyproject.toml proto -type f \
    -not -path '*/__pycache__/*' -not -path '*.egg-info/*' -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1
}
if [[ "$(cat "$VENV/caselink-client.stamp" 2>/dev/null)" != "$(python_client_stamp)" ]]; then
  # A fresh build directory: a stale one would keep modules of a removed .proto.
  rm -rf clients/python/build
  "$VENV/bin/pip" install -q --no-index --no-deps --no-build-isolation --force-reinstall ./clients/python || {
    echo "FAIL: could not build and install clients/python"; exit 1; }
  python_client_stamp >"$VENV/caselink-client.stamp"
fi
