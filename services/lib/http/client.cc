#include "services/lib/http/client.h"

#include <utility>  // boost 1.74 asio uses std::exchange without including it

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace caselink::http {

namespace net = boost::asio;
namespace ssl = net::ssl;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

namespace {

// Runs one asynchronous operation to its end on `io`: the stream's deadline applies to
// asynchronous operations only, so a blocking call could wait for ever on a silent peer.
template <typename Start>
beast::error_code run(net::io_context& io, Start&& start) {
  beast::error_code result = net::error::would_block;
  start([&result](beast::error_code ec, auto&&...) { result = ec; });
  io.restart();
  io.run();
  return result;
}

Error failure(const char* reason, const std::string& what, const beast::error_code& ec) {
  Error e = Error::unavailable(what + ": " + ec.message());
  e.reason = reason;
  return e;
}

Result<std::shared_ptr<ssl::context>> client_context(const ClientOptions& o) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  beast::error_code ec;
  ctx->set_verify_mode(ssl::verify_peer, ec);
  if (o.tls.ca_file.empty()) {
    return Error::invalid("a CA file to verify the server with is required for HTTPS", "ca_file");
  }
  ctx->load_verify_file(o.tls.ca_file, ec);
  if (ec) {
    return Error::invalid("cannot load CA file '" + o.tls.ca_file + "': " + ec.message(), "ca_file");
  }
  if (!o.tls.cert_file.empty()) {
    ctx->use_certificate_chain_file(o.tls.cert_file, ec);
    if (!ec) ctx->use_private_key_file(o.tls.key_file, ssl::context::pem, ec);
    if (ec) {
      return Error::invalid("cannot load client certificate '" + o.tls.cert_file + "': " + ec.message(), "cert_file");
    }
  }
  return ctx;
}

// Stream is beast::tcp_stream or TlsStream.
template <class Stream>
class StreamConnection : public Connection {
 public:
  StreamConnection(std::unique_ptr<net::io_context> io, std::shared_ptr<ssl::context> ctx, Stream stream,
                   ClientOptions options)
      : io_(std::move(io)), ctx_(std::move(ctx)), stream_(std::move(stream)), options_(std::move(options)) {}

  ~StreamConnection() override {
    beast::error_code ignored;
    tcp().socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
    tcp().socket().close(ignored);
  }

  beast::tcp_stream& tcp() { return beast::get_lowest_layer(stream_); }

  Status connect() {
    tcp().expires_after(options_.timeout);
    net::ip::tcp::resolver resolver(*io_);
    beast::error_code ec;
    auto endpoints = resolver.resolve(options_.host, options_.port, ec);
    if (!ec) ec = run(*io_, [&](auto handler) { tcp().async_connect(endpoints, handler); });
    if (ec) {
      return failure("http.connect", "cannot connect to " + options_.host + ":" + options_.port, ec);
    }
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      SSL* handle = stream_.native_handle();
      SSL_set_tlsext_host_name(handle, options_.host.c_str());
      // The certificate must name the host asked for: as an IP address or as a DNS name.
      X509_VERIFY_PARAM* param = SSL_get0_param(handle);
      if (X509_VERIFY_PARAM_set1_ip_asc(param, options_.host.c_str()) != 1) {
        X509_VERIFY_PARAM_set1_host(param, options_.host.c_str(), 0);
      }
      ec = run(*io_, [&](auto handler) { stream_.async_handshake(ssl::stream_base::client, handler); });
      if (ec) {
        return failure("tls.handshake", "TLS handshake with " + options_.host + ":" + options_.port + " failed", ec);
      }
    }
    return Status::success();
  }

  Result<ClientResponse> send(const ClientRequest& request) override {
    bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(request.method), request.target, 11};
    req.set(bhttp::field::host, options_.host);
    for (const auto& [name, value] : request.headers) {
      req.set(name, value);
    }
    req.body() = request.body;
    req.prepare_payload();
    tcp().expires_after(options_.timeout);
    beast::error_code ec = run(*io_, [&](auto handler) { bhttp::async_write(stream_, req, handler); });
    bhttp::response<bhttp::string_body> res;
    if (!ec) ec = run(*io_, [&](auto handler) { bhttp::async_read(stream_, buffer_, res, handler); });
    if (ec) {
      return failure("http.io", request.method + " " + request.target + " on " + options_.host + ":" + options_.port, ec);
    }
    ClientResponse out{static_cast<int>(res.result_int()), {}, std::move(res.body()), {}};
    for (const auto& field : res) {
      out.headers[std::string(field.name_string())] = std::string(field.value());
    }
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      out.tls_version = SSL_get_version(stream_.native_handle());
    }
    return out;
  }

 private:
  std::unique_ptr<net::io_context> io_;
  std::shared_ptr<ssl::context> ctx_;  // outlives the stream's SSL object
  Stream stream_;
  ClientOptions options_;
  beast::flat_buffer buffer_;
};

template <class Stream>
Result<std::unique_ptr<Connection>> opened(std::unique_ptr<StreamConnection<Stream>> connection) {
  if (Status st = connection->connect(); !st.ok()) {
    return st.error();
  }
  return std::unique_ptr<Connection>(std::move(connection));
}

}  // namespace

Result<std::unique_ptr<Connection>> Connection::open(const ClientOptions& options) {
  auto io = std::make_unique<net::io_context>();
  if (!options.tls.enabled) {
    beast::tcp_stream stream(*io);
    return opened(std::make_unique<StreamConnection<beast::tcp_stream>>(std::move(io), nullptr, std::move(stream),
                                                                        options));
  }
  auto ctx = client_context(options);
  if (!ctx.ok()) {
    return ctx.error();
  }
  TlsStream stream(*io, **ctx);
  return opened(std::make_unique<StreamConnection<TlsStream>>(std::move(io), std::move(*ctx), std::move(stream), options));
}

Result<ClientResponse> call(const ClientOptions& options, const ClientRequest& request) {
  auto connection = Connection::open(options);
  if (!connection.ok()) {
    return connection.error();
  }
  return (*connection)->send(request);
}

}  // namespace caselink::http
