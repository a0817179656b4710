#include "services/tools/scenario/channels.h"

#include <google/protobuf/util/json_util.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "services/lib/crypto/sha256.h"
#include "services/lib/http/client.h"
#include "services/lib/sdk/agency_client.h"

namespace caselink::scenario {

namespace {

class SdkChannel final : public Channel {
 public:
  explicit SdkChannel(SdkChannelOptions options) : options_(std::move(options)) {}
  const char* name() const override { return "sdk"; }

  Result<std::string> upload_blob(const std::string& agency, std::string_view bytes) override {
    auto client = client_for(agency);
    if (!client.ok()) return client.error();
    return client.value()->upload_blob(bytes);
  }

  Result<Published> publish(const v1::Envelope& event) override {
    auto client = client_for(event.producer_agency_id());
    if (!client.ok()) return client.error();
    auto delivered = client.value()->publish(event);
    if (!delivered.ok()) return delivered.error();
    return Published{delivered.value().topic, delivered.value().partition, delivered.value().offset};
  }

 private:
  // One client per agency: the SDK stamps the agency it was created for on what it publishes.
  Result<sdk::AgencyClient*> client_for(const std::string& agency) {
    auto it = clients_.find(agency);
    if (it != clients_.end()) return it->second.get();
    sdk::ClientOptions o;
    o.bootstrap = options_.bootstrap;
    o.agency_id = agency;
    o.blob_dir = options_.blob_dir;
    o.blob_public_key_file = options_.blob_public_key_file;
    o.client_id = "caselink-scenario-" + agency;
    if (!options_.kafka_client_dir.empty()) {
      o.kafka_config_file = (std::filesystem::path(options_.kafka_client_dir) / (agency + ".properties")).string();
    }
    if (!options_.signing_key_dir.empty()) {
      const auto pem = std::filesystem::path(options_.signing_key_dir) / agency / (agency + ".k1.pem");
      if (std::filesystem::exists(pem)) {
        o.signing_key_file = pem.string();
        o.signing_key_id = agency + ".k1";
      }
    }
    auto created = sdk::AgencyClient::create(std::move(o));
    if (!created.ok()) return created.error();
    auto* raw = created.value().get();
    clients_.emplace(agency, std::move(created).value());
    return raw;
  }

  SdkChannelOptions options_;
  std::map<std::string, std::unique_ptr<sdk::AgencyClient>> clients_;
};

class IngressChannel final : public Channel {
 public:
  explicit IngressChannel(IngressChannelOptions options) : options_(std::move(options)) {}
  const char* name() const override { return "ingress"; }

  Result<std::string> upload_blob(const std::string& agency, std::string_view bytes) override {
    // The ingress checks the body against the hash in the path, so compute it the same way.
    auto digest = evidence_digest(bytes);
    auto reply = request("PUT", "/v1/blobs/" + digest, agency, std::string(bytes), "application/octet-stream");
    if (!reply.ok()) return reply.error();
    if (reply.value().first != 200 && reply.value().first != 201) {
      return Error::unavailable("ingress PUT blob answered " + std::to_string(reply.value().first) + ": " +
                                reply.value().second);
    }
    return digest;
  }

  Result<Published> publish(const v1::Envelope& event) override {
    std::string body;
    google::protobuf::util::JsonPrintOptions print;
    print.preserve_proto_field_names = true;
    if (!google::protobuf::util::MessageToJsonString(event, &body, print).ok()) {
      return Error::internal("cannot render the event as JSON");
    }
    auto reply = request("POST", "/v1/events", event.producer_agency_id(), body, "application/json");
    if (!reply.ok()) return reply.error();
    const auto& [status, text] = reply.value();
    if (status != 202) {
      return Error::unavailable("ingress answered " + std::to_string(status) + ": " + text);
    }
    auto json = nlohmann::json::parse(text, nullptr, false);
    if (json.is_discarded()) return Error::internal("ingress answered 202 with a body that is not JSON: " + text);
    // A single event is answered with its own result; a batch would be under "results".
    const nlohmann::json& r = json.contains("results") ? json["results"].at(0) : json;
    return Published{r.value("topic", ""), r.value("partition", -1), r.value("offset", int64_t{-1})};
  }

 private:
  static std::string evidence_digest(std::string_view bytes) { return crypto::sha256(bytes).hex(); }

  Result<std::pair<int, std::string>> request(const char* method, const std::string& target, const std::string& agency,
                                              std::string body, const char* content_type) {
    auto token = options_.tokens.find(agency);
    if (token == options_.tokens.end()) {
      return Error::invalid("no ingress token configured for agency " + agency, "tokens");
    }
    caselink::http::ClientOptions client;
    client.host = options_.host;
    client.port = options_.port;
    client.tls = options_.tls;
    client.timeout = std::chrono::milliseconds(options_.timeout_ms);
    auto answer = caselink::http::call(
        client, {method, target, {{"Authorization", "Bearer " + token->second}, {"Content-Type", content_type}},
                 std::move(body)});
    if (!answer.ok()) {
      return Error::unavailable("ingress " + options_.host + ":" + options_.port + ": " + answer.error().message);
    }
    return std::make_pair(answer->status, std::move(answer->body));
  }

  IngressChannelOptions options_;
};

}  // namespace

std::unique_ptr<Channel> make_sdk_channel(SdkChannelOptions options) {
  return std::make_unique<SdkChannel>(std::move(options));
}

std::unique_ptr<Channel> make_ingress_channel(IngressChannelOptions options) {
  return std::make_unique<IngressChannel>(std::move(options));
}

}  // namespace caselink::scenario
