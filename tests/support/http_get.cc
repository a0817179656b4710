#include "tests/support/http_get.h"

#include <fstream>
#include <sstream>

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

uint16_t admin_port_in_log(const std::string& log_path, std::streamoff from) {
  static const std::string kMark = "admin endpoint on http://127.0.0.1:";
  std::ifstream in(log_path);
  in.seekg(from);
  std::string line;
  while (std::getline(in, line)) {
    if (const auto at = line.find(kMark); at != std::string::npos) {
      return static_cast<uint16_t>(std::stoi(line.substr(at + kMark.size())));
    }
  }
  return 0;
}

double metric_value(const std::string& page, const std::string& metric) {
  std::istringstream in(page);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(metric + "{", 0) == 0 || line.rfind(metric + " ", 0) == 0) {
      return std::stod(line.substr(line.rfind(' ') + 1));
    }
  }
  return -1;
}

double scrape_metric(const std::string& log_path, const std::string& metric, std::streamoff from) {
  const uint16_t port = admin_port_in_log(log_path, from);
  if (port == 0) return -1;
  const HttpReply page = http_get(port, "/metrics");
  return page.status == 200 ? metric_value(page.body, metric) : -1;
}

}  // namespace caselink::testing
