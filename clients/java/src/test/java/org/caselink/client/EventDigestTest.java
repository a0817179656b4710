package org.caselink.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.caselink.v1.Envelope;
import org.junit.jupiter.api.Test;

/**
 * The event digest against the known-answer vectors the C++ and Python code made
 * (docs/contracts/signing-vectors.json): same signing input, same digest.
 */
class EventDigestTest {
  private static final Path VECTORS = Path.of("../../docs/contracts/signing-vectors.json");
  // Each vector object holds "signing_input", "envelope" and "event_digest" as hex strings.
  private static final Pattern FIELD = Pattern.compile("\"(signing_input|envelope|event_digest|made_by)\"\\s*:\\s*\"([^\"]*)\"");

  private record Vector(String madeBy, String signingInput, String envelope, String eventDigest) {}

  private static List<Vector> vectors() throws Exception {
    List<Vector> out = new ArrayList<>();
    for (String object : Files.readString(VECTORS).split("\\}\\s*,?\\s*\\{")) {
      java.util.Map<String, String> f = new java.util.HashMap<>();
      Matcher m = FIELD.matcher(object);
      while (m.find()) {
        f.put(m.group(1), m.group(2));
      }
      if (f.containsKey("event_digest")) {
        out.add(new Vector(f.get("made_by"), f.get("signing_input"), f.get("envelope"), f.get("event_digest")));
      }
    }
    return out;
  }

  @Test
  void everyVectorsSigningInputAndDigestAreReproduced() throws Exception {
    List<Vector> vectors = vectors();
    assertEquals(2, vectors.size(), "one vector made by C++, one by Python");
    for (Vector v : vectors) {
      Envelope envelope = Envelope.parseFrom(HexFormat.of().parseHex(v.envelope()));
      assertEquals(v.signingInput(), HexFormat.of().formatHex(EventDigest.signingInput(envelope)), v.madeBy());
      assertEquals(v.eventDigest(), EventDigest.hex(envelope), v.madeBy());
    }
  }

  @Test
  void theDigestCoversTheSignerMetadataButNotTheSignature() throws Exception {
    Envelope envelope = Envelope.parseFrom(HexFormat.of().parseHex(vectors().get(0).envelope()));
    String digest = EventDigest.hex(envelope);
    assertEquals(digest, EventDigest.hex(envelope.toBuilder().clearSignature().build()));
    assertNotEquals(digest, EventDigest.hex(envelope.toBuilder().setSignatureKeyId("other-key").build()));
    assertNotEquals(digest, EventDigest.hex(envelope.toBuilder().setCaseId("other-case").build()));
  }
}
