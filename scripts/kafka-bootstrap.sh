# caselink — sourced, not run: the one place the scripts and the test scripts read which Kafka
# broker to use (docs/configuration.md), so every one of them takes the same variable and
# warns about the old name the same way. The services and tools read it through
# kafka::bootstrap_from_environment (services/lib/kafka/settings.h).
#
#   source scripts/kafka-bootstrap.sh
#   BOOTSTRAP="$(caselink_bootstrap)"   # empty when none is named
#   caselink_bootstrap_or_skip          # ctest scripts: export it, or SKIP (exit 77)

# Prints CASELINK_KAFKA_BOOTSTRAP; else the deprecated alias KAFKA_BOOTSTRAP, with a warning on
# stderr; else nothing.
caselink_bootstrap() {
  if [[ -n "${CASELINK_KAFKA_BOOTSTRAP:-}" ]]; then
    printf '%s\n' "$CASELINK_KAFKA_BOOTSTRAP"
  elif [[ -n "${KAFKA_BOOTSTRAP:-}" ]]; then
    echo "warning: KAFKA_BOOTSTRAP is deprecated; set CASELINK_KAFKA_BOOTSTRAP" >&2
    printf '%s\n' "$KAFKA_BOOTSTRAP"
  fi
}

# For a ctest script: exports CASELINK_KAFKA_BOOTSTRAP (taken from the alias if need be) for
# what the script starts, or says SKIP and exits 77, which ctest counts as skipped.
caselink_bootstrap_or_skip() {
  CASELINK_KAFKA_BOOTSTRAP="$(caselink_bootstrap)"
  if [[ -z "$CASELINK_KAFKA_BOOTSTRAP" ]]; then
    echo "SKIP: CASELINK_KAFKA_BOOTSTRAP is not set (scripts/test.sh starts a broker and sets it)"
    exit 77
  fi
  export CASELINK_KAFKA_BOOTSTRAP
}

# kcat with the connection's security, as every caselink client takes it from the environment:
# -F CASELINK_KAFKA_CLIENT_CONFIG_FILE when it is set (a principal's librdkafka file, e.g. the
# test command's super user on its secured broker), plain kcat otherwise.
caselink_kcat() {
  if [[ -n "${CASELINK_KAFKA_CLIENT_CONFIG_FILE:-}" ]]; then
    kcat -F "$CASELINK_KAFKA_CLIENT_CONFIG_FILE" "$@"
  else
    kcat "$@"
  fi
}
