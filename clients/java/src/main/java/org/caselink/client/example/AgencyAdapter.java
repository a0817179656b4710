package org.caselink.client.example;

import com.google.protobuf.Timestamp;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.caselink.client.CaselinkConsumer;
import org.caselink.client.ClientConfig;
import org.caselink.client.DecodedRecord;
import org.caselink.client.EventDigest;
import org.caselink.v1.CaseReferral;
import org.caselink.v1.Envelope;
import org.caselink.v1.Fact;
import org.caselink.v1.FeedbackAcknowledged;
import org.caselink.v1.Jurisdiction;
import org.caselink.v1.Organ;
import org.caselink.v1.OrganKind;

/**
 * An agency adapter in Java, from the contracts alone: it refers a case and acknowledges its
 * feedback (the Java twin of clients/python/examples/agency_adapter.py).
 *
 * <p>The Hangzhou Ecology and Environment Bureau (sthjj-330100) sends a CaseReferral of a
 * pollution case (cadmium at 4.2 times the discharge standard, fact {@code heavy_metal_multiple},
 * docs/facts.md) to caselink.referral.v1 (key = case id, CloudEvents headers, idempotent producer
 * with acks=all), then reads its feedback topic caselink.feedback.&lt;agency&gt;.v1 with the
 * client's read_committed {@link CaselinkConsumer} and answers each filing decision, prosecution
 * decision, evidence receipt and threshold assessment with a FeedbackAcknowledged on
 * caselink.ack.v1. The acknowledgement's event id is derived from the feedback's (a name-based
 * UUID, version 5), so a redelivered feedback record is acknowledged under the same id.
 *
 * <pre>java -cp … org.caselink.client.example.AgencyAdapter --bootstrap 127.0.0.1:9092 \
 *     --agency sthjj-330100 --case-id sthjj-330100-2026-0001 [--topic-prefix sandbox.] [--idle-timeout 20] \
 *     [--client-config .local/kafka/local/clients/sthjj-330100.properties]</pre>
 *
 * <p>{@code --client-config} names the agency's client file on a secured broker (the one kafka.sh
 * writes, read by {@link ClientConfig}); without it the adapter connects in plaintext.
 *
 * <p>It is an adapter {@code caselinkctl conformance} runs in the tests (docs/integrators.md §11).
 * Exit 0 when the referral was delivered and the feedback idle time passed, 1 when a delivery
 * failed, 2 on bad options.
 */
public final class AgencyAdapter {
  private static final Set<Envelope.PayloadCase> ACKNOWLEDGED = EnumSet.of(Envelope.PayloadCase.FILING_DECISION,
      Envelope.PayloadCase.PROSECUTION_DECISION, Envelope.PayloadCase.EVIDENCE_RECEIPT,
      Envelope.PayloadCase.STANDARDS_ASSESSMENT);
  /** The adapter's own namespace for derived acknowledgement ids (the Python example's). */
  private static final UUID ACK_NAMESPACE = UUID.fromString("6f6d2d0e-5c2b-4c8e-9a57-3f3c2a7e1b10");
  private static final DateTimeFormatter CE_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private AgencyAdapter() {}

  /** The command line: the Python example's options. */
  record Options(String bootstrap, String agency, String caseId, String group, String topicPrefix,
                 Duration idleTimeout, Properties security) {
    static Options parse(String[] args) throws IOException {
      Map<String, String> given = new java.util.HashMap<>(Map.of("--agency", "sthjj-330100", "--topic-prefix", "",
          "--idle-timeout", "20"));
      for (int i = 0; i < args.length; i += 2) {
        if (!args[i].startsWith("--") || i + 1 >= args.length) {
          throw new IllegalArgumentException("expected --option value, got " + args[i]);
        }
        given.put(args[i], args[i + 1]);
      }
      for (String required : List.of("--bootstrap", "--case-id")) {
        if (!given.containsKey(required)) {
          throw new IllegalArgumentException(required + " is required");
        }
      }
      String agency = given.get("--agency");
      long idleMillis = Math.round(Double.parseDouble(given.get("--idle-timeout")) * 1000);
      return new Options(given.get("--bootstrap"), agency, given.get("--case-id"),
          given.getOrDefault("--group", agency + "-java-adapter"), given.get("--topic-prefix"),
          Duration.ofMillis(idleMillis),
          given.containsKey("--client-config") ? ClientConfig.fromFile(Path.of(given.get("--client-config")))
              : new Properties());
    }
  }

  static Envelope.Builder newEnvelope(String caseId, String agency, String eventId) {
    // Millisecond precision: ce_time carries occurred_at to the millisecond (docs/topics.md §3).
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    Timestamp ts = Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()).build();
    return Envelope.newBuilder().setEventId(eventId).setCaseId(caseId).setProducerAgencyId(agency)
        .setOccurredAt(ts).setRecordedAt(ts).setSchemaVersion(1).setCorrelationId(caseId);
  }

  static Envelope referral(String caseId, String agency) {
    CaseReferral referral = CaseReferral.newBuilder()
        .setTransferLetterNumber("杭环移〔2026〕12号")
        .setReferringAgency(Organ.newBuilder().setOrganId(agency).setName("杭州市生态环境局")
            .setKind(OrganKind.ORGAN_KIND_ADMINISTRATIVE_AGENCY))
        .setTargetPoliceOrgan(Organ.newBuilder().setOrganId("ga-330100").setName("杭州市公安局")
            .setKind(OrganKind.ORGAN_KIND_POLICE))
        .setOffenceCode("pollution_environment").setOffenceName("污染环境罪")
        .setJurisdiction(Jurisdiction.newBuilder().setProvinceCode("330000").setCityCode("330100"))
        .addFacts(Fact.newBuilder().setName("heavy_metal_multiple").setNumber(4.2).setUnit("multiple"))
        .setActDate("2026-09-14").setDiscoveryDate("2026-09-14")
        .build();
    return newEnvelope(caseId, agency, UUID.randomUUID().toString())
        .setEventType("caselink.v1.CaseReferral").setCaseReferral(referral).build();
  }

  static Envelope acknowledgement(Envelope feedback, String agency) {
    String eventId = uuid5(ACK_NAMESPACE, feedback.getEventId() + "/" + agency).toString();
    return newEnvelope(feedback.getCaseId(), agency, eventId)
        .setEventType("caselink.v1.FeedbackAcknowledged")
        .setCausationId(feedback.getEventId())
        .setFeedbackAcknowledged(FeedbackAcknowledged.newBuilder().setFeedbackEventId(feedback.getEventId())
            .setFeedbackDigestHex(EventDigest.hex(feedback))
            .setAgencyId(agency).setAcknowledgedBy(agency + "-adapter"))
        .build();
  }

  /** RFC 4122 name-based UUID (SHA-1, version 5): the JDK only has version 3 (MD5). */
  static UUID uuid5(UUID namespace, String name) {
    MessageDigest sha1;
    try {
      sha1 = MessageDigest.getInstance("SHA-1");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-1", e);
    }
    sha1.update(ByteBuffer.allocate(16).putLong(namespace.getMostSignificantBits())
        .putLong(namespace.getLeastSignificantBits()).array());
    byte[] hash = sha1.digest(name.getBytes(StandardCharsets.UTF_8));
    hash[6] = (byte) ((hash[6] & 0x0f) | 0x50);
    hash[8] = (byte) ((hash[8] & 0x3f) | 0x80);
    ByteBuffer bytes = ByteBuffer.wrap(hash, 0, 16);
    return new UUID(bytes.getLong(), bytes.getLong());
  }

  /** The CloudEvents binary-mode headers caselink writes for an envelope (docs/integrators.md §5). */
  static ProducerRecord<String, byte[]> record(String topic, Envelope env) {
    ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, env.getCaseId(), env.toByteArray());
    Instant occurred = Instant.ofEpochSecond(env.getOccurredAt().getSeconds(), env.getOccurredAt().getNanos());
    Map<String, String> headers = new java.util.LinkedHashMap<>();
    headers.put("ce_specversion", "1.0");
    headers.put("ce_id", env.getEventId());
    headers.put("ce_source", env.getProducerAgencyId());
    headers.put("ce_type", env.getEventType());
    headers.put("ce_time", CE_TIME.format(occurred));
    headers.put("ce_subject", env.getCaseId());
    headers.put("content-type", "application/x-protobuf");
    headers.forEach((k, v) -> record.headers().add(new RecordHeader(k, v.getBytes(StandardCharsets.UTF_8))));
    return record;
  }

  /** Produces and waits for the broker's acknowledgement; throws when it failed. */
  static void publish(KafkaProducer<String, byte[]> producer, String topic, Envelope env)
      throws InterruptedException, ExecutionException, TimeoutException {
    producer.send(record(topic, env)).get(30, TimeUnit.SECONDS);
    System.out.println("delivered " + env.getEventType() + " event_id=" + env.getEventId() + " topic=" + topic);
  }

  static KafkaProducer<String, byte[]> producer(Options o) {
    Properties props = new Properties();
    props.putAll(o.security());
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, o.bootstrap());
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
  }

  /** The consumer's settings: the connection's security, then the client's own. */
  static Properties settings(Options o) {
    Properties props = new Properties();
    props.putAll(o.security());
    props.putAll(CaselinkConsumer.settings(o.bootstrap(), o.group()));
    return props;
  }

  /** Acknowledges feedback until none came for the idle timeout. */
  static void acknowledgeFeedback(Options o, KafkaProducer<String, byte[]> producer) throws Exception {
    long[] last = {System.nanoTime()};
    CaselinkConsumer.Handler handle = (DecodedRecord record, org.apache.kafka.clients.consumer.ConsumerRecord<String, byte[]> raw) -> {
      if (ACKNOWLEDGED.contains(record.envelope().getPayloadCase())) {
        publish(producer, o.topicPrefix() + "caselink.ack.v1", acknowledgement(record.envelope(), o.agency()));
        last[0] = System.nanoTime();
      }
    };
    String feedbackTopic = o.topicPrefix() + "caselink.feedback." + o.agency() + ".v1";
    try (CaselinkConsumer consumer = new CaselinkConsumer(settings(o),
        List.of(feedbackTopic), handle,
        (raw, error) -> System.err.println("skipped " + raw.topic() + "@" + raw.offset() + ": " + error.getMessage()),
        new CaselinkConsumer.MemorySeenEvents(100_000))) {
      while (System.nanoTime() - last[0] < o.idleTimeout().toNanos()) {
        consumer.pollOnce(Duration.ofMillis(500));
      }
    }
  }

  public static void main(String[] args) throws Exception {
    // Kafka's client logs its whole configuration at INFO; keep the output to the events.
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    Options o;
    try {
      o = Options.parse(args);
    } catch (IllegalArgumentException | IOException e) {
      System.err.println(e.getMessage() + "\nusage: AgencyAdapter --bootstrap HOST:PORT --case-id ID [--agency ID]"
          + " [--group G] [--topic-prefix P] [--idle-timeout SECONDS] [--client-config FILE]");
      System.exit(2);
      return;
    }
    try (KafkaProducer<String, byte[]> producer = producer(o)) {
      try {
        publish(producer, o.topicPrefix() + "caselink.referral.v1", referral(o.caseId(), o.agency()));
      } catch (ExecutionException | TimeoutException e) {
        System.err.println("CaseReferral not delivered: " + e);
        System.exit(1);
      }
      acknowledgeFeedback(o, producer);
    }
  }
}
