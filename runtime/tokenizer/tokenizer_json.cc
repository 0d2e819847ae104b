#include "runtime/tokenizer/tokenizer_json.h"

#include <algorithm>
#include <utility>

namespace aae {
namespace {

using json::ObjectReader;
using json::Value;

constexpr int64_t kMaxTokenId = 0xFFFFFFFFLL;  // HF ids are u32

Result<int64_t> checked_id(const Value& value, const std::string& path) {
  if (!value.is_integer()) {
    return Error(path + ": expected an integer token id, found " +
                 std::string(json::type_name(value.type())));
  }
  const int64_t id = value.as_int64();
  if (id < 0 || id > kMaxTokenId) {
    return Error(path + ": token id " + std::to_string(id) + " is outside 0..4294967295");
  }
  return id;
}

// model.vocab as an object {"token": id}. A repeated id keeps its first token.
Status read_object_vocab(const Value& vocab, const std::string& path, tokenizer::TokenTable& out) {
  size_t bytes = 0;
  for (const auto& member : vocab.as_object()) bytes += member.first.size();
  out.reserve(vocab.as_object().size(), bytes);
  for (const auto& [token, id_value] : vocab.as_object()) {
    AAE_ASSIGN_OR_RETURN(int64_t id, checked_id(id_value, path + "[\"" + token + "\"]"));
    out.insert(token, id);
  }
  return ok_status();
}

// model.vocab as a Unigram array [[piece, score], ...]; the index is the id.
Status read_unigram_vocab(const Value& vocab, const std::string& path,
                          tokenizer::TokenTable& out) {
  const Value::Array& entries = vocab.as_array();
  out.reserve(entries.size(), 0);
  for (size_t i = 0; i < entries.size(); ++i) {
    const Value& entry = entries[i];
    const std::string entry_path = path + "[" + std::to_string(i) + "]";
    if (!entry.is_array() || entry.as_array().size() != 2 || !entry.as_array()[0].is_string() ||
        !entry.as_array()[1].is_number()) {
      return Error(entry_path + ": expected a [piece, score] pair",
                   "Unigram vocabularies are arrays of [string, number]");
    }
    out.insert(entry.as_array()[0].as_string(), static_cast<int64_t>(i));
  }
  return ok_status();
}

Status read_model(const Value& root, tokenizer::TokenTable& out) {
  const Value* model = root.find("model");
  if (model == nullptr) return Error("missing required field \"model\"");
  AAE_ASSIGN_OR_RETURN(ObjectReader reader, ObjectReader::make(*model, "model"));
  AAE_ASSIGN_OR_RETURN(std::string type, reader.get_string_or("type", ""));
  const Value* vocab = reader.find("vocab");
  if (vocab == nullptr) return Error("model: missing required field \"vocab\"");
  const std::string path = reader.child_path("vocab");

  const bool object_model = type == "BPE" || type == "WordPiece" || type == "WordLevel";
  if (!type.empty() && !object_model && type != "Unigram") {
    return Error("model.type: unsupported model type \"" + type + "\"",
                 "supported: BPE, WordPiece, WordLevel, Unigram");
  }
  if (vocab->is_object() && type != "Unigram") return read_object_vocab(*vocab, path, out);
  if (vocab->is_array() && !object_model) return read_unigram_vocab(*vocab, path, out);
  return Error(path + ": unexpected " + std::string(json::type_name(vocab->type())) +
               " for a " + (type.empty() ? "model without a type" : type + " model"),
               "BPE/WordPiece/WordLevel vocabularies are objects, Unigram ones arrays");
}

Status read_added_tokens(const Value& root, std::unordered_map<int64_t, std::string>& out,
                         std::unordered_set<std::string>& special) {
  const Value* list = root.find("added_tokens");
  if (list == nullptr || list->is_null()) return ok_status();
  if (!list->is_array()) {
    return Error("added_tokens: expected an array, found " +
                 std::string(json::type_name(list->type())));
  }
  for (size_t i = 0; i < list->as_array().size(); ++i) {
    AAE_ASSIGN_OR_RETURN(ObjectReader reader, ObjectReader::make(list->as_array()[i],
                                                                 "added_tokens[" +
                                                                     std::to_string(i) + "]"));
    const Value* id_value = reader.find("id");
    if (id_value == nullptr) return Error(reader.path() + ": missing required field \"id\"");
    AAE_ASSIGN_OR_RETURN(int64_t id, checked_id(*id_value, reader.child_path("id")));
    AAE_ASSIGN_OR_RETURN(std::string content, reader.get_string("content"));
    AAE_ASSIGN_OR_RETURN(bool is_special, reader.get_bool_or("special", false));
    if (is_special) special.insert(content);
    out[id] = std::move(content);
  }
  return ok_status();
}

}  // namespace

Result<TokenizerDecoder> TokenizerDecoder::from_json(const json::Value& root) {
  if (!root.is_object()) {
    return Error("tokenizer.json: expected an object at the top level, found " +
                 std::string(json::type_name(root.type())));
  }
  tokenizer::TokenTable vocab;
  AAE_TRY(read_model(root, vocab));
  vocab.freeze();
  return build(root, std::make_shared<const tokenizer::TokenTable>(std::move(vocab)));
}

Result<TokenizerDecoder> TokenizerDecoder::from_json(
    const json::Value& root, std::shared_ptr<const tokenizer::TokenTable> model_vocab) {
  if (!root.is_object()) {
    return Error("tokenizer.json: expected an object at the top level, found " +
                 std::string(json::type_name(root.type())));
  }
  return build(root, std::move(model_vocab));
}

Result<TokenizerDecoder> TokenizerDecoder::build(
    const json::Value& root, std::shared_ptr<const tokenizer::TokenTable> model_vocab) {
  TokenizerDecoder out;
  out.model_tokens_ = std::move(model_vocab);
  AAE_TRY(read_added_tokens(root, out.added_tokens_, out.special_contents_));
  out.vocab_size_ = out.model_tokens_->id_end();
  for (const auto& entry : out.added_tokens_) {
    out.vocab_size_ = std::max(out.vocab_size_, entry.first + 1);
  }
  const Value* decoder = root.find("decoder");
  if (decoder != nullptr && !decoder->is_null()) {
    AAE_ASSIGN_OR_RETURN(tokenizer::Decoder parsed,
                         tokenizer::Decoder::from_json(*decoder, "decoder"));
    out.decoder_ = std::move(parsed);
  }
  return out;
}

Result<TokenizerDecoder> TokenizerDecoder::from_json_text(std::string_view text) {
  AAE_ASSIGN_OR_RETURN(json::Value root, json::parse(text));
  return from_json(root);
}

Result<TokenizerDecoder> TokenizerDecoder::from_file(const std::string& path) {
  AAE_ASSIGN_OR_RETURN(json::Value root, json::parse_file(path));
  Result<TokenizerDecoder> result = from_json(root);
  if (!result.ok()) {
    Error error = std::move(result).error();
    error.context("cannot read tokenizer " + path);
    return error;
  }
  return result;
}

std::optional<std::string_view> TokenizerDecoder::id_to_token(int64_t id) const {
  if (auto it = added_tokens_.find(id); it != added_tokens_.end()) return it->second;
  return model_tokens_->token(id);
}

bool TokenizerDecoder::is_special(int64_t id) const {
  const std::optional<std::string_view> token = id_to_token(id);
  return token && special_contents_.count(std::string(*token)) != 0;
}

Result<std::string> TokenizerDecoder::decode(const std::vector<int64_t>& ids,
                                             bool skip_special_tokens) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int64_t id : ids) {
    const std::optional<std::string_view> token = id_to_token(id);
    if (!token) continue;
    if (skip_special_tokens && special_contents_.count(std::string(*token)) != 0) continue;
    tokens.emplace_back(*token);
  }
  if (decoder_) return decoder_->decode(std::move(tokens));
  std::string joined;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (i != 0) joined.push_back(' ');
    joined += tokens[i];
  }
  return joined;
}

}  // namespace aae
