"""A principal's broker connection from the client file deploy/local/kafka.sh --secure writes.

The secured broker (TLS, SASL/SCRAM-SHA-512, deny-by-default ACLs) gives each principal a
librdkafka properties file, ``.local/kafka/NAME/clients/<principal>.properties``
(``kafka.sh client-config NAME``): ``bootstrap.servers``, ``security.protocol``,
``sasl.mechanisms``, ``sasl.username``, ``sasl.password``, ``ssl.ca.location``. The same file the
C++ services take as ``kafka.client_config_file`` (docs/configuration.md, "Connecting to the
secured broker"); confluent-kafka speaks librdkafka's keys, so its settings pass through as they
are::

    from caselink_client import CaselinkConsumer, client_config
    settings = client_config(".local/kafka/local/clients/sthjj-330100.properties")
    consumer = CaselinkConsumer(settings["bootstrap.servers"], "sthjj-330100-adapter", topics, handle,
                                config=settings)
"""
from __future__ import annotations

import os
from typing import Dict

# The environment variable every caselink client reads its client file from (C++ services, SDK,
# tools; docs/configuration.md).
CLIENT_CONFIG_FILE_VARIABLE = "CASELINK_KAFKA_CLIENT_CONFIG_FILE"


def client_config(path: str) -> Dict[str, str]:
    """The ``key=value`` lines of the file (blank lines and ``#`` comments skipped, spaces around
    key and value trimmed) as librdkafka settings. A malformed line or a key set twice raises
    ValueError naming the file and line, never a value (the file holds a password); a missing
    file raises OSError."""
    settings: Dict[str, str] = {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            key, sep, value = text.partition("=")
            key = key.strip()
            if not sep or not key:
                raise ValueError(f"{path}:{number}: expected key=value")
            if key in settings:
                raise ValueError(f"{path}:{number}: '{key}' set twice")
            settings[key] = value.strip()
    return settings


def client_config_from_environment() -> Dict[str, str]:
    """The settings of the client file named by ``CASELINK_KAFKA_CLIENT_CONFIG_FILE``, as every
    caselink client takes its connection's security; ``{}`` (plaintext) when it is unset or empty.
    Errors as ``client_config``'s."""
    path = os.environ.get(CLIENT_CONFIG_FILE_VARIABLE, "")
    return client_config(path) if path else {}
