#include "runtime/tokenizer/decoders.h"

#include <optional>
#include <string_view>
#include <utility>

#include "runtime/tokenizer/utf8.h"

namespace aae::tokenizer {
namespace {

using json::ObjectReader;

std::string replace_all(std::string_view text, std::string_view pattern,
                        std::string_view replacement) {
  if (pattern.empty()) return std::string(text);
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (true) {
    const size_t hit = text.find(pattern, pos);
    if (hit == std::string_view::npos) break;
    out.append(text.substr(pos, hit - pos));
    out.append(replacement);
    pos = hit + pattern.size();
  }
  out.append(text.substr(pos));
  return out;
}

// A JSON string that must hold exactly one code point (HF's `char` fields).
Result<char32_t> get_char(const ObjectReader& reader, std::string_view key) {
  AAE_ASSIGN_OR_RETURN(std::string text, reader.get_string(key));
  if (!is_valid_utf8(text) || code_point_count(text) != 1) {
    return Error(reader.child_path(key) + ": expected exactly one character, found \"" + text +
                 "\"");
  }
  return code_points(text)[0];
}

// Rust's u8::from_str_radix(s, 16) on the two bytes of "<0xHH>": an optional '+' followed by
// hex digits (so "+A" parses too); anything else is not a byte token.
std::optional<uint8_t> parse_byte_token(std::string_view token) {
  if (token.size() != 6 || token.substr(0, 3) != "<0x" || token[5] != '>') return std::nullopt;
  std::string_view digits = token.substr(3, 2);
  if (digits[0] == '+') digits.remove_prefix(1);
  unsigned value = 0;
  for (char c : digits) {
    unsigned d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else return std::nullopt;
    value = value * 16 + d;
  }
  return static_cast<uint8_t>(value);
}

std::vector<std::string> byte_level_chain(const std::vector<std::string>& tokens) {
  std::string bytes;
  for (const std::string& token : tokens) {
    std::string mapped;
    bool all_mapped = true;
    for (char32_t cp : code_points(token)) {
      const std::optional<uint8_t> b = byte_level_byte(cp);
      if (!b) {
        all_mapped = false;
        break;
      }
      mapped.push_back(static_cast<char>(*b));
    }
    bytes += all_mapped ? mapped : token;
  }
  return {utf8_lossy(bytes)};
}

std::vector<std::string> byte_fallback_chain(std::vector<std::string> tokens) {
  std::vector<std::string> out;
  out.reserve(tokens.size());
  std::string run;  // raw bytes of the current run of <0xHH> tokens
  auto flush = [&] {
    if (run.empty()) return;
    if (is_valid_utf8(run)) {
      out.push_back(run);
    } else {
      std::string fffd;
      append_utf8(fffd, kReplacementChar);
      for (size_t i = 0; i < run.size(); ++i) out.push_back(fffd);
    }
    run.clear();
  };
  for (std::string& token : tokens) {
    if (const std::optional<uint8_t> b = parse_byte_token(token)) {
      run.push_back(static_cast<char>(*b));
    } else {
      flush();
      out.push_back(std::move(token));
    }
  }
  flush();
  return out;
}

std::string strip_token(const std::string& token, char32_t content, size_t start, size_t stop) {
  const std::vector<char32_t> cps = code_points(token);
  size_t begin = 0;
  while (begin < start && begin < cps.size() && cps[begin] == content) ++begin;
  size_t end = cps.size();
  // Trailing cuts never cross what the leading cut left (HF bounds them the same way).
  while (cps.size() - end < stop && end > begin && cps[end - 1] == content) --end;
  std::string out;
  for (size_t i = begin; i < end; ++i) append_utf8(out, cps[i]);
  return out;
}

std::string metaspace_token(const std::string& token, char32_t replacement, bool drop) {
  std::string out;
  for (char32_t cp : code_points(token)) {
    if (cp != replacement) {
      append_utf8(out, cp);
    } else if (!drop) {
      out.push_back(' ');
    }
  }
  return out;
}

}  // namespace

const char* decoder_type_name(DecoderType type) {
  switch (type) {
    case DecoderType::kByteLevel: return "ByteLevel";
    case DecoderType::kByteFallback: return "ByteFallback";
    case DecoderType::kFuse: return "Fuse";
    case DecoderType::kStrip: return "Strip";
    case DecoderType::kReplace: return "Replace";
    case DecoderType::kMetaspace: return "Metaspace";
    case DecoderType::kWordPiece: return "WordPiece";
    case DecoderType::kBpe: return "BPEDecoder";
    case DecoderType::kSequence: return "Sequence";
  }
  return "unknown";
}

std::string wordpiece_cleanup(std::string text) {
  static constexpr std::pair<std::string_view, std::string_view> kRules[] = {
      {" .", "."},      {" ?", "?"},     {" !", "!"},   {" ,", ","},
      {" ' ", "'"},     {" n't", "n't"}, {" 'm", "'m"}, {" do not", " don't"},
      {" 's", "'s"},    {" 've", "'ve"}, {" 're", "'re"},
  };
  for (const auto& [from, to] : kRules) text = replace_all(text, from, to);
  return text;
}

Result<Decoder> Decoder::from_json(const json::Value& value, const std::string& path) {
  AAE_ASSIGN_OR_RETURN(ObjectReader reader, ObjectReader::make(value, path));
  AAE_ASSIGN_OR_RETURN(std::string type, reader.get_string("type"));

  if (type == "ByteLevel") return Decoder(DecoderType::kByteLevel);
  if (type == "ByteFallback") return Decoder(DecoderType::kByteFallback);
  if (type == "Fuse") return Decoder(DecoderType::kFuse);
  if (type == "Strip") {
    Decoder d(DecoderType::kStrip);
    AAE_ASSIGN_OR_RETURN(char32_t content, get_char(reader, "content"));
    AAE_ASSIGN_OR_RETURN(int64_t start, reader.get_int64("start"));
    AAE_ASSIGN_OR_RETURN(int64_t stop, reader.get_int64("stop"));
    if (start < 0 || stop < 0) {
      return Error(path + ": Strip start/stop must be non-negative, found " +
                   std::to_string(start) + "/" + std::to_string(stop));
    }
    append_utf8(d.content_, content);
    d.replacement_ = content;
    d.start_ = static_cast<size_t>(start);
    d.stop_ = static_cast<size_t>(stop);
    return d;
  }
  if (type == "Replace") {
    Decoder d(DecoderType::kReplace);
    AAE_ASSIGN_OR_RETURN(const json::Value* pattern, reader.get_object("pattern"));
    AAE_ASSIGN_OR_RETURN(ObjectReader pattern_reader,
                         ObjectReader::make(*pattern, reader.child_path("pattern")));
    if (pattern_reader.has("Regex")) {
      return Error(pattern_reader.path() + ": Regex patterns are not supported in decoders",
                   "only literal {\"String\": ...} patterns can be decoded by this runtime");
    }
    AAE_ASSIGN_OR_RETURN(d.pattern_, pattern_reader.get_string("String"));
    if (d.pattern_.empty()) {
      return Error(pattern_reader.child_path("String") + ": the pattern is empty");
    }
    AAE_ASSIGN_OR_RETURN(d.content_, reader.get_string("content"));
    return d;
  }
  if (type == "Metaspace") {
    Decoder d(DecoderType::kMetaspace);
    AAE_ASSIGN_OR_RETURN(d.replacement_, get_char(reader, "replacement"));
    AAE_ASSIGN_OR_RETURN(bool add_prefix_space, reader.get_bool_or("add_prefix_space", true));
    AAE_ASSIGN_OR_RETURN(std::string scheme, reader.get_string_or("prepend_scheme", ""));
    if (scheme.empty()) scheme = add_prefix_space ? "always" : "never";
    if (scheme != "always" && scheme != "first" && scheme != "never") {
      return Error(reader.child_path("prepend_scheme") +
                   ": expected \"always\", \"first\" or \"never\", found \"" + scheme + "\"");
    }
    d.strip_first_ = scheme != "never";
    return d;
  }
  if (type == "WordPiece") {
    Decoder d(DecoderType::kWordPiece);
    AAE_ASSIGN_OR_RETURN(d.prefix_, reader.get_string_or("prefix", "##"));
    AAE_ASSIGN_OR_RETURN(d.cleanup_, reader.get_bool_or("cleanup", true));
    return d;
  }
  if (type == "BPEDecoder") {
    Decoder d(DecoderType::kBpe);
    AAE_ASSIGN_OR_RETURN(d.suffix_, reader.get_string_or("suffix", "</w>"));
    return d;
  }
  if (type == "Sequence") {
    Decoder d(DecoderType::kSequence);
    AAE_ASSIGN_OR_RETURN(const json::Value* list, reader.get_array("decoders"));
    const std::string list_path = reader.child_path("decoders");
    for (size_t i = 0; i < list->as_array().size(); ++i) {
      AAE_ASSIGN_OR_RETURN(Decoder child, Decoder::from_json(list->as_array()[i],
                                                             list_path + "[" +
                                                                 std::to_string(i) + "]"));
      d.children_.push_back(std::move(child));
    }
    return d;
  }
  return Error(reader.child_path("type") + ": unsupported decoder type \"" + type + "\"",
               "supported: ByteLevel, ByteFallback, Fuse, Strip, Replace, Metaspace, "
               "WordPiece, BPEDecoder, Sequence");
}

std::vector<std::string> Decoder::decode_chain(std::vector<std::string> tokens) const {
  switch (type_) {
    case DecoderType::kByteLevel:
      return byte_level_chain(tokens);
    case DecoderType::kByteFallback:
      return byte_fallback_chain(std::move(tokens));
    case DecoderType::kFuse: {
      std::string joined;
      for (const std::string& t : tokens) joined += t;
      return {std::move(joined)};
    }
    case DecoderType::kStrip:
      for (std::string& t : tokens) t = strip_token(t, replacement_, start_, stop_);
      return tokens;
    case DecoderType::kReplace:
      for (std::string& t : tokens) t = replace_all(t, pattern_, content_);
      return tokens;
    case DecoderType::kMetaspace:
      for (size_t i = 0; i < tokens.size(); ++i) {
        tokens[i] = metaspace_token(tokens[i], replacement_, i == 0 && strip_first_);
      }
      return tokens;
    case DecoderType::kWordPiece:
      for (size_t i = 0; i < tokens.size(); ++i) {
        std::string& t = tokens[i];
        if (i != 0) {
          if (t.compare(0, prefix_.size(), prefix_) == 0) {  // an empty prefix always matches
            t.erase(0, prefix_.size());
          } else {
            t.insert(0, " ");
          }
        }
        if (cleanup_) t = wordpiece_cleanup(std::move(t));
      }
      return tokens;
    case DecoderType::kBpe:
      for (size_t i = 0; i < tokens.size(); ++i) {
        tokens[i] = replace_all(tokens[i], suffix_, i + 1 == tokens.size() ? "" : " ");
      }
      return tokens;
    case DecoderType::kSequence:
      for (const Decoder& child : children_) tokens = child.decode_chain(std::move(tokens));
      return tokens;
  }
  return tokens;
}

std::string Decoder::decode(std::vector<std::string> tokens) const {
  std::string out;
  for (const std::string& t : decode_chain(std::move(tokens))) out += t;
  return out;
}

}  // namespace aae::tokenizer
