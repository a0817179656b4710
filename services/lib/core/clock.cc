#include "services/lib/core/clock.h"

#include <cstdio>
#include <ctime>

namespace caselink {

std::string format_rfc3339(TimePoint t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  int64_t seconds = ms / 1000;
  int64_t millis = ms % 1000;
  if (millis < 0) {
    millis += 1000;
    seconds -= 1;
  }
  const std::time_t tt = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(millis));
  return buffer;
}

bool time_in_range(int64_t seconds) { return seconds >= kMinTimeSeconds && seconds <= kMaxTimeSeconds; }

namespace {
bool digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) {
    return false;
  }
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') {
      return false;
    }
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}
// Seconds since 1970 of a UTC civil time; false for a day the month does not have.
bool to_epoch_seconds(int year, int month, int day, int hour, int minute, int second, int64_t* out) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const std::time_t epoch = timegm(&tm);
  // timegm normalizes out-of-range days (Feb 30 -> Mar 2); reject those.
  std::tm check{};
  gmtime_r(&epoch, &check);
  if (check.tm_mday != day || check.tm_mon != month - 1) {
    return false;
  }
  *out = static_cast<int64_t>(epoch);
  return true;
}
}  // namespace

bool valid_calendar_date(std::string_view text) {
  int year, month, day;
  if (text.size() != 10 || !digits(text, 0, 4, &year) || text[4] != '-' || !digits(text, 5, 2, &month) ||
      text[7] != '-' || !digits(text, 8, 2, &day) || month < 1 || month > 12 || day < 1 || day > 31) {
    return false;
  }
  int64_t seconds = 0;
  return to_epoch_seconds(year, month, day, 0, 0, 0, &seconds) && time_in_range(seconds);
}

bool parse_rfc3339(const std::string& text, TimePoint* out) {
  int year, month, day, hour, minute, second;
  if (!digits(text, 0, 4, &year) || text.size() < 20 || text[4] != '-' || !digits(text, 5, 2, &month) ||
      text[7] != '-' || !digits(text, 8, 2, &day) || (text[10] != 'T' && text[10] != 't') ||
      !digits(text, 11, 2, &hour) || text[13] != ':' || !digits(text, 14, 2, &minute) || text[16] != ':' ||
      !digits(text, 17, 2, &second)) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return false;
  }
  size_t pos = 19;
  int64_t nanos = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int64_t scale = 100000000;
    size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (scale > 0) {
        nanos += (text[pos] - '0') * scale;
        scale /= 10;
      }
      ++pos;
    }
    if (pos == start) {
      return false;
    }
  }
  int offset_seconds = 0;
  if (pos >= text.size()) {
    return false;
  }
  if (text[pos] == 'Z' || text[pos] == 'z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    int oh, om;
    if (!digits(text, pos + 1, 2, &oh) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !digits(text, pos + 4, 2, &om) || oh > 23 || om > 59) {
      return false;
    }
    offset_seconds = (oh * 3600 + om * 60) * (text[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return false;
  }
  if (pos != text.size()) {
    return false;
  }
  int64_t epoch = 0;
  if (!to_epoch_seconds(year, month, day, hour, minute, second, &epoch) || !time_in_range(epoch - offset_seconds)) {
    return false;
  }
  *out = TimePoint(std::chrono::seconds(epoch - offset_seconds)) +
         std::chrono::duration_cast<TimePoint::duration>(std::chrono::nanoseconds(nanos));
  return true;
}

}  // namespace caselink
