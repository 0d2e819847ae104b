#include "convert/source/gguf_tokenizer.h"
#include "convert/source/gguf_tokenizer_bert.h"

#include <algorithm>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

namespace aae {
namespace {

using Json = nlohmann::ordered_json;

const char* const kSpmSpace = "\xE2\x96\x81";  // "▁" U+2581, SentencePiece's space

// The vocabulary part shared by both tokenizer models.
struct GgufVocab {
  std::vector<std::string> tokens;
  std::vector<int64_t> types;  // same length as tokens
};

Result<GgufVocab> read_vocab(const GgufFile& gguf) {
  GgufVocab vocab;
  AAE_ASSIGN_OR_RETURN(vocab.tokens, gguf.get_string_array("tokenizer.ggml.tokens"));
  if (vocab.tokens.empty()) {
    return Error(gguf.path().string() + ": tokenizer.ggml.tokens is empty");
  }
  if (gguf.find("tokenizer.ggml.token_type") != nullptr) {
    AAE_ASSIGN_OR_RETURN(vocab.types, gguf.get_int_array("tokenizer.ggml.token_type"));
    if (vocab.types.size() != vocab.tokens.size()) {
      return Error(fmt::format("{}: tokenizer.ggml.token_type has {} entries, expected {} (one "
                               "per token)",
                               gguf.path().string(), vocab.types.size(), vocab.tokens.size()));
    }
  } else {
    vocab.types.assign(vocab.tokens.size(), static_cast<int64_t>(GgufTokenType::kNormal));
  }
  return vocab;
}

Result<bool> optional_bool(const GgufFile& gguf, std::string_view key, bool fallback) {
  if (gguf.find(key) == nullptr) return fallback;
  return gguf.get_bool(key);
}

// A token id from metadata; nullopt when absent or outside the vocabulary (GGUF writers use
// e.g. 4294967295 for "no such token").
Result<std::optional<int64_t>> optional_token_id(const GgufFile& gguf, std::string_view key,
                                                 size_t vocab_size) {
  if (gguf.find(key) == nullptr) return std::optional<int64_t>();
  AAE_ASSIGN_OR_RETURN(int64_t id, gguf.get_int(key));
  if (id < 0 || static_cast<uint64_t>(id) >= vocab_size) return std::optional<int64_t>();
  return std::optional<int64_t>(id);
}

// {"token": id} in id order; a repeated token keeps its first id. Entries go straight into
// the ordered_map's vector: its own insert searches linearly, quadratic for 150k tokens.
Json vocab_json(const std::vector<std::string>& tokens) {
  Json vocab = Json::object();
  auto& entries = vocab.get_ref<Json::object_t&>();
  entries.reserve(tokens.size());
  std::unordered_set<std::string_view> seen;
  seen.reserve(tokens.size());
  for (size_t id = 0; id < tokens.size(); ++id) {
    if (seen.insert(tokens[id]).second) entries.emplace_back(tokens[id], Json(id));
  }
  return vocab;
}

Json added_tokens_json(const GgufVocab& vocab) {
  Json list = Json::array();
  for (size_t id = 0; id < vocab.tokens.size(); ++id) {
    const auto type = static_cast<GgufTokenType>(vocab.types[id]);
    const bool special = type == GgufTokenType::kUnknown || type == GgufTokenType::kControl;
    if (!special && type != GgufTokenType::kUserDefined) continue;
    list.push_back(Json{{"id", id},
                        {"content", vocab.tokens[id]},
                        {"single_word", false},
                        {"lstrip", false},
                        {"rstrip", false},
                        {"normalized", false},
                        {"special", special}});
  }
  return list;
}

Json merges_json(const std::vector<std::pair<std::string, std::string>>& merges) {
  const bool needs_pairs = std::any_of(merges.begin(), merges.end(), [](const auto& m) {
    return m.first.find(' ') != std::string::npos || m.second.find(' ') != std::string::npos;
  });
  Json list = Json::array();
  for (const auto& [left, right] : merges) {
    if (needs_pairs) {
      list.push_back(Json::array({left, right}));
    } else {
      list.push_back(left + " " + right);
    }
  }
  return list;
}

// TemplateProcessing that surrounds each sequence with BOS and/or EOS; null when neither.
Json template_processing(const std::vector<std::string>& tokens, std::optional<int64_t> bos,
                         std::optional<int64_t> eos) {
  if (!bos && !eos) return nullptr;
  Json special_tokens = Json::object();
  for (const std::optional<int64_t>& id : {bos, eos}) {
    if (!id) continue;
    const std::string& content = tokens[*id];
    special_tokens[content] =
        Json{{"id", content}, {"ids", Json::array({*id})}, {"tokens", Json::array({content})}};
  }
  // single: [BOS] $A [EOS]; pair: [BOS] $A [EOS] [BOS] $B [EOS] with type_id 1 on the B half.
  auto append = [&](Json& out, const char* sequence_id, int type_id) {
    if (bos) out.push_back({{"SpecialToken", {{"id", tokens[*bos]}, {"type_id", type_id}}}});
    out.push_back({{"Sequence", {{"id", sequence_id}, {"type_id", type_id}}}});
    if (eos) out.push_back({{"SpecialToken", {{"id", tokens[*eos]}, {"type_id", type_id}}}});
  };
  Json single = Json::array();
  append(single, "A", 0);
  Json pair = single;
  append(pair, "B", 1);
  return Json{{"type", "TemplateProcessing"},
              {"single", single},
              {"pair", pair},
              {"special_tokens", special_tokens}};
}

Result<Json> spm_tokenizer_json(const GgufFile& gguf) {
  AAE_ASSIGN_OR_RETURN(GgufVocab vocab, read_vocab(gguf));
  AAE_ASSIGN_OR_RETURN(std::vector<double> scores, gguf.get_float_array("tokenizer.ggml.scores"));
  if (scores.size() != vocab.tokens.size()) {
    return Error(fmt::format("{}: tokenizer.ggml.scores has {} entries, expected {} (one per "
                             "token)",
                             gguf.path().string(), scores.size(), vocab.tokens.size()));
  }
  const size_t n = vocab.tokens.size();
  AAE_ASSIGN_OR_RETURN(std::optional<int64_t> bos,
                       optional_token_id(gguf, "tokenizer.ggml.bos_token_id", n));
  AAE_ASSIGN_OR_RETURN(std::optional<int64_t> eos,
                       optional_token_id(gguf, "tokenizer.ggml.eos_token_id", n));
  AAE_ASSIGN_OR_RETURN(std::optional<int64_t> unk,
                       optional_token_id(gguf, "tokenizer.ggml.unknown_token_id", n));
  AAE_ASSIGN_OR_RETURN(bool add_bos, optional_bool(gguf, "tokenizer.ggml.add_bos_token", true));
  AAE_ASSIGN_OR_RETURN(bool add_eos, optional_bool(gguf, "tokenizer.ggml.add_eos_token", false));
  AAE_ASSIGN_OR_RETURN(bool space_prefix,
                       optional_bool(gguf, "tokenizer.ggml.add_space_prefix", true));
  if (!unk) {
    for (size_t id = 0; id < n && !unk; ++id) {
      if (vocab.types[id] == static_cast<int64_t>(GgufTokenType::kUnknown)) unk = id;
    }
  }

  const Json replace_space = {
      {"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", kSpmSpace}};
  Json normalizers = Json::array();
  if (space_prefix) normalizers.push_back({{"type", "Prepend"}, {"prepend", kSpmSpace}});
  normalizers.push_back(replace_space);

  Json decoders = Json::array({
      Json{{"type", "Replace"}, {"pattern", {{"String", kSpmSpace}}}, {"content", " "}},
      Json{{"type", "ByteFallback"}},
      Json{{"type", "Fuse"}},
  });
  if (space_prefix) {
    decoders.push_back({{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}});
  }

  Json model = {
      {"type", "BPE"},
      {"dropout", nullptr},
      {"unk_token", unk ? Json(vocab.tokens[*unk]) : Json(nullptr)},
      {"continuing_subword_prefix", nullptr},
      {"end_of_word_suffix", nullptr},
      {"fuse_unk", true},
      {"byte_fallback", true},
      {"ignore_merges", false},
      {"vocab", vocab_json(vocab.tokens)},
      {"merges", merges_json(derive_spm_merges(vocab.tokens, scores, vocab.types))},
  };
  return Json{
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", added_tokens_json(vocab)},
      {"normalizer", {{"type", "Sequence"}, {"normalizers", normalizers}}},
      {"pre_tokenizer", nullptr},
      {"post_processor",
       template_processing(vocab.tokens, add_bos ? bos : std::nullopt,
                           add_eos ? eos : std::nullopt)},
      {"decoder", {{"type", "Sequence"}, {"decoders", decoders}}},
      {"model", model},
  };
}

// Regexes of the pre-tokenizers llama.cpp names in tokenizer.ggml.pre (Hugging Face syntax).
constexpr const char* kLlama3Regex =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+"
    "[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
constexpr const char* kQwen2Regex =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+"
    "[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

Json byte_level(bool use_regex) {
  return {{"type", "ByteLevel"},
          {"add_prefix_space", false},
          {"trim_offsets", true},
          {"use_regex", use_regex}};
}

Json split_then_byte_level(const char* regex) {
  return {{"type", "Sequence"},
          {"pretokenizers",
           {Json{{"type", "Split"},
                 {"pattern", {{"Regex", regex}}},
                 {"behavior", "Isolated"},
                 {"invert", false}},
            byte_level(false)}}};
}

bool is_one_of(std::string_view name, std::initializer_list<std::string_view> names) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// The HF pre_tokenizer for a llama.cpp pre-tokenizer name:
//   GPT-2 regex (ByteLevel's own): gpt-2, mpt, olmo, jais, default and any unknown name;
//   digits split one by one, then the GPT-2 regex: starcoder, refact, command-r, smollm,
//     codeshell, exaone, minerva-7b;
//   Llama 3 regex: llama3, llama-v3, llama-bpe, falcon3, dbrx, smaug-bpe;
//   Qwen2 regex: qwen2, deepseek-r1-qwen, stablelm2, megrez.
Json gpt2_pre_tokenizer(std::string_view pre) {
  if (is_one_of(pre, {"starcoder", "refact", "command-r", "smollm", "codeshell", "exaone",
                      "minerva-7b"})) {
    return {{"type", "Sequence"},
            {"pretokenizers",
             {Json{{"type", "Digits"}, {"individual_digits", true}}, byte_level(true)}}};
  }
  if (is_one_of(pre, {"llama3", "llama-v3", "llama-bpe", "falcon3", "dbrx", "smaug-bpe"})) {
    return split_then_byte_level(kLlama3Regex);
  }
  if (is_one_of(pre, {"qwen2", "deepseek-r1-qwen", "stablelm2", "megrez"})) {
    return split_then_byte_level(kQwen2Regex);
  }
  return byte_level(true);
}

Result<Json> gpt2_tokenizer_json(const GgufFile& gguf) {
  AAE_ASSIGN_OR_RETURN(GgufVocab vocab, read_vocab(gguf));
  AAE_ASSIGN_OR_RETURN(std::vector<std::string> merge_lines,
                       gguf.get_string_array("tokenizer.ggml.merges"));
  std::vector<std::pair<std::string, std::string>> merges;
  merges.reserve(merge_lines.size());
  for (size_t i = 0; i < merge_lines.size(); ++i) {
    const std::string& line = merge_lines[i];
    const size_t space = line.find(' ', 1);  // a part never starts with a space byte here
    if (space == std::string::npos || space + 1 >= line.size()) {
      return Error(fmt::format("{}: tokenizer.ggml.merges[{}] is \"{}\", expected \"left right\"",
                               gguf.path().string(), i, line));
    }
    merges.emplace_back(line.substr(0, space), line.substr(space + 1));
  }
  std::string pre = "default";
  if (gguf.find("tokenizer.ggml.pre") != nullptr) {
    AAE_ASSIGN_OR_RETURN(pre, gguf.get_string("tokenizer.ggml.pre"));
  }
  const size_t n = vocab.tokens.size();
  AAE_ASSIGN_OR_RETURN(std::optional<int64_t> bos,
                       optional_token_id(gguf, "tokenizer.ggml.bos_token_id", n));
  AAE_ASSIGN_OR_RETURN(std::optional<int64_t> eos,
                       optional_token_id(gguf, "tokenizer.ggml.eos_token_id", n));
  AAE_ASSIGN_OR_RETURN(bool add_bos, optional_bool(gguf, "tokenizer.ggml.add_bos_token", false));
  AAE_ASSIGN_OR_RETURN(bool add_eos, optional_bool(gguf, "tokenizer.ggml.add_eos_token", false));

  Json post = template_processing(vocab.tokens, add_bos ? bos : std::nullopt,
                                  add_eos ? eos : std::nullopt);
  if (post.is_null()) {
    post = {{"type", "ByteLevel"},
            {"add_prefix_space", true},
            {"trim_offsets", false},
            {"use_regex", true}};
  }
  // llama.cpp emits a whole pre-tokenized word that is itself a token for Llama 3 vocabularies
  // (HF's ignore_merges) instead of running merges on it.
  const bool ignore_merges = is_one_of(pre, {"llama3", "llama-v3", "llama-bpe", "falcon3"});
  Json model = {
      {"type", "BPE"},
      {"dropout", nullptr},
      {"unk_token", nullptr},
      {"continuing_subword_prefix", ""},
      {"end_of_word_suffix", ""},
      {"fuse_unk", false},
      {"byte_fallback", false},
      {"ignore_merges", ignore_merges},
      {"vocab", vocab_json(vocab.tokens)},
      {"merges", merges_json(merges)},
  };
  return Json{
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", added_tokens_json(vocab)},
      {"normalizer", nullptr},
      {"pre_tokenizer", gpt2_pre_tokenizer(pre)},
      {"post_processor", post},
      {"decoder",
       {{"type", "ByteLevel"},
        {"add_prefix_space", true},
        {"trim_offsets", true},
        {"use_regex", true}}},
      {"model", model},
  };
}

bool is_utf8_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

std::vector<std::pair<std::string, std::string>> derive_spm_merges(
    const std::vector<std::string>& tokens, const std::vector<double>& scores,
    const std::vector<int64_t>& types) {
  std::unordered_map<std::string_view, int64_t> ids;
  ids.reserve(tokens.size());
  for (size_t id = 0; id < tokens.size(); ++id) ids.emplace(tokens[id], id);

  struct Candidate {
    double score;
    int64_t result, left, right;  // token ids
    size_t split;                 // byte offset of the split in tokens[result]
  };
  std::vector<Candidate> candidates;
  for (size_t id = 0; id < tokens.size(); ++id) {
    if (!types.empty() && types[id] != static_cast<int64_t>(GgufTokenType::kNormal)) continue;
    const std::string_view token = tokens[id];
    // Every code point boundary strictly inside the token (none when it has one code point).
    for (size_t split = 1; split < token.size(); ++split) {
      if (is_utf8_continuation(token[split])) continue;
      const auto left = ids.find(token.substr(0, split));
      if (left == ids.end()) continue;
      const auto right = ids.find(token.substr(split));
      if (right == ids.end()) continue;
      candidates.push_back({scores[id], static_cast<int64_t>(id), left->second, right->second,
                            split});
    }
  }
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.result != b.result) return a.result < b.result;
    if (a.left != b.left) return a.left < b.left;
    return a.right < b.right;
  });
  std::vector<std::pair<std::string, std::string>> merges;
  merges.reserve(candidates.size());
  for (const Candidate& c : candidates) {
    const std::string& token = tokens[c.result];
    merges.emplace_back(token.substr(0, c.split), token.substr(c.split));
  }
  return merges;
}

Result<nlohmann::ordered_json> gguf_tokenizer_json(const GgufFile& gguf) {
  AAE_ASSIGN_OR_RETURN(std::string model, gguf.get_string("tokenizer.ggml.model"));
  if (model != "llama" && model != "gpt2" && model != "bert") {
    return Error(fmt::format("{}: unsupported tokenizer.ggml.model \"{}\"", gguf.path().string(),
                             model),
                 "supported tokenizer models: llama (SentencePiece BPE), gpt2 (byte-level BPE), "
                 "bert (WordPiece)");
  }
  Result<Json> out = model == "llama"  ? spm_tokenizer_json(gguf)
                     : model == "gpt2" ? gpt2_tokenizer_json(gguf)
                                       : bert_tokenizer_json(gguf);  // gguf_tokenizer_bert.h
  if (!out.ok()) {
    Error error = std::move(out).error();
    error.context("cannot build tokenizer.json from " + gguf.path().string());
    return error;
  }
  return out;
}

}  // namespace aae
