#include "tests/support/http_get.h"

#include <utility>  // boost 1.74 asio uses std::exchange without including it

#include <boost/asio.hpp>

namespace caselink::testing {

HttpReply http_get(uint16_t port, const std::string& path) {
  namespace asio = boost::asio;
  HttpReply reply;
  try {
    asio::io_context io;
    asio::ip::tcp::socket socket(io);
    socket.connect({asio::ip::make_address("127.0.0.1"), port});
    const std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    asio::write(socket, asio::buffer(request));
    std::string response;
    boost::system::error_code ec;
    char buffer[4096];
    for (;;) {
      const size_t n = socket.read_some(asio::buffer(buffer), ec);
      response.append(buffer, n);
      if (ec) {
        break;
      }
    }
    // "HTTP/1.1 200 OK\r\n...\r\n\r\nbody"
    if (response.size() > 12) {
      reply.status = std::stoi(response.substr(9, 3));
    }
    const auto split = response.find("\r\n\r\n");
    if (split != std::string::npos) {
      reply.body = response.substr(split + 4);
    }
  } catch (const std::exception&) {
    reply.status = 0;
  }
  return reply;
}

}  // namespace caselink::testing
