#include "services/lib/signing/envelope_signature.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "services/lib/core/clock.h"
#include "services/lib/crypto/sha256.h"

namespace caselink::signing {
namespace {

namespace pb = google::protobuf;
using caselink::v1::Envelope;

// Domain separation: a signature over a caselink envelope can never be replayed as a
// signature over anything else that is signed with the same key.
constexpr std::string_view kDomainTag{"caselink.envelope.v1\0", 21};

void put_u32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((v >> shift) & 0xff));
  }
}

void put_i64(std::string& out, int64_t value) {
  const auto v = static_cast<uint64_t>(value);
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((v >> shift) & 0xff));
  }
}

void put_bytes(std::string& out, std::string_view bytes) {
  put_u32(out, static_cast<uint32_t>(bytes.size()));
  out.append(bytes);
}

void put_time(std::string& out, const pb::Timestamp& ts) {
  put_i64(out, ts.seconds());
  put_u32(out, static_cast<uint32_t>(ts.nanos()));
}

// The payload message alone, deterministically serialized (empty when none is set).
std::string payload_bytes(const Envelope& envelope) {
  const pb::Reflection* reflection = envelope.GetReflection();
  const pb::OneofDescriptor* oneof = envelope.GetDescriptor()->FindOneofByName("payload");
  const pb::FieldDescriptor* field = reflection->GetOneofFieldDescriptor(envelope, oneof);
  std::string out;
  if (field == nullptr) {
    return out;
  }
  const pb::Message& payload = reflection->GetMessage(envelope, field);
  {
    pb::io::StringOutputStream stream(&out);
    pb::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    payload.SerializeToCodedStream(&coded);
  }
  return out;
}

std::string describe_time(const pb::Timestamp& ts) {
  return time_in_range(ts.seconds()) ? format_rfc3339(TimePoint(std::chrono::seconds(ts.seconds()))) : "?";
}

}  // namespace

std::string signing_input(const Envelope& envelope) {
  std::string out(kDomainTag);
  put_bytes(out, envelope.event_id());
  put_bytes(out, envelope.case_id());
  put_bytes(out, envelope.event_type());
  put_bytes(out, envelope.producer_agency_id());
  put_time(out, envelope.occurred_at());
  put_time(out, envelope.recorded_at());
  put_u32(out, envelope.schema_version());
  put_bytes(out, envelope.correlation_id());
  put_bytes(out, envelope.causation_id());
  put_bytes(out, envelope.signature_key_id());
  put_u32(out, static_cast<uint32_t>(envelope.signature_mode()));
  put_bytes(out, envelope.signature_custodian());
  put_bytes(out, payload_bytes(envelope));
  return out;
}

std::string event_digest_hex(const Envelope& envelope) { return crypto::sha256_hex(signing_input(envelope)); }

bool is_digest_hex(std::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

void sign(Envelope& envelope, const PrivateKey& key, const std::string& key_id, const std::string& custodian) {
  envelope.clear_signature();
  envelope.set_signature_key_id(key_id);
  envelope.set_signature_mode(custodian.empty() ? caselink::v1::SIGNATURE_MODE_OWN_KEY
                                                : caselink::v1::SIGNATURE_MODE_CUSTODIAL);
  envelope.set_signature_custodian(custodian);
  envelope.set_signature(key.sign(signing_input(envelope)));
}

std::optional<Failure> verify(const Envelope& envelope, const KeyRegistry& registry) {
  if (envelope.signature().empty() || envelope.signature_key_id().empty()) {
    return Failure{kMissing, "no signature (signature and signature_key_id must be set)"};
  }
  const KeyEntry* key = registry.find(envelope.signature_key_id());
  if (key == nullptr) {
    return Failure{kUnknownKey, "key '" + envelope.signature_key_id() + "' is not in the key registry"};
  }
  if (key->party != envelope.producer_agency_id()) {
    return Failure{kWrongParty, "key '" + key->key_id + "' belongs to '" + key->party + "', not to producer '" +
                                    envelope.producer_agency_id() + "'"};
  }
  const bool custodial = envelope.signature_mode() == caselink::v1::SIGNATURE_MODE_CUSTODIAL;
  if (custodial == envelope.signature_custodian().empty()) {
    return Failure{kBadCustodian, "signature_custodian must be set exactly when signature_mode is CUSTODIAL"};
  }
  const pb::Timestamp& at = envelope.recorded_at();
  const std::string when = describe_time(at);
  if (!time_in_range(at.seconds())) {
    return Failure{kNotValid, "recorded_at (the signing time) is out of range"};
  }
  const TimePoint signed_at = TimePoint(std::chrono::seconds(at.seconds())) + std::chrono::nanoseconds(at.nanos());
  if (key->revoked_at && signed_at >= *key->revoked_at) {
    return Failure{kRevoked, "key '" + key->key_id + "' was revoked at " + format_rfc3339(*key->revoked_at) +
                                 "; the event was signed at " + when};
  }
  if ((key->valid_from && signed_at < *key->valid_from) || (key->valid_until && signed_at >= *key->valid_until)) {
    return Failure{kNotValid, "key '" + key->key_id + "' is not valid at the signing time " + when};
  }
  if (!signing::verify(key->public_key, signing_input(envelope), envelope.signature())) {
    return Failure{kInvalid, "the signature does not verify with key '" + key->key_id + "' of '" + key->party + "'"};
  }
  return std::nullopt;
}

}  // namespace caselink::signing
