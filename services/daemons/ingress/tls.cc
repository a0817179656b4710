#include "services/daemons/ingress/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace caselink::ingress {

namespace ssl = boost::asio::ssl;

namespace {

// The first OpenSSL reason on the thread's error queue (which is then cleared), or `fallback`.
std::string openssl_reason(const std::string& fallback) {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) {
    return fallback;
  }
  const char* reason = ERR_reason_error_string(code);
  return reason != nullptr ? reason : fallback;
}

// A file that cannot be opened is reported with the system's reason before OpenSSL says
// something vaguer ("system lib").
Status readable(const std::string& path, const char* key) {
  if (path.empty()) {
    return Error::invalid("must be set while api.tls.enabled is true", key);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error::invalid(std::string("cannot read '") + path + "': " + std::strerror(errno), key);
  }
  return Status::success();
}

Status load(const std::string& path, const char* key, const char* what, bool ok) {
  if (ok) {
    return Status::success();
  }
  return Error::invalid("'" + path + "' is not a usable " + what + ": " + openssl_reason("unknown OpenSSL error"),
                        key);
}

}  // namespace

Result<std::shared_ptr<ssl::context>> make_server_tls_context(const TlsSettings& tls) {
  for (const auto& [path, key] : {std::pair{tls.cert_file, "api.tls.cert_file"}, {tls.key_file, "api.tls.key_file"}}) {
    if (Status st = readable(path, key); !st.ok()) {
      return st.error();
    }
  }
  if (!tls.client_ca_file.empty()) {
    if (Status st = readable(tls.client_ca_file, "api.tls.client_ca_file"); !st.ok()) {
      return st.error();
    }
  }
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* raw = ctx->native_handle();
  ERR_clear_error();
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(raw, TLS1_2_VERSION);
  // No renegotiation (a client-driven CPU cost) and the server's cipher order.
  SSL_CTX_set_options(raw, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
  if (SSL_CTX_set_cipher_list(raw, kTls12Ciphers) != 1) {
    return Error::internal("TLS 1.2 cipher list refused: " + openssl_reason("no cipher available"));
  }
  if (Status st = load(tls.cert_file, "api.tls.cert_file", "PEM certificate chain",
                       SSL_CTX_use_certificate_chain_file(raw, tls.cert_file.c_str()) == 1);
      !st.ok()) {
    return st.error();
  }
  if (Status st = load(tls.key_file, "api.tls.key_file", "PEM private key",
                       SSL_CTX_use_PrivateKey_file(raw, tls.key_file.c_str(), SSL_FILETYPE_PEM) == 1);
      !st.ok()) {
    return st.error();
  }
  if (SSL_CTX_check_private_key(raw) != 1) {
    return Error::invalid("'" + tls.key_file + "' does not belong to the certificate in '" + tls.cert_file +
                              "': " + openssl_reason("key mismatch"),
                          "api.tls.key_file");
  }
  if (!tls.client_ca_file.empty()) {
    if (Status st = load(tls.client_ca_file, "api.tls.client_ca_file", "PEM CA file",
                         SSL_CTX_load_verify_locations(raw, tls.client_ca_file.c_str(), nullptr) == 1);
        !st.ok()) {
      return st.error();
    }
    SSL_CTX_set_verify(raw, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  return ctx;
}

std::string peer_common_name(SSL* ssl) {
  X509* cert = ssl == nullptr ? nullptr : SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) {
    return {};
  }
  std::string cn;
  const X509_NAME* subject = X509_get_subject_name(cert);
  const int at = subject == nullptr ? -1 : X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (at >= 0) {
    const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at));
    unsigned char* utf8 = nullptr;
    const int length = ASN1_STRING_to_UTF8(&utf8, data);
    if (length > 0) {
      cn.assign(reinterpret_cast<const char*>(utf8), static_cast<size_t>(length));
    }
    OPENSSL_free(utf8);
  }
  X509_free(cert);
  return cn;
}

}  // namespace caselink::ingress
