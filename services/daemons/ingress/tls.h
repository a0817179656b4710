#pragma once

// The TLS side of the public API (issue 15 §5): the server context built from api.tls.* at
// start. Boost.Asio's ssl::context over OpenSSL 3; Beast's ssl_stream stays inside server.cc.

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <string>

#include "services/lib/core/result.h"
#include "services/daemons/ingress/settings.h"

namespace caselink::ingress {

// TLS 1.2 at least; for TLS 1.2 only ECDHE key exchange with AEAD ciphers (forward secrecy, no
// CBC, no RSA key transport), TLS 1.3's own suites as OpenSSL ships them.
inline constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// Loads the certificate chain, the key (checked to match the certificate) and, when set, the
// client CA (then every client must present a certificate it signed). An error names the key
// and the file, and says what OpenSSL found wrong with it.
Result<std::shared_ptr<boost::asio::ssl::context>> make_server_tls_context(const TlsSettings& tls);

// The subject common name (CN) of the certificate the peer of `ssl` presented in a completed
// handshake (the context verified it against api.tls.client_ca_file); empty when it presented
// none or its subject has no CN.
std::string peer_common_name(SSL* ssl);

}  // namespace caselink::ingress
