#include "runtime/chat/stop_strings.h"

#include <algorithm>

namespace aae {

StopStringFilter::StopStringFilter(std::vector<std::string> stops) {
  for (auto& stop : stops) {
    if (!stop.empty()) stops_.push_back(std::move(stop));
  }
}

size_t StopStringFilter::possible_stop_prefix() const {
  size_t longest = 0;
  for (const std::string& stop : stops_) {
    const size_t max_len = std::min(stop.size() - 1, pending_.size());
    for (size_t len = max_len; len > longest; --len) {
      if (pending_.compare(pending_.size() - len, len, stop, 0, len) == 0) {
        longest = len;
        break;
      }
    }
  }
  return longest;
}

std::string StopStringFilter::push(std::string_view text) {
  if (stopped_) return {};
  pending_.append(text);
  // Everything released so far had no tail that could start a stop string, so a stop string
  // can only begin inside pending_.
  size_t first = std::string::npos;
  for (const std::string& stop : stops_) first = std::min(first, pending_.find(stop));
  if (first != std::string::npos) {
    stopped_ = true;
    std::string released = pending_.substr(0, first);
    pending_.clear();
    return released;
  }
  size_t cut = pending_.size() - possible_stop_prefix();
  // Never split a UTF-8 character (a stop string starting with a continuation byte could).
  while (cut > 0 && cut < pending_.size() &&
         (static_cast<unsigned char>(pending_[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  std::string released = pending_.substr(0, cut);
  pending_.erase(0, cut);
  return released;
}

std::string StopStringFilter::flush() {
  if (stopped_) return {};
  std::string rest = std::move(pending_);
  pending_.clear();
  return rest;
}

}  // namespace aae
