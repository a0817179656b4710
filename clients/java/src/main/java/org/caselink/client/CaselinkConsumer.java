package org.caselink.client;

import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * A read_committed, manually committed consumer of caselink topics that calls its handler once
 * per event id (docs/integrators.md §6):
 * <ul>
 *   <li>isolation.level=read_committed: records of aborted transactions are never handed over;</li>
 *   <li>auto commit off: a record's offset is committed (commitSync) only after the handler
 *       returned, so a crash re-delivers it (at least once);</li>
 *   <li>idempotent by event id: a record whose event id {@code seen} knows is skipped (and
 *       committed). Keep {@code seen} durable, in the same transaction as the handler's effects;
 *       {@link MemorySeenEvents} deduplicates within one process only;</li>
 *   <li>a record that is not a valid Envelope goes to {@code onInvalid} and is committed: it never
 *       blocks its partition;</li>
 *   <li>a handler exception propagates without a commit: the record is read again after a restart.</li>
 * </ul>
 */
public final class CaselinkConsumer implements AutoCloseable {

  /** Handles one new event. */
  @FunctionalInterface
  public interface Handler {
    void handle(DecodedRecord record, ConsumerRecord<String, byte[]> raw) throws Exception;
  }

  /** Told about a record that is not a valid Envelope (then committed and skipped). */
  @FunctionalInterface
  public interface InvalidHandler {
    void invalid(ConsumerRecord<String, byte[]> raw, DecodeException error);
  }

  /** The deduplication store: which event ids were handled. */
  public interface SeenEvents {
    boolean contains(String eventId);

    void add(String eventId);
  }

  /** In-process deduplication store, forgetting the oldest ids beyond its capacity. */
  public static final class MemorySeenEvents implements SeenEvents {
    private final Map<String, Boolean> ids;

    public MemorySeenEvents(int capacity) {
      ids = new LinkedHashMap<>() {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
          return size() > capacity;
        }
      };
    }

    @Override
    public boolean contains(String eventId) {
      return ids.containsKey(eventId);
    }

    @Override
    public void add(String eventId) {
      ids.put(eventId, Boolean.TRUE);
    }
  }

  private static final Map<String, String> FIXED = Map.of(
      ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
      ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");

  private final KafkaConsumer<String, byte[]> consumer;
  private final Handler handler;
  private final InvalidHandler onInvalid;
  private final SeenEvents seen;
  private long handled;
  private long duplicates;
  private long invalid;

  /** Settings for a caselink consumer of {@code groupId}; add security settings as needed. */
  public static Properties settings(String bootstrap, String groupId) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.putAll(FIXED);
    return props;
  }

  public CaselinkConsumer(Properties props, Collection<String> topics, Handler handler,
                          InvalidHandler onInvalid, SeenEvents seen) {
    for (Map.Entry<String, String> fixed : FIXED.entrySet()) {
      Object value = props.get(fixed.getKey());
      if (value != null && !fixed.getValue().equals(String.valueOf(value))) {
        throw new IllegalArgumentException("config " + fixed.getKey() + "=" + value
            + " is not supported: the consumer needs " + fixed.getValue());
      }
    }
    Properties all = new Properties();
    all.putAll(props);
    all.putAll(FIXED);
    this.consumer = new KafkaConsumer<>(all, new StringDeserializer(), new ByteArrayDeserializer());
    this.handler = handler;
    this.onInvalid = onInvalid;
    this.seen = seen;
    consumer.subscribe(topics);
  }

  /** Polls once and handles what arrived; returns the number of records read. */
  public int pollOnce(Duration timeout) throws Exception {
    int count = 0;
    for (ConsumerRecord<String, byte[]> raw : consumer.poll(timeout)) {
      process(raw);
      consumer.commitSync(Map.of(new TopicPartition(raw.topic(), raw.partition()),
          new OffsetAndMetadata(raw.offset() + 1)));
      count++;
    }
    return count;
  }

  private void process(ConsumerRecord<String, byte[]> raw) throws Exception {
    DecodedRecord record;
    try {
      record = EnvelopeDecoder.decode(raw);
    } catch (DecodeException e) {
      invalid++;
      onInvalid.invalid(raw, e);
      return;
    }
    if (seen.contains(record.eventId())) {
      duplicates++;
      return;
    }
    handler.handle(record, raw);
    seen.add(record.eventId());
    handled++;
  }

  /** True when partitions are assigned and each was read to its end (its last stable offset). */
  public boolean caughtUp() {
    Set<TopicPartition> assigned = consumer.assignment();
    if (assigned.isEmpty()) {
      return false;
    }
    Map<TopicPartition, Long> ends = consumer.endOffsets(assigned);
    return assigned.stream().allMatch(tp -> consumer.position(tp) >= ends.get(tp));
  }

  /** Polls until every assigned partition is read to its end; fails after {@code timeout}. */
  public void runUntilCaughtUp(Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    do {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("not caught up after " + timeout + "; assigned " + consumer.assignment());
      }
      pollOnce(Duration.ofMillis(500));
    } while (!caughtUp());
  }

  /** Interrupts a blocking poll from another thread (e.g. a shutdown hook). */
  public void wakeup() {
    consumer.wakeup();
  }

  public long handled() {
    return handled;
  }

  public long duplicates() {
    return duplicates;
  }

  public long invalid() {
    return invalid;
  }

  @Override
  public void close() {
    consumer.close();
  }
}
