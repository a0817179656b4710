package org.caselink.client;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import com.google.protobuf.Timestamp;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.caselink.v1.Envelope;

/** Test records built as caselink writes them. */
final class Envelopes {
  static final Timestamp T0 = Timestamp.newBuilder().setSeconds(1_795_836_285L).setNanos(123_456_789).build();
  static final String T0_TEXT = "2026-11-28T03:24:45.123Z";

  private Envelopes() {}

  /** A valid envelope whose payload is the (empty) message of oneof field {@code payloadField}. */
  static Envelope.Builder envelope(String payloadField) {
    FieldDescriptor field = Envelope.getDescriptor().findFieldByName(payloadField);
    Envelope.Builder b = Envelope.newBuilder();
    Message empty = b.newBuilderForField(field).build();
    String id = UUID.randomUUID().toString();
    return b.setField(field, empty).setEventId(id).setCaseId("env-330100-2026-0001")
        .setEventType(field.getMessageType().getFullName()).setProducerAgencyId("sthjj-330100")
        .setOccurredAt(T0).setRecordedAt(T0.toBuilder().setSeconds(T0.getSeconds() + 2)).setSchemaVersion(1)
        .setCorrelationId(id);
  }

  static RecordHeaders headers(Envelope e) {
    RecordHeaders h = new RecordHeaders();
    h.add("ce_specversion", bytes("1.0"));
    h.add("ce_id", bytes(e.getEventId()));
    h.add("ce_source", bytes(e.getProducerAgencyId()));
    h.add("ce_type", bytes(e.getEventType()));
    h.add("ce_time", bytes(T0_TEXT));
    h.add("ce_subject", bytes(e.getCaseId()));
    h.add("content-type", bytes("application/x-protobuf"));
    return h;
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
