package org.caselink.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.caselink.v1.Envelope;
import org.caselink.v1.SignatureMode;
import org.junit.jupiter.api.Test;

/**
 * Signatures made by the C++ code and by the Python client (docs/contracts/signing-vectors.json)
 * verify in Java, and each refusal has the reason caselink's services give it.
 */
class SignatureVerifierTest {
  private static final Path VECTORS = Path.of("../../docs/contracts/signing-vectors.json");
  private static final Pattern FIELD =
      Pattern.compile("\"(made_by|key_id|party|public_key|envelope)\"\\s*:\\s*\"([^\"]*)\"");

  private record Vector(String madeBy, Envelope envelope, SignatureVerifier.Key key) {}

  private static List<Vector> vectors() throws Exception {
    List<Vector> out = new ArrayList<>();
    for (String object : Files.readString(VECTORS).split("\\}\\s*,?\\s*\\{")) {
      Map<String, String> f = new HashMap<>();
      Matcher m = FIELD.matcher(object);
      while (m.find()) {
        f.put(m.group(1), m.group(2));
      }
      if (f.containsKey("envelope")) {
        Envelope envelope = Envelope.parseFrom(HexFormat.of().parseHex(f.get("envelope")));
        out.add(new Vector(f.get("made_by"), envelope,
            new SignatureVerifier.Key(f.get("key_id"), f.get("party"), HexFormat.of().parseHex(f.get("public_key")))));
      }
    }
    return out;
  }

  private static Optional<String> reason(Envelope envelope, SignatureVerifier.Key key) {
    return SignatureVerifier.verify(envelope, Map.of(key.keyId(), key)).map(SignatureVerifier.Failure::reason);
  }

  private static Instant recordedAt(Envelope e) {
    return Instant.ofEpochSecond(e.getRecordedAt().getSeconds(), e.getRecordedAt().getNanos());
  }

  @Test
  void signaturesMadeInCppAndPythonVerify() throws Exception {
    List<Vector> vectors = vectors();
    assertEquals(List.of("c++", "python"), vectors.stream().map(Vector::madeBy).toList());
    for (Vector v : vectors) {
      assertEquals(Optional.empty(), reason(v.envelope(), v.key()), v.madeBy());
    }
  }

  @Test
  void anyChangeToWhatIsSignedIsInvalid() throws Exception {
    Vector v = vectors().get(0);
    Envelope e = v.envelope();
    assertEquals(Optional.of("invalid"), reason(e.toBuilder().setCaseId("another-case").build(), v.key()));
    assertEquals(Optional.of("invalid"), reason(e.toBuilder().setEventId("another-event").build(), v.key()));
    byte[] flipped = e.getSignature().toByteArray();
    flipped[0] ^= 1;
    assertEquals(Optional.of("invalid"), reason(e.toBuilder().setSignature(ByteString.copyFrom(flipped)).build(), v.key()));
    SignatureVerifier.Key otherKey = new SignatureVerifier.Key(v.key().keyId(), v.key().party(), vectors().get(1).key().publicKey());
    assertEquals(Optional.of("invalid"), reason(e, otherKey));
  }

  @Test
  void refusalsAreNamedAsCaselinksServicesNameThem() throws Exception {
    Vector v = vectors().get(0);  // made by C++ with its own key (mode OWN_KEY, no custodian)
    Envelope e = v.envelope();
    SignatureVerifier.Key k = v.key();
    Vector custodial = vectors().get(1);  // made by Python, signed by the ingress as custodian
    assertEquals(SignatureMode.SIGNATURE_MODE_CUSTODIAL, custodial.envelope().getSignatureMode());
    assertEquals(Optional.of("bad_custodian"),
        reason(custodial.envelope().toBuilder().clearSignatureCustodian().build(), custodial.key()));
    Instant at = recordedAt(e);
    assertEquals(Optional.of("missing"), reason(e.toBuilder().clearSignature().build(), k));
    assertEquals(Optional.of("unknown_key"), SignatureVerifier.verify(e, Map.of()).map(SignatureVerifier.Failure::reason));
    assertEquals(Optional.of("wrong_party"),
        reason(e, new SignatureVerifier.Key(k.keyId(), "another-agency", k.publicKey())));
    assertEquals(Optional.of("bad_custodian"), reason(e.toBuilder().setSignatureCustodian("caselink-ingress").build(), k));
    assertEquals(Optional.of("bad_custodian"),
        reason(e.toBuilder().setSignatureMode(SignatureMode.SIGNATURE_MODE_CUSTODIAL).build(), k));
    // Revoked at the signing time: refused; revoked after it: the signature stays valid.
    assertEquals(Optional.of("revoked"), reason(e, new SignatureVerifier.Key(k.keyId(), k.party(), k.publicKey(), null, null, at)));
    assertEquals(Optional.empty(),
        reason(e, new SignatureVerifier.Key(k.keyId(), k.party(), k.publicKey(), null, null, at.plusSeconds(1))));
    assertEquals(Optional.of("not_valid"),
        reason(e, new SignatureVerifier.Key(k.keyId(), k.party(), k.publicKey(), at.plusSeconds(1), null, null)));
    assertEquals(Optional.of("not_valid"),
        reason(e, new SignatureVerifier.Key(k.keyId(), k.party(), k.publicKey(), null, at, null)));
    assertTrue(SignatureVerifier.verify(e, Map.of(k.keyId(), new SignatureVerifier.Key(k.keyId(), k.party(), new byte[5])))
        .map(f -> f.reason().equals("invalid")).orElse(false), "a malformed public key is invalid, not an exception");
  }
}
