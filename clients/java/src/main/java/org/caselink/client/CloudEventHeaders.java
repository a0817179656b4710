package org.caselink.client;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * The CloudEvents binary-mode headers of a record (docs/topics.md §3). A header that is absent
 * is {@code null}. The envelope is authoritative; these are a copy for routing and tools.
 */
public record CloudEventHeaders(String specversion, String id, String source, String type, String time,
                                String subject, String contentType) {

  /** Reads the headers of a Kafka record (the first occurrence of each name wins). */
  public static CloudEventHeaders from(Headers headers) {
    return new CloudEventHeaders(text(headers, "ce_specversion"), text(headers, "ce_id"),
        text(headers, "ce_source"), text(headers, "ce_type"), text(headers, "ce_time"),
        text(headers, "ce_subject"), text(headers, "content-type"));
  }

  private static String text(Headers headers, String name) {
    if (headers == null) {
      return null;
    }
    for (Header header : headers) {
      if (header.key().equals(name)) {
        return Optional.ofNullable(header.value()).map(v -> new String(v, StandardCharsets.UTF_8)).orElse(null);
      }
    }
    return null;
  }
}
