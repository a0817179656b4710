package org.caselink.client;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;

/**
 * A principal's broker connection from the client file {@code deploy/local/kafka.sh --secure}
 * writes ({@code .local/kafka/NAME/clients/<principal>.properties}): the file the C++ services take
 * as {@code kafka.client_config_file} and Python's {@code caselink_client.client_config} reads,
 * so one file per principal serves every language (docs/integrators.md, "Connecting to the
 * secured broker").
 *
 * <p>The file is in librdkafka's keys; the Java client names some of them differently, so they are
 * translated: {@code sasl.mechanisms} → {@code sasl.mechanism}, {@code sasl.username} and
 * {@code sasl.password} → a SCRAM {@code sasl.jaas.config}, {@code ssl.ca.location} (a PEM file)
 * → {@code ssl.truststore.type=PEM} and {@code ssl.truststore.location}. {@code bootstrap.servers}
 * and {@code security.protocol} keep their names. Any other key is refused naming the key (never a
 * value: the file holds a password), so a setting is never silently dropped.
 */
public final class ClientConfig {
  private ClientConfig() {}

  /** The Java client's settings for the file's principal. */
  public static Properties fromFile(Path file) throws IOException {
    Properties in = new Properties();
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    for (int i = 0; i < lines.size(); i++) {
      String text = lines.get(i).strip();
      if (text.isEmpty() || text.startsWith("#")) {
        continue;
      }
      int eq = text.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(file + ":" + (i + 1) + ": expected key=value");
      }
      String key = text.substring(0, eq).strip();
      if (in.containsKey(key)) {
        throw new IllegalArgumentException(file + ":" + (i + 1) + ": '" + key + "' set twice");
      }
      in.setProperty(key, text.substring(eq + 1).strip());
    }
    return translate(in, file.toString());
  }

  static Properties translate(Properties in, String source) {
    Properties out = new Properties();
    String user = null;
    String password = null;
    for (String key : in.stringPropertyNames()) {
      String value = in.getProperty(key);
      switch (key) {
        case "bootstrap.servers", "security.protocol" -> out.setProperty(key, value);
        case "sasl.mechanisms", "sasl.mechanism" -> out.setProperty("sasl.mechanism", value);
        case "sasl.username" -> user = value;
        case "sasl.password" -> password = value;
        case "ssl.ca.location" -> {
          out.setProperty("ssl.truststore.type", "PEM");
          out.setProperty("ssl.truststore.location", value);
        }
        default -> throw new IllegalArgumentException(source + ": '" + key
            + "' has no Java client equivalent here (bootstrap.servers, security.protocol, sasl.mechanisms, "
            + "sasl.username, sasl.password, ssl.ca.location)");
      }
    }
    if ((user == null) != (password == null)) {
      throw new IllegalArgumentException(source + ": sasl.username and sasl.password come together");
    }
    if (user != null) {
      if (!out.getProperty("sasl.mechanism", "").startsWith("SCRAM-")) {
        throw new IllegalArgumentException(source + ": sasl.username needs sasl.mechanisms SCRAM-SHA-256 or SCRAM-SHA-512");
      }
      out.setProperty("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
          + jaasQuoted(user) + "\" password=\"" + jaasQuoted(password) + "\";");
    }
    return out;
  }

  /** A JAAS string value: backslash and double quote escaped. */
  private static String jaasQuoted(String value) {
    return value.replace("\\", "\\\\").replace("\"", "\\\"");
  }
}
