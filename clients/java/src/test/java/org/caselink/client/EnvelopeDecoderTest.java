package org.caselink.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.FieldDescriptor;
import java.time.Instant;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.caselink.v1.CaseReferral;
import org.caselink.v1.Envelope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Unit tests of the decoder: records built in Java, no broker. */
class EnvelopeDecoderTest {

  @Test
  void decodesEnvelopeFieldsPayloadAndCloudEvents() throws Exception {
    Envelope.Builder b = Envelopes.envelope("case_referral").setCausationId("11111111-2222-4333-8444-555555555555");
    b.setCaseReferral(CaseReferral.newBuilder().setTransferLetterNumber("杭环移〔2026〕1号"));
    Envelope e = b.build();
    DecodedRecord r = EnvelopeDecoder.decode(e.toByteArray(), Envelopes.headers(e), "env-330100-2026-0001");

    assertEquals(e.getEventId(), r.eventId());
    assertEquals("env-330100-2026-0001", r.caseId());
    assertEquals("env-330100-2026-0001", r.key());
    assertEquals("caselink.v1.CaseReferral", r.eventType());
    assertEquals("case_referral", r.payloadField());
    assertEquals("杭环移〔2026〕1号", r.payloadAs(CaseReferral.class).getTransferLetterNumber());
    assertEquals("sthjj-330100", r.producerAgencyId());
    assertEquals(Instant.parse("2026-11-28T03:24:45.123456789Z"), r.occurredAt());
    assertEquals(Instant.parse("2026-11-28T03:24:47.123456789Z"), r.recordedAt());
    assertEquals(1, r.schemaVersion());
    assertEquals(e.getEventId(), r.correlationId());
    assertEquals("11111111-2222-4333-8444-555555555555", r.causationId());
    assertEquals(new CloudEventHeaders("1.0", e.getEventId(), "sthjj-330100", "caselink.v1.CaseReferral",
        Envelopes.T0_TEXT, "env-330100-2026-0001", "application/x-protobuf"), r.cloudEvents());
    assertEquals(List.of(), r.headerMismatches());
  }

  static Stream<String> payloadFields() {
    return Envelope.getDescriptor().getOneofs().get(0).getFields().stream().map(FieldDescriptor::getName);
  }

  @ParameterizedTest
  @MethodSource("payloadFields")
  void everyPayloadTypeOfTheOneofDecodes(String field) throws Exception {
    Envelope e = Envelopes.envelope(field).build();
    DecodedRecord r = EnvelopeDecoder.decode(e.toByteArray(), Envelopes.headers(e), null);
    assertEquals(field, r.payloadField());
    assertEquals(r.eventType(), r.payload().getDescriptorForType().getFullName());
  }

  @Test
  void missingOrDisagreeingHeadersAreReported() throws Exception {
    Envelope e = Envelopes.envelope("probe").build();
    assertNull(EnvelopeDecoder.decode(e.toByteArray(), null, null).cloudEvents().id());
    RecordHeaders h = Envelopes.headers(e);
    h.remove("ce_source");
    h.add("ce_source", Envelopes.bytes("someone-else"));
    h.remove("ce_time");
    h.add("ce_time", Envelopes.bytes("2026-11-28T03:24:46.000Z"));
    assertEquals(List.of("ce_source", "ce_time"), EnvelopeDecoder.decode(e.toByteArray(), h, null).headerMismatches());
  }

  static Stream<Arguments> invalid() {
    return Stream.of(
        Arguments.of((UnaryOperator<Envelope.Builder>) b -> b.setSchemaVersion(2), "envelope.future_schema_version", "schema_version"),
        Arguments.of((UnaryOperator<Envelope.Builder>) b -> b.setSchemaVersion(0), "envelope.missing_field", "schema_version"),
        Arguments.of((UnaryOperator<Envelope.Builder>) b -> b.setEventId(""), "envelope.missing_field", "event_id"),
        Arguments.of((UnaryOperator<Envelope.Builder>) b -> b.setEventId("not-a-uuid"), "envelope.invalid_field", "event_id"),
        Arguments.of((UnaryOperator<Envelope.Builder>) b -> b.setCaseId("has space"), "envelope.invalid_field", "case_id"),
        Arguments.of((UnaryOperator<Envelope.Builder>) b -> b.setCaseId("x".repeat(129)), "envelope.invalid_field", "case_id"),
        Arguments.of((UnaryOperator<Envelope.Builder>) b -> b.setProducerAgencyId(""), "envelope.missing_field", "producer_agency_id"),
        Arguments.of((UnaryOperator<Envelope.Builder>) b -> b.setEventType(""), "envelope.missing_field", "event_type"),
        Arguments.of((UnaryOperator<Envelope.Builder>) b -> b.setEventType("caselink.v1.NotAThing"), "envelope.unknown_type", "event_type"),
        Arguments.of((UnaryOperator<Envelope.Builder>) b -> b.setEventType("caselink.v1.CaseClosed"), "envelope.type_mismatch", "event_type"),
        Arguments.of((UnaryOperator<Envelope.Builder>) b -> b.clearPayload(), "envelope.missing_field", "payload"),
        Arguments.of((UnaryOperator<Envelope.Builder>) b -> b.clearRecordedAt(), "envelope.missing_field", "recorded_at"));
  }

  @ParameterizedTest
  @MethodSource("invalid")
  void invalidEnvelopesGetCaselinksErrorClass(UnaryOperator<Envelope.Builder> change, String errorClass, String field) {
    byte[] value = change.apply(Envelopes.envelope("case_referral")).build().toByteArray();
    DecodeException e = assertThrows(DecodeException.class, () -> EnvelopeDecoder.decode(value, null, null));
    assertEquals(errorClass, e.errorClass());
    assertEquals(field, e.field());
  }

  @Test
  void bytesThatAreNotAnEnvelopeAreUndecodable() {
    byte[] garbage = {0x0a, (byte) 0xff, 0x01, 'x'};
    DecodeException e = assertThrows(DecodeException.class, () -> EnvelopeDecoder.decode(garbage, null, null));
    assertEquals("envelope.undecodable", e.errorClass());
  }

  @Test
  void payloadFromANewerContractIsAnUnknownType() {
    // Field 190 (unknown to this reader) with its new type name: refused, never guessed.
    Envelope e = Envelopes.envelope("case_referral").clearPayload().setEventType("caselink.v1.FuturePayload").build();
    byte[] value = e.toBuilder().build().toByteString().concat(ByteString.copyFrom(new byte[] {(byte) 0xf2, 0x0b, 0x00}))
        .toByteArray();
    DecodeException ex = assertThrows(DecodeException.class, () -> EnvelopeDecoder.decode(value, null, null));
    assertEquals("envelope.unknown_type", ex.errorClass());
    assertTrue(ex.getMessage().contains("FuturePayload"));
  }

  @Test
  void exampleConsumerDescribesAFilingDecision() throws Exception {
    Envelope e = Envelopes.envelope("filing_decision").build();
    String line = org.caselink.client.example.ExampleConsumer.describe(EnvelopeDecoder.decode(e.toByteArray(), null, null));
    assertTrue(line.contains("caselink.v1.FilingDecision case=env-330100-2026-0001"), line);
    assertInstanceOf(org.caselink.v1.FilingDecision.class, EnvelopeDecoder.decode(e.toByteArray(), null, null).payload());
  }
}
