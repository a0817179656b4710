"""A read_committed, manually committed, idempotent consumer of caselink topics.

Delivery contract (docs/integrators.md §6):
- isolation.level=read_committed: records of aborted transactions are never handed over;
- enable.auto.commit=false: a record's offset is committed (synchronously) only after the
  handler returned, so a crash re-delivers it (at least once);
- idempotent by event id: before calling the handler the consumer asks `seen` whether the
  event id was already handled, and skips (and commits) it if so; after the handler returns it
  records the id. Duplicates therefore have no second effect as long as `seen` outlives the
  process: keep it durable, ideally in the same database transaction as the handler's effects.
  The default MemorySeenEvents only deduplicates within one process.
- a record that is not a valid Envelope never blocks its partition: `on_invalid` is called with
  the raw message and the DecodeError, then its offset is committed.
- a handler exception propagates without a commit: the record is read again after a restart.
"""
from __future__ import annotations

import collections
import logging
import time
from typing import Callable, Dict, Iterable, Optional, Protocol, Set, Tuple

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

from caselink_client.envelope import DecodedRecord, DecodeError, decode

log = logging.getLogger("caselink_client.consumer")

Handler = Callable[[DecodedRecord, Message], None]
InvalidHandler = Callable[[Message, DecodeError], None]


class SeenEvents(Protocol):
    """Remembers which event ids were handled (the deduplication store)."""

    def contains(self, event_id: str) -> bool: ...

    def add(self, event_id: str) -> None: ...


class MemorySeenEvents:
    """In-process deduplication store, bounded: forgets the oldest ids beyond `capacity`."""

    def __init__(self, capacity: int = 100_000):
        self._ids: "collections.OrderedDict[str, None]" = collections.OrderedDict()
        self._capacity = capacity

    def contains(self, event_id: str) -> bool:
        return event_id in self._ids

    def add(self, event_id: str) -> None:
        self._ids[event_id] = None
        if len(self._ids) > self._capacity:
            self._ids.popitem(last=False)


def _log_invalid(message: Message, error: DecodeError) -> None:
    log.warning("skipping invalid record %s[%d]@%d: %s", message.topic(), message.partition(),
                message.offset(), error)


# Settings the helper relies on; a caller's config may add to them but not change these.
_FIXED = {"isolation.level": "read_committed", "enable.auto.commit": False, "enable.partition.eof": True}


class CaselinkConsumer:
    """Subscribes to caselink topics and calls `handler` once per new event id."""

    def __init__(self, bootstrap: str, group_id: str, topics: Iterable[str], handler: Handler, *,
                 seen: Optional[SeenEvents] = None, on_invalid: InvalidHandler = _log_invalid,
                 config: Optional[Dict[str, object]] = None):
        # socket.nagle.disable: as caselink's C++ clients and Kafka's Java clients (over TLS, Nagle's
        # algorithm held each request's last segment back for the peer's delayed ACK); a caller's
        # config may set it back.
        settings: Dict[str, object] = {"bootstrap.servers": bootstrap, "group.id": group_id,
                                       "auto.offset.reset": "earliest", "socket.nagle.disable": True}
        settings.update(config or {})
        for name, value in _FIXED.items():
            if name in settings and settings[name] != value:
                raise ValueError(f"config {name}={settings[name]!r} is not supported: the consumer needs {value!r}")
        settings.update(_FIXED)
        self._consumer = Consumer(settings)
        self._handler = handler
        self._on_invalid = on_invalid
        self.seen: SeenEvents = seen if seen is not None else MemorySeenEvents()
        self._assigned: Set[Tuple[str, int]] = set()
        self._at_end: Set[Tuple[str, int]] = set()
        self.handled = 0
        self.duplicates = 0
        self.invalid = 0
        self._consumer.subscribe(list(topics), on_assign=self._assign, on_revoke=self._revoke)

    def _assign(self, _consumer, partitions) -> None:
        self._assigned |= {(p.topic, p.partition) for p in partitions}

    def _revoke(self, _consumer, partitions) -> None:
        gone = {(p.topic, p.partition) for p in partitions}
        self._assigned -= gone
        self._at_end -= gone

    def caught_up(self) -> bool:
        """True when every assigned partition has been read to its end (last stable offset)."""
        return bool(self._assigned) and self._assigned <= self._at_end

    def poll_once(self, timeout: float = 1.0) -> None:
        """Handles at most one record (or one event such as end-of-partition)."""
        message = self._consumer.poll(timeout)
        if message is None:
            return
        error = message.error()
        if error is not None:
            if error.code() == KafkaError._PARTITION_EOF:
                self._at_end.add((message.topic(), message.partition()))
                return
            if error.fatal() or not error.retriable():
                raise KafkaException(error)
            log.warning("transient consumer error: %s", error)
            return
        self._at_end.discard((message.topic(), message.partition()))
        self._process(message)
        self._consumer.commit(message=message, asynchronous=False)

    def _process(self, message: Message) -> None:
        try:
            record = decode(message.value(), message.headers(), message.key())
        except DecodeError as error:
            self.invalid += 1
            self._on_invalid(message, error)
            return
        if self.seen.contains(record.event_id):
            self.duplicates += 1
            return
        self._handler(record, message)
        self.seen.add(record.event_id)
        self.handled += 1

    def run(self, *, until_caught_up: bool = False, deadline: Optional[float] = None,
            should_stop: Callable[[], bool] = lambda: False) -> None:
        """Polls until should_stop() (or, with until_caught_up, until every assigned partition
        is at its end). `deadline` is a time.monotonic() value after which TimeoutError is raised."""

        while not should_stop() and not (until_caught_up and self.caught_up()):
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"not caught up: assigned {sorted(self._assigned)}, at end {sorted(self._at_end)}")
            self.poll_once(0.5)

    def committed(self) -> Dict[Tuple[str, int], int]:
        """The group's committed offsets of the assigned partitions."""
        parts = [TopicPartition(t, p) for t, p in sorted(self._assigned)]
        return {(tp.topic, tp.partition): tp.offset for tp in self._consumer.committed(parts, timeout=10)}

    def close(self) -> None:
        self._consumer.close()

    def __enter__(self) -> "CaselinkConsumer":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()
