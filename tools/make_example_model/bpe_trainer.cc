#include "tools/make_example_model/bpe_trainer.h"

#include <array>
#include <cstdint>
#include <map>

namespace aae::example {
namespace {

std::string utf8(uint32_t code_point) {
  std::string out;
  if (code_point < 0x80) {
    out += static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    out += static_cast<char>(0xc0 | (code_point >> 6));
    out += static_cast<char>(0x80 | (code_point & 0x3f));
  } else {
    out += static_cast<char>(0xe0 | (code_point >> 12));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code_point & 0x3f));
  }
  return out;
}

bool is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }
bool is_letter(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80; }
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
bool is_other(unsigned char c) { return !is_space(c) && !is_letter(c) && !is_digit(c); }

// Length of the run of characters satisfying `pred` starting at `begin`.
template <typename Pred>
size_t run_length(std::string_view text, size_t begin, Pred pred) {
  size_t end = begin;
  while (end < text.size() && pred(static_cast<unsigned char>(text[end]))) ++end;
  return end - begin;
}

// Length of the pre-token starting at `i` (always >= 1).
size_t next_pretoken_length(std::string_view text, size_t i) {
  const std::string_view rest = text.substr(i);
  if (rest[0] == '\'') {
    for (std::string_view suffix : {"s", "t", "re", "ve", "m", "ll", "d"})
      if (rest.substr(1, suffix.size()) == suffix) return 1 + suffix.size();
  }
  // " ?\p{L}+", " ?\p{N}+", " ?[^\s\p{L}\p{N}]+": an optional single space, then a class run.
  const size_t start = rest[0] == ' ' && rest.size() > 1 && !is_space(static_cast<unsigned char>(rest[1])) ? 1 : 0;
  const auto c = static_cast<unsigned char>(rest[start]);
  if (is_letter(c)) return start + run_length(rest, start, is_letter);
  if (is_digit(c)) return start + run_length(rest, start, is_digit);
  if (is_other(c)) return start + run_length(rest, start, is_other);
  // Whitespace: "\s+(?!\S)" leaves the last space for the word that follows; "\s+" otherwise.
  const size_t spaces = run_length(rest, 0, is_space);
  if (spaces == rest.size() || spaces == 1) return spaces;
  return spaces - 1;
}

}  // namespace

const std::string& byte_to_unicode(unsigned char byte) {
  static const std::array<std::string, 256> table = [] {
    std::array<std::string, 256> out;
    uint32_t next_extra = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
      out[b] = utf8(printable ? static_cast<uint32_t>(b) : next_extra++);
    }
    return out;
  }();
  return table[byte];
}

std::string to_byte_level(std::string_view bytes) {
  std::string out;
  for (char c : bytes) out += byte_to_unicode(static_cast<unsigned char>(c));
  return out;
}

std::vector<std::string_view> pretokenize(std::string_view text) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < text.size()) {
    const size_t length = next_pretoken_length(text, i);
    out.push_back(text.substr(i, length));
    i += length;
  }
  return out;
}

BpeModel train_bpe(std::string_view corpus, size_t target_tokens) {
  BpeModel model;
  for (int b = 0; b < 256; ++b) model.tokens.emplace_back(1, static_cast<char>(b));
  std::map<std::string, int> token_ids;
  for (int b = 0; b < 256; ++b) token_ids[model.tokens[b]] = b;

  // Each distinct pre-token once, as a sequence of token ids, with its count in the corpus.
  std::map<std::string_view, int64_t> counts;
  for (std::string_view word : pretokenize(corpus)) ++counts[word];
  std::vector<std::vector<int>> words;
  std::vector<int64_t> word_counts;
  for (const auto& [word, count] : counts) {
    std::vector<int> symbols;
    for (char c : word) symbols.push_back(static_cast<unsigned char>(c));
    words.push_back(std::move(symbols));
    word_counts.push_back(count);
  }

  while (model.tokens.size() < target_tokens) {
    std::map<std::pair<int, int>, int64_t> pair_counts;
    for (size_t w = 0; w < words.size(); ++w)
      for (size_t i = 0; i + 1 < words[w].size(); ++i) pair_counts[{words[w][i], words[w][i + 1]}] += word_counts[w];
    if (pair_counts.empty()) break;

    auto best = pair_counts.begin();
    for (auto it = pair_counts.begin(); it != pair_counts.end(); ++it) {
      if (it->second != best->second) {
        if (it->second > best->second) best = it;
        continue;
      }
      const auto& [a, b] = it->first;
      const auto& [best_a, best_b] = best->first;
      if (std::make_pair(model.tokens[a], model.tokens[b]) < std::make_pair(model.tokens[best_a], model.tokens[best_b]))
        best = it;
    }
    const auto [left, right] = best->first;
    const std::string merged = model.tokens[left] + model.tokens[right];
    auto [found, inserted] = token_ids.emplace(merged, static_cast<int>(model.tokens.size()));
    if (inserted) model.tokens.push_back(merged);
    const int merged_id = found->second;
    model.merges.emplace_back(left, right);

    for (auto& symbols : words) {
      std::vector<int> next;
      next.reserve(symbols.size());
      for (size_t i = 0; i < symbols.size(); ++i) {
        if (i + 1 < symbols.size() && symbols[i] == left && symbols[i + 1] == right) {
          next.push_back(merged_id);
          ++i;
        } else {
          next.push_back(symbols[i]);
        }
      }
      symbols = std::move(next);
    }
  }
  return model;
}

}  // namespace aae::example
