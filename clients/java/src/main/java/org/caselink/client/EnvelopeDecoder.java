package org.caselink.client;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.OneofDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Timestamp;
import java.time.Instant;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Headers;
import org.caselink.v1.Envelope;

/**
 * Decodes caselink records. The checks and error classes are those of caselink's own services
 * (services/lib/envelope/codec.cc): a record refused here is one caselink would dead-letter.
 */
public final class EnvelopeDecoder {
  /** The contract version these classes were generated from ({@code Envelope.schema_version}). */
  public static final int SCHEMA_VERSION = 1;

  private static final Pattern UUID = Pattern.compile("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$");
  private static final OneofDescriptor PAYLOAD = Envelope.getDescriptor().getOneofs().stream()
      .filter(o -> o.getName().equals("payload")).findFirst().orElseThrow();
  private static final Set<String> KNOWN_TYPES = PAYLOAD.getFields().stream()
      .map(f -> f.getMessageType().getFullName()).collect(Collectors.toUnmodifiableSet());

  private EnvelopeDecoder() {}

  /** Decodes a consumed record (value {@code byte[]}, key {@code String}). */
  public static DecodedRecord decode(ConsumerRecord<String, byte[]> record) throws DecodeException {
    return decode(record.value(), record.headers(), record.key());
  }

  /** Decodes a value and its headers (either may be null: null headers give null CE fields). */
  public static DecodedRecord decode(byte[] value, Headers headers, String key) throws DecodeException {
    Envelope env;
    try {
      env = Envelope.parseFrom(value == null ? new byte[0] : value);
    } catch (InvalidProtocolBufferException e) {
      throw new DecodeException("envelope.undecodable", "value",
          "not a caselink.v1.Envelope (" + (value == null ? 0 : value.length) + " bytes): " + e.getMessage());
    }
    FieldDescriptor field = validate(env);
    return new DecodedRecord(env.getEventId(), env.getCaseId(), env.getEventType(), field.getName(),
        (Message) env.getField(field), env.getProducerAgencyId(), instant(env.getOccurredAt()),
        instant(env.getRecordedAt()), env.getSchemaVersion(), env.getCorrelationId(), env.getCausationId(),
        env, CloudEventHeaders.from(headers), key);
  }

  private static FieldDescriptor validate(Envelope env) throws DecodeException {
    if (env.getSchemaVersion() == 0) {
      throw new DecodeException("envelope.missing_field", "schema_version", "must be set");
    }
    if (env.getSchemaVersion() > SCHEMA_VERSION) {
      throw new DecodeException("envelope.future_schema_version", "schema_version", "version "
          + env.getSchemaVersion() + " is newer than this client understands (" + SCHEMA_VERSION + ")");
    }
    require(env.getEventId(), "event_id");
    if (!UUID.matcher(env.getEventId()).matches()) {
      throw new DecodeException("envelope.invalid_field", "event_id", "not a canonical UUID: " + env.getEventId());
    }
    require(env.getCaseId(), "case_id");
    if (env.getCaseId().length() > 128 || env.getCaseId().chars().anyMatch(c -> c <= 0x20 || c == 0x7F)) {
      throw new DecodeException("envelope.invalid_field", "case_id", "must be 1..128 printable characters, no whitespace");
    }
    require(env.getProducerAgencyId(), "producer_agency_id");
    require(env.getEventType(), "event_type");
    if (!KNOWN_TYPES.contains(env.getEventType())) {
      throw new DecodeException("envelope.unknown_type", "event_type", "unknown event type " + env.getEventType());
    }
    FieldDescriptor field = env.getOneofFieldDescriptor(PAYLOAD);
    if (field == null) {
      throw new DecodeException("envelope.missing_field", "payload", "no payload set for " + env.getEventType());
    }
    String actual = field.getMessageType().getFullName();
    if (!actual.equals(env.getEventType())) {
      throw new DecodeException("envelope.type_mismatch", "event_type",
          "says " + env.getEventType() + " but the payload is " + actual);
    }
    if (!env.hasOccurredAt()) {
      throw new DecodeException("envelope.missing_field", "occurred_at", "must be set");
    }
    if (!env.hasRecordedAt()) {
      throw new DecodeException("envelope.missing_field", "recorded_at", "must be set");
    }
    return field;
  }

  private static void require(String value, String field) throws DecodeException {
    if (value.isEmpty()) {
      throw new DecodeException("envelope.missing_field", field, "must be set");
    }
  }

  private static Instant instant(Timestamp ts) {
    return Instant.ofEpochSecond(ts.getSeconds(), ts.getNanos());
  }
}
