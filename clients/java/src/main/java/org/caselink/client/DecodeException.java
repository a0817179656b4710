package org.caselink.client;

/**
 * A record that is not a valid caselink Envelope. {@link #errorClass()} is the stable class
 * caselink itself writes into {@code dlq.error.class} for the same fault (envelope.undecodable,
 * envelope.missing_field, envelope.invalid_field, envelope.unknown_type, envelope.type_mismatch,
 * envelope.future_schema_version); {@link #field()} names the offending field.
 */
public final class DecodeException extends Exception {
  private static final long serialVersionUID = 1L;
  private final String errorClass;
  private final String field;

  public DecodeException(String errorClass, String field, String message) {
    super(errorClass + ": " + field + ": " + message);
    this.errorClass = errorClass;
    this.field = field;
  }

  public String errorClass() {
    return errorClass;
  }

  public String field() {
    return field;
  }
}
