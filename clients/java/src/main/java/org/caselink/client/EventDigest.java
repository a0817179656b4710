package org.caselink.client;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import com.google.protobuf.Timestamp;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.caselink.v1.Envelope;

/**
 * The event digest a receipt carries of the event it acknowledges (scheme
 * {@code caselink.event-digest.v1}, docs/contracts/signing.md "Receipts"): SHA-256 over the
 * envelope's byte-exact signing input, 64 lowercase hex. It covers the content and the signer
 * metadata, not the signature bytes, so compute it from the envelope exactly as it was read.
 * The same construction as the C++ {@code signing::event_digest_hex} and the Python
 * {@code caselink_client.signing.event_digest_hex}; the known-answer vectors in
 * docs/contracts/signing-vectors.json are checked by this client's tests too.
 */
public final class EventDigest {
  public static final String SCHEME = "caselink.event-digest.v1";
  private static final byte[] DOMAIN_TAG = "caselink.envelope.v1\0".getBytes(StandardCharsets.UTF_8);

  private EventDigest() {}

  /** SHA-256 of {@link #signingInput(Envelope)}, 64 lowercase hex characters. */
  public static String hex(Envelope envelope) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(signingInput(envelope)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /** The byte-exact input of the envelope signature (docs/contracts/signing.md). */
  public static byte[] signingInput(Envelope e) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(DOMAIN_TAG);
    lengthPrefixed(out, utf8(e.getEventId()));
    lengthPrefixed(out, utf8(e.getCaseId()));
    lengthPrefixed(out, utf8(e.getEventType()));
    lengthPrefixed(out, utf8(e.getProducerAgencyId()));
    time(out, e.getOccurredAt());
    time(out, e.getRecordedAt());
    out.writeBytes(ByteBuffer.allocate(4).putInt(e.getSchemaVersion()).array());
    lengthPrefixed(out, utf8(e.getCorrelationId()));
    lengthPrefixed(out, utf8(e.getCausationId()));
    lengthPrefixed(out, utf8(e.getSignatureKeyId()));
    out.writeBytes(ByteBuffer.allocate(4).putInt(e.getSignatureModeValue()).array());
    lengthPrefixed(out, utf8(e.getSignatureCustodian()));
    lengthPrefixed(out, payload(e));
    return out.toByteArray();
  }

  // The serialized payload message (the set field of the envelope's oneof), empty without one.
  // Java serializes fields in field-number order, as C++'s deterministic serialization does.
  private static byte[] payload(Envelope e) {
    if (e.getPayloadCase() == Envelope.PayloadCase.PAYLOAD_NOT_SET) {
      return new byte[0];
    }
    FieldDescriptor set = Envelope.getDescriptor().findFieldByNumber(e.getPayloadCase().getNumber());
    return ((Message) e.getField(set)).toByteArray();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static void lengthPrefixed(ByteArrayOutputStream out, byte[] data) {
    out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
    out.writeBytes(data);
  }

  private static void time(ByteArrayOutputStream out, Timestamp t) {
    out.writeBytes(ByteBuffer.allocate(12).putLong(t.getSeconds()).putInt(t.getNanos()).array());
  }
}
