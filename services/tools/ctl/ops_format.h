#pragma once
// Output helpers shared by caselinkctl's ops commands: aligned text tables and durations for
// people ("30d", "1h 30m"), so every command prints the same way.

#include <cstdint>
#include <string>
#include <vector>

namespace caselink::ctl {

// "30d", "1d 12h", "1h", "5m", "42s", "250ms"; "forever" for a negative duration (retention -1).
// At most two units: an operator reads the size, not the millisecond.
std::string human_duration(int64_t ms);

// Columns padded to their widest cell (UTF-8 aware), two spaces apart, no trailing blanks.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  [[nodiscard]] bool empty() const { return rows_.empty(); }
  [[nodiscard]] std::string render() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace caselink::ctl
