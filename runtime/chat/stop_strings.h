// Stop strings over streamed text: a chat reply must end before the first stop string and must
// never show one, not even when it arrives split over several tokens ("[IN" + "ST]"). The filter
// holds back the longest tail of the text that could still grow into a stop string and releases
// it once it cannot (or at the end).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace aae {

class StopStringFilter {
 public:
  // Empty strings in `stops` are ignored (they would match everywhere).
  explicit StopStringFilter(std::vector<std::string> stops);

  // Appends the next piece of text (complete UTF-8) and returns what is now safe to show:
  // text that contains no stop string and is not a possible start of one. Once a stop string
  // is complete, returns the text before it, stopped() becomes true and later pushes return "".
  std::string push(std::string_view text);
  // The end of the stream: the held-back tail (it never became a stop string); "" after a stop.
  std::string flush();
  bool stopped() const { return stopped_; }

 private:
  // The length of the longest tail of pending_ that is a proper prefix of a stop string.
  size_t possible_stop_prefix() const;

  std::vector<std::string> stops_;
  std::string pending_;  // text received but not yet released
  bool stopped_ = false;
};

}  // namespace aae
