package org.caselink.client;

import com.google.protobuf.Message;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.caselink.v1.Envelope;

/**
 * One decoded caselink record: the envelope's fields, the payload's type name and decoded
 * message (e.g. an {@code org.caselink.v1.CaseReferral}), the CloudEvents headers and the key.
 */
public record DecodedRecord(String eventId, String caseId, String eventType, String payloadField,
                            Message payload, String producerAgencyId, Instant occurredAt,
                            Instant recordedAt, int schemaVersion, String correlationId,
                            String causationId, Envelope envelope, CloudEventHeaders cloudEvents,
                            String key) {

  /** The payload as its generated class, e.g. {@code record.payloadAs(CaseReferral.class)}. */
  public <T extends Message> T payloadAs(Class<T> type) {
    return type.cast(payload);
  }

  /** Names of the CloudEvents headers that disagree with the envelope (empty when all agree). */
  public List<String> headerMismatches() {
    List<String> bad = new ArrayList<>();
    CloudEventHeaders ce = cloudEvents;
    check(bad, "ce_specversion", ce.specversion(), "1.0");
    check(bad, "ce_id", ce.id(), eventId);
    check(bad, "ce_source", ce.source(), producerAgencyId);
    check(bad, "ce_type", ce.type(), eventType);
    check(bad, "ce_subject", ce.subject(), caseId);
    check(bad, "content-type", ce.contentType(), "application/x-protobuf");
    if (!timeMatches(ce.time())) {
      bad.add("ce_time");
    }
    return bad;
  }

  private static void check(List<String> bad, String name, String got, String want) {
    if (!Objects.equals(got, want)) {
      bad.add(name);
    }
  }

  // ce_time carries occurred_at truncated to the millisecond (RFC 3339).
  private boolean timeMatches(String text) {
    if (text == null) {
      return false;
    }
    try {
      Duration lag = Duration.between(Instant.parse(text), occurredAt);
      return !lag.isNegative() && lag.compareTo(Duration.ofMillis(1)) < 0;
    } catch (DateTimeParseException e) {
      return false;
    }
  }
}
