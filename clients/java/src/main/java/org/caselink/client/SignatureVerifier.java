package org.caselink.client;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.caselink.v1.Envelope;
import org.caselink.v1.SignatureMode;

/**
 * Verifies an envelope's Ed25519 signature against a key registry (docs/contracts/signing.md,
 * "Verification"): the checks, their order and their failure reasons are those of caselink's
 * services (their decode step) and of the Python client's {@code verify_envelope}, so a Java
 * consumer refuses exactly what caselink refuses.
 *
 * <pre>{@code
 * Optional<SignatureVerifier.Failure> failure = SignatureVerifier.verify(envelope, registry);
 * if (failure.isPresent()) { ... failure.get().reason() ... }   // "missing", "invalid", ...
 * }</pre>
 *
 * The registry is data: caselink's YAML file ({@code signing.registry_file}; its format is in
 * docs/contracts/signing.md), which the integrator reads with the YAML library of their choice into
 * {@link Key}s by key id. Uses the JDK's own Ed25519 (Java 15 and later); no other dependency.
 */
public final class SignatureVerifier {
  // DER prefix of an X.509 SubjectPublicKeyInfo holding a raw 32-byte Ed25519 key (RFC 8410).
  private static final byte[] ED25519_SPKI_PREFIX = java.util.HexFormat.of().parseHex("302a300506032b6570032100");

  private SignatureVerifier() {}

  /** One entry of the key registry. The times are optional (null); validUntil is exclusive. */
  public record Key(String keyId, String party, byte[] publicKey, Instant validFrom, Instant validUntil,
                    Instant revokedAt) {
    public Key(String keyId, String party, byte[] publicKey) {
      this(keyId, party, publicKey, null, null, null);
    }
  }

  /** Why a signature is refused: {@code reason} is one of the reasons of docs/contracts/signing.md. */
  public record Failure(String reason, String detail) {}

  /** Empty when the envelope carries a valid signature of its producer; else why not. */
  public static Optional<Failure> verify(Envelope envelope, Map<String, Key> registry) {
    if (envelope.getSignature().isEmpty() || envelope.getSignatureKeyId().isEmpty()) {
      return failure("missing", "no signature");
    }
    Key key = registry.get(envelope.getSignatureKeyId());
    if (key == null) {
      return failure("unknown_key", "key '" + envelope.getSignatureKeyId() + "' is not in the key registry");
    }
    if (!key.party().equals(envelope.getProducerAgencyId())) {
      return failure("wrong_party", "key '" + key.keyId() + "' belongs to '" + key.party() + "'");
    }
    boolean custodial = envelope.getSignatureMode() == SignatureMode.SIGNATURE_MODE_CUSTODIAL;
    if (custodial == envelope.getSignatureCustodian().isEmpty()) {
      return failure("bad_custodian", "signature_custodian must be set exactly when the mode is CUSTODIAL");
    }
    // The signing time is recorded_at, which the signature covers.
    Instant at = Instant.ofEpochSecond(envelope.getRecordedAt().getSeconds(), envelope.getRecordedAt().getNanos());
    if (key.revokedAt() != null && !at.isBefore(key.revokedAt())) {
      return failure("revoked", "key '" + key.keyId() + "' was revoked at " + key.revokedAt());
    }
    if ((key.validFrom() != null && at.isBefore(key.validFrom()))
        || (key.validUntil() != null && !at.isBefore(key.validUntil()))) {
      return failure("not_valid", "key '" + key.keyId() + "' is not valid at " + at);
    }
    if (!ed25519Verify(key.publicKey(), EventDigest.signingInput(envelope), envelope.getSignature().toByteArray())) {
      return failure("invalid", "the signature does not verify with key '" + key.keyId() + "'");
    }
    return Optional.empty();
  }

  /** Pure Ed25519 (RFC 8032) over {@code message} with a raw 32-byte public key. */
  static boolean ed25519Verify(byte[] publicKey, byte[] message, byte[] signature) {
    if (publicKey == null || publicKey.length != 32) {
      return false;
    }
    byte[] spki = new byte[ED25519_SPKI_PREFIX.length + 32];
    System.arraycopy(ED25519_SPKI_PREFIX, 0, spki, 0, ED25519_SPKI_PREFIX.length);
    System.arraycopy(publicKey, 0, spki, ED25519_SPKI_PREFIX.length, 32);
    try {
      PublicKey key = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
      Signature verifier = Signature.getInstance("Ed25519");
      verifier.initVerify(key);
      verifier.update(message);
      return verifier.verify(signature);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has Ed25519 from Java 15 on", e);
    } catch (GeneralSecurityException e) {
      return false;  // a key that is not a point, a signature of the wrong length
    }
  }

  private static Optional<Failure> failure(String reason, String detail) {
    return Optional.of(new Failure(reason, detail));
  }
}
