// PreTokenizer::from_json: the "pre_tokenizer" object of tokenizer.json.
#include <string>

#include "runtime/tokenizer/pre_tokenizers.h"
#include "runtime/tokenizer/utf8.h"

namespace aae::tokenizer {
namespace {

Result<SplitBehavior> parse_behavior(const json::ObjectReader& reader, SplitBehavior fallback) {
  if (!reader.has("behavior")) return fallback;
  AAE_ASSIGN_OR_RETURN(std::string name, reader.get_string("behavior"));
  if (name == "Removed") return SplitBehavior::kRemoved;
  if (name == "Isolated") return SplitBehavior::kIsolated;
  if (name == "MergedWithPrevious") return SplitBehavior::kMergedWithPrevious;
  if (name == "MergedWithNext") return SplitBehavior::kMergedWithNext;
  if (name == "Contiguous") return SplitBehavior::kContiguous;
  return Error(reader.child_path("behavior") + ": unknown split behavior \"" + name + "\"",
               "expected Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous");
}

// A field that must hold exactly one character (Metaspace replacement, delimiters).
Result<char32_t> get_char(const json::ObjectReader& reader, std::string_view key,
                          char32_t fallback) {
  if (!reader.has(key)) return fallback;
  AAE_ASSIGN_OR_RETURN(std::string text, reader.get_string(key));
  std::vector<char32_t> cps = code_points(text);
  if (cps.size() != 1) {
    return Error(reader.child_path(key) + ": expected exactly one character, found \"" + text +
                 "\"");
  }
  return cps[0];
}

Result<PreTokenizer> split_from_json(const json::ObjectReader& reader) {
  AAE_ASSIGN_OR_RETURN(SplitBehavior behavior, parse_behavior(reader, SplitBehavior::kRemoved));
  AAE_ASSIGN_OR_RETURN(bool invert, reader.get_bool_or("invert", false));
  AAE_ASSIGN_OR_RETURN(const json::Value* pattern, reader.get_object("pattern"));
  AAE_ASSIGN_OR_RETURN(auto pattern_reader,
                       json::ObjectReader::make(*pattern, reader.child_path("pattern")));
  if (pattern_reader.has("Regex")) {
    AAE_ASSIGN_OR_RETURN(std::string regex, pattern_reader.get_string("Regex"));
    Result<PreTokenizer> split = PreTokenizer::split_regex(regex, behavior, invert);
    if (!split.ok()) {
      Error error = split.error();
      return error.context(pattern_reader.child_path("Regex") + ": cannot compile the pattern");
    }
    return split;
  }
  if (pattern_reader.has("String")) {
    AAE_ASSIGN_OR_RETURN(std::string literal, pattern_reader.get_string("String"));
    return PreTokenizer::split_string(literal, behavior, invert);
  }
  return Error(pattern_reader.path() + ": expected a \"Regex\" or \"String\" pattern");
}

Result<PreTokenizer> metaspace_from_json(const json::ObjectReader& reader) {
  AAE_ASSIGN_OR_RETURN(char32_t replacement, get_char(reader, "replacement", 0x2581));
  AAE_ASSIGN_OR_RETURN(bool split, reader.get_bool_or("split", true));
  PrependScheme scheme = PrependScheme::kAlways;
  if (reader.has("prepend_scheme")) {
    AAE_ASSIGN_OR_RETURN(std::string name, reader.get_string("prepend_scheme"));
    if (name == "always") scheme = PrependScheme::kAlways;
    else if (name == "first") scheme = PrependScheme::kFirst;
    else if (name == "never") scheme = PrependScheme::kNever;
    else {
      return Error(reader.child_path("prepend_scheme") + ": unknown prepend scheme \"" + name +
                       "\"",
                   "expected always, first or never");
    }
  } else if (reader.has("add_prefix_space")) {
    // Older files: add_prefix_space true/false means always/never.
    AAE_ASSIGN_OR_RETURN(bool add, reader.get_bool("add_prefix_space"));
    scheme = add ? PrependScheme::kAlways : PrependScheme::kNever;
  }
  return PreTokenizer::metaspace(replacement, scheme, split);
}

}  // namespace

Result<PreTokenizer> PreTokenizer::from_json(const json::Value& value,
                                             const std::string& json_path) {
  AAE_ASSIGN_OR_RETURN(auto reader, json::ObjectReader::make(value, json_path));
  AAE_ASSIGN_OR_RETURN(std::string type, reader.get_string("type"));
  if (type == "ByteLevel") {
    AAE_ASSIGN_OR_RETURN(bool add_prefix_space, reader.get_bool_or("add_prefix_space", true));
    AAE_ASSIGN_OR_RETURN(bool use_regex, reader.get_bool_or("use_regex", true));
    AAE_TRY(reader.get_bool_or("trim_offsets", true));  // offsets only: no effect on pieces
    return byte_level(add_prefix_space, use_regex);
  }
  if (type == "Split") return split_from_json(reader);
  if (type == "Metaspace") return metaspace_from_json(reader);
  if (type == "Whitespace") return whitespace();
  if (type == "WhitespaceSplit") return whitespace_split();
  if (type == "BertPreTokenizer") return bert();
  if (type == "Punctuation") {
    AAE_ASSIGN_OR_RETURN(SplitBehavior behavior, parse_behavior(reader, SplitBehavior::kIsolated));
    return punctuation(behavior);
  }
  if (type == "Digits") {
    AAE_ASSIGN_OR_RETURN(bool individual, reader.get_bool_or("individual_digits", false));
    return digits(individual);
  }
  if (type == "CharDelimiterSplit") {
    if (!reader.has("delimiter")) {
      return Error(json_path + ": missing required field \"delimiter\"");
    }
    AAE_ASSIGN_OR_RETURN(char32_t delimiter, get_char(reader, "delimiter", ' '));
    return char_delimiter_split(delimiter);
  }
  if (type == "Sequence") {
    AAE_ASSIGN_OR_RETURN(const json::Value* list, reader.get_array("pretokenizers"));
    std::vector<PreTokenizer> steps;
    for (size_t i = 0; i < list->as_array().size(); ++i) {
      std::string path = reader.child_path("pretokenizers") + "[" + std::to_string(i) + "]";
      AAE_ASSIGN_OR_RETURN(PreTokenizer step, from_json(list->as_array()[i], path));
      steps.push_back(std::move(step));
    }
    return sequence(std::move(steps));
  }
  return Error(reader.child_path("type") + ": unsupported pre-tokenizer type \"" + type + "\"",
               "supported: ByteLevel, Split, Metaspace, Whitespace, WhitespaceSplit, "
               "Punctuation, Digits, BertPreTokenizer, CharDelimiterSplit, Sequence");
}

}  // namespace aae::tokenizer
