#include "services/tools/ctl/ops_format.h"

#include <algorithm>
#include <array>
#include <utility>

namespace caselink::ctl {

std::string human_duration(int64_t ms) {
  if (ms < 0) return "forever";
  if (ms < 1000) return std::to_string(ms) + "ms";
  constexpr std::array<std::pair<int64_t, const char*>, 4> kUnits = {
      {{86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}}};
  std::string out;
  int used = 0;
  for (const auto& [size, name] : kUnits) {
    if (used == 2) break;
    const int64_t n = ms / size;
    if (n == 0) {
      if (used > 0) break;  // "1d 3m" would read as precision it does not have
      continue;
    }
    out += (out.empty() ? "" : " ") + std::to_string(n) + name;
    ms -= n * size;
    ++used;
  }
  return out;
}

namespace {

// Display width: code points, counting CJK (3-byte UTF-8 sequences here) as two columns.
size_t width(const std::string& s) {
  size_t w = 0;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : 4;
    w += len == 3 ? 2 : 1;
    i += len;
  }
  return w;
}

}  // namespace

std::string Table::render() const {
  std::vector<size_t> widths(header_.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) widths[i] = std::max(widths[i], width(row[i]));
  };
  measure(header_);
  for (const auto& row : rows_) measure(row);
  std::string out;
  auto line = [&](const std::vector<std::string>& row) {
    std::string text;
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      text += row[i];
      if (i + 1 < row.size()) text += std::string(widths[i] - width(row[i]) + 2, ' ');
    }
    out += text + "\n";
  };
  line(header_);
  for (const auto& row : rows_) line(row);
  return out;
}

}  // namespace caselink::ctl
