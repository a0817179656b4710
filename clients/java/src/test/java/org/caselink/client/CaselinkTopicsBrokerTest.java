package org.caselink.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.caselink.v1.Envelope;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Against the real broker (CASELINK_KAFKA_BOOTSTRAP) after caselink's scenario ran on it
 * (tests/clients/scenario_records.sh makes sure it did).
 */
class CaselinkTopicsBrokerTest {
  static final List<String> ENVELOPE_TOPICS = List.of("caselink.referral.v1", "caselink.decision.v1",
      "caselink.evidence.manifest.v1", "caselink.evidence.receipt.v1", "caselink.admin-penalty.v1",
      "caselink.standards.assessment.v1", "caselink.recommendation.v1", "caselink.ack.v1",
      "caselink.case.state.v1", "caselink.alert.v1");
  static final Pattern FEEDBACK = Pattern.compile("^caselink\\.feedback\\.[a-z0-9-]+\\.v1$");
  static final Set<String> SERVICE_OUTPUT_TYPES = Set.of("caselink.v1.CaseStateSnapshot", "caselink.v1.Alert",
      "caselink.v1.EvidenceReceipt", "caselink.v1.StandardsAssessment");
  static String bootstrap;

  @BeforeAll
  static void broker() {
    bootstrap = brokerFromEnvironment();
    assumeTrue(bootstrap != null, "CASELINK_KAFKA_BOOTSTRAP is not set (scripts/test.sh sets it)");
  }

  /**
   * CASELINK_KAFKA_BOOTSTRAP, as caselink's services and scripts read it; KAFKA_BOOTSTRAP only as a
   * deprecated alias, with a warning. Null when neither is set.
   */
  static String brokerFromEnvironment() {
    String named = System.getenv("CASELINK_KAFKA_BOOTSTRAP");
    if (named != null && !named.isEmpty()) {
      return named;
    }
    String alias = System.getenv("KAFKA_BOOTSTRAP");
    if (alias != null && !alias.isEmpty()) {
      System.err.println("warning: KAFKA_BOOTSTRAP is deprecated; set CASELINK_KAFKA_BOOTSTRAP");
      return alias;
    }
    return null;
  }

  /**
   * The connection's security, as every caselink client takes it: CASELINK_KAFKA_CLIENT_CONFIG_FILE
   * names a principal's client file (on the test command's secured broker, its super user's), read
   * by {@link ClientConfig}. Empty when the variable is not set (plaintext).
   */
  static Properties security() throws IOException {
    String file = System.getenv("CASELINK_KAFKA_CLIENT_CONFIG_FILE");
    return file == null || file.isEmpty() ? new Properties() : ClientConfig.fromFile(Path.of(file));
  }

  /** Settings for the broker under test: its security, its address, then {@code extra}. */
  static Properties connection(Properties extra) throws IOException {
    Properties p = security();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.putAll(extra);
    return p;
  }

  static Admin admin() throws IOException {
    return Admin.create(connection(new Properties()));
  }

  /** A topic of this test's own, so its deliberately bad record is on no caselink topic. */
  static String newTopic() throws Exception {
    String name = "it.clients.java." + UUID.randomUUID().toString().substring(0, 12);
    try (Admin admin = admin()) {
      admin.createTopics(List.of(new NewTopic(name, 3, (short) 1))).all().get(30, TimeUnit.SECONDS);
    }
    return name;
  }

  static List<String> caselinkTopics() throws Exception {
    try (Admin admin = admin()) {
      Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      List<String> missing = ENVELOPE_TOPICS.stream().filter(t -> !existing.contains(t)).toList();
      assertEquals(List.of(), missing, "topics missing (apply deploy/topics.yaml)");
      List<String> feedback = existing.stream().filter(t -> FEEDBACK.matcher(t).matches()).sorted().toList();
      assertFalse(feedback.isEmpty(), "no caselink.feedback.<agency>.v1 topic");
      return Stream.concat(ENVELOPE_TOPICS.stream(), feedback.stream()).toList();
    }
  }

  @Test
  void everyRecordOnTheCaselinkTopicsDecodes() throws Exception {
    Map<String, Integer> types = new TreeMap<>();
    Map<String, Integer> perTopic = new TreeMap<>();
    List<String> invalid = new ArrayList<>();
    List<String> headerProblems = new ArrayList<>();
    CaselinkConsumer consumer = new CaselinkConsumer(connection(CaselinkConsumer.settings(bootstrap, "clients-java-it-" + UUID.randomUUID())),
        caselinkTopics(), (r, raw) -> {
          types.merge(r.eventType(), 1, Integer::sum);
          perTopic.merge(raw.topic(), 1, Integer::sum);
          if (!r.headerMismatches().isEmpty() || !r.caseId().equals(r.key())) {
            headerProblems.add(raw.topic() + "[" + raw.partition() + "]@" + raw.offset() + ": " + r.headerMismatches());
          }
        },
        (raw, e) -> invalid.add(raw.topic() + "[" + raw.partition() + "]@" + raw.offset() + ": " + e.getMessage()),
        new CaselinkConsumer.MemorySeenEvents(1_000_000));
    try (consumer) {
      consumer.runUntilCaughtUp(Duration.ofSeconds(120));
    }
    System.out.println("decoded record types: " + types);
    assertEquals(List.of(), invalid, invalid.size() + " record(s) could not be decoded");
    assertEquals(List.of(), headerProblems, "CloudEvents headers or key disagree with the envelope");
    assertTrue(types.keySet().containsAll(SERVICE_OUTPUT_TYPES),
        "service output types missing (did the scenario run?): " + types.keySet());
    assertTrue(perTopic.keySet().stream().anyMatch(t -> FEEDBACK.matcher(t).matches()), "no record on a feedback topic");
    assertEquals(0, consumer.duplicates(), "event ids repeated across caselink's topics");
  }

  @Test
  void consumerHandlesEachEventIdOnceSkipsInvalidAndCommits() throws Exception {
    String caseId = "clients-java-" + UUID.randomUUID().toString().substring(0, 12);
    Envelope first = Envelopes.envelope("probe").setCaseId(caseId).build();
    Envelope second = Envelopes.envelope("probe").setCaseId(caseId).build();
    String topic = newTopic();
    Properties pp = connection(new Properties());
    pp.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(pp, new StringSerializer(), new ByteArraySerializer())) {
      for (byte[] value : List.of(first.toByteArray(), new byte[] {0x0a, (byte) 0xff, 'x'}, second.toByteArray(), first.toByteArray())) {
        producer.send(new ProducerRecord<>(topic, caseId, value)).get(30, TimeUnit.SECONDS);
      }
    }
    String group = "clients-java-it-" + UUID.randomUUID();
    List<String> handled = new ArrayList<>();
    List<String> invalid = new ArrayList<>();
    try (CaselinkConsumer consumer = new CaselinkConsumer(connection(CaselinkConsumer.settings(bootstrap, group)), List.of(topic),
        (r, raw) -> { if (caseId.equals(r.caseId())) { handled.add(r.eventId()); } },
        (raw, e) -> { if (caseId.equals(raw.key())) { invalid.add(e.errorClass()); } },
        new CaselinkConsumer.MemorySeenEvents(10_000))) {
      consumer.runUntilCaughtUp(Duration.ofSeconds(60));
    }
    assertEquals(List.of(first.getEventId(), second.getEventId()), handled, "the redelivered event had a second effect");
    assertEquals(List.of("envelope.undecodable"), invalid);
    List<String> again = new ArrayList<>();
    try (CaselinkConsumer consumer = new CaselinkConsumer(connection(CaselinkConsumer.settings(bootstrap, group)), List.of(topic),
        (r, raw) -> { if (caseId.equals(r.caseId())) { again.add(r.eventId()); } },
        (raw, e) -> { if (caseId.equals(raw.key())) { again.add("invalid"); } },
        new CaselinkConsumer.MemorySeenEvents(10_000))) {
      consumer.runUntilCaughtUp(Duration.ofSeconds(60));
    }
    assertEquals(List.of(), again, "records were not committed after handling");
  }

  @Test
  void settingsThatBreakTheGuaranteesAreRefused() {
    Properties p = CaselinkConsumer.settings(bootstrap, "g");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
    assertThrows(IllegalArgumentException.class, () -> new CaselinkConsumer(p, List.of("caselink.alert.v1"),
        (r, raw) -> { }, (raw, e) -> { }, new CaselinkConsumer.MemorySeenEvents(1)));
  }
}
