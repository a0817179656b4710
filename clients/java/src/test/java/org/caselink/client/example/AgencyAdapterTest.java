package org.caselink.client.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.caselink.client.DecodedRecord;
import org.caselink.client.EnvelopeDecoder;
import org.caselink.v1.Envelope;
import org.junit.jupiter.api.Test;

/** The Java agency adapter's records without a broker (it_ctl_conformance runs it through the kit). */
class AgencyAdapterTest {
  private static final String CASE = "sthjj-330100-2026-0001";

  private static DecodedRecord decoded(ProducerRecord<String, byte[]> record) throws Exception {
    return EnvelopeDecoder.decode(record.value(), record.headers(), record.key());
  }

  @Test
  void theReferralIsKeyedByCaseWithHeadersMatchingTheEnvelope() throws Exception {
    DecodedRecord r = decoded(AgencyAdapter.record("sandbox.caselink.referral.v1",
        AgencyAdapter.referral(CASE, "sthjj-330100")));
    assertEquals(CASE, r.key());
    assertEquals("caselink.v1.CaseReferral", r.eventType());
    assertEquals(List.of(), r.headerMismatches());
    assertEquals("heavy_metal_multiple", r.envelope().getCaseReferral().getFacts(0).getName());
  }

  @Test
  void aRedeliveredFeedbackIsAcknowledgedUnderTheSameEventId() throws Exception {
    Envelope feedback = AgencyAdapter.newEnvelope(CASE, "ga-330100", UUID.randomUUID().toString()).build();
    Envelope first = AgencyAdapter.acknowledgement(feedback, "sthjj-330100");
    Envelope again = AgencyAdapter.acknowledgement(feedback, "sthjj-330100");
    assertEquals(first.getEventId(), again.getEventId());
    assertEquals(feedback.getEventId(), first.getFeedbackAcknowledged().getFeedbackEventId());
    assertEquals(org.caselink.client.EventDigest.hex(feedback), first.getFeedbackAcknowledged().getFeedbackDigestHex());
    assertEquals(List.of(), decoded(AgencyAdapter.record("caselink.ack.v1", first)).headerMismatches());
    Envelope other = AgencyAdapter.newEnvelope(CASE, "ga-330100", UUID.randomUUID().toString()).build();
    assertNotEquals(first.getEventId(), AgencyAdapter.acknowledgement(other, "sthjj-330100").getEventId());
  }

  @Test
  void derivedIdsAreThePythonExamplesUuid5() {
    // python: uuid.uuid5(UUID("6f6d2d0e-…-3f3c2a7e1b10"), "0b5c6f1e-…-7e2f9d8c1a20/sthjj-330100")
    assertEquals(UUID.fromString("944c3d57-e00d-556e-a532-293cf059ff96"),
        AgencyAdapter.uuid5(UUID.fromString("6f6d2d0e-5c2b-4c8e-9a57-3f3c2a7e1b10"),
            "0b5c6f1e-2d1a-4c1e-9a3b-7e2f9d8c1a20/sthjj-330100"));
  }

  @Test
  void optionsAreThePythonExamples() throws Exception {
    AgencyAdapter.Options o = AgencyAdapter.Options.parse(new String[] {"--bootstrap", "127.0.0.1:1",
        "--case-id", CASE, "--topic-prefix", "sandbox.", "--idle-timeout", "1.5"});
    assertEquals("sthjj-330100", o.agency());
    assertEquals("sthjj-330100-java-adapter", o.group());
    assertEquals(Duration.ofMillis(1500), o.idleTimeout());
    assertEquals(0, o.security().size(), "no --client-config: plaintext");
    assertThrows(IllegalArgumentException.class, () -> AgencyAdapter.Options.parse(new String[] {"--case-id", CASE}));
  }
}
