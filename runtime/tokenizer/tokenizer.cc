#include "runtime/tokenizer/tokenizer.h"

#include <filesystem>

#include "runtime/base/file_util.h"
#include "runtime/tokenizer/utf8.h"

namespace aae {
namespace {

using json::ObjectReader;
using json::Value;

// RobertaProcessing / BertProcessing "cls" / "sep": ["token", id].
Result<int32_t> read_token_pair(const ObjectReader& r, std::string_view key) {
  AAE_ASSIGN_OR_RETURN(const Value* pair, r.get_array(key));
  const auto& items = pair->as_array();
  if (items.size() != 2 || !items[0].is_string() || !items[1].is_integer()) {
    return Error(r.child_path(key) + ": expected [\"token\", id]");
  }
  return static_cast<int32_t>(items[1].as_int64());
}

// TemplateProcessing's "single" template: the ids before and after the sequence "$A".
Status read_template(const ObjectReader& r, std::vector<int32_t>& prefix,
                     std::vector<int32_t>& suffix) {
  AAE_ASSIGN_OR_RETURN(const Value* single, r.get_array("single"));
  AAE_ASSIGN_OR_RETURN(const Value* specials, r.get_object("special_tokens"));
  bool seen_sequence = false;
  for (size_t i = 0; i < single->as_array().size(); ++i) {
    const Value& piece = single->as_array()[i];
    const std::string path = r.child_path("single") + "[" + std::to_string(i) + "]";
    if (piece.find("Sequence") != nullptr) {
      if (seen_sequence) return Error(path + ": the single template has two sequences");
      seen_sequence = true;
      continue;
    }
    const Value* special = piece.find("SpecialToken");
    if (special == nullptr) return Error(path + ": expected {\"SpecialToken\"} or {\"Sequence\"}");
    AAE_ASSIGN_OR_RETURN(ObjectReader sr, ObjectReader::make(*special, path + ".SpecialToken"));
    AAE_ASSIGN_OR_RETURN(std::string name, sr.get_string("id"));
    const Value* entry = specials->find(name);
    if (entry == nullptr) {
      return Error(path + ": special token \"" + name + "\" is not in special_tokens");
    }
    AAE_ASSIGN_OR_RETURN(ObjectReader er,
                         ObjectReader::make(*entry, r.child_path("special_tokens") + "." + name));
    AAE_ASSIGN_OR_RETURN(const Value* ids, er.get_array("ids"));
    for (const Value& id : ids->as_array()) {
      if (!id.is_integer()) return Error(er.child_path("ids") + ": expected integer ids");
      (seen_sequence ? suffix : prefix).push_back(static_cast<int32_t>(id.as_int64()));
    }
  }
  if (!seen_sequence) return Error(r.child_path("single") + ": the template has no sequence");
  return ok_status();
}

std::string join_path(const std::string& dir, const char* name) {
  return (std::filesystem::path(dir) / name).string();
}

}  // namespace

Result<Tokenizer> Tokenizer::from_json_text(std::string_view text) {
  AAE_ASSIGN_OR_RETURN(Value root, json::parse(text));
  return from_json(root);
}

Result<Tokenizer> Tokenizer::from_json(const Value& root) {
  if (!root.is_object()) return Error("tokenizer.json: expected a JSON object");
  const Value* model = root.find("model");
  if (model == nullptr) return Error("missing required field \"model\"");
  const Value* type = model->find("type");
  if (type != nullptr && type->is_string() && type->as_string() == "WordPiece") {
    AAE_ASSIGN_OR_RETURN(tokenizer::WordPieceModel wordpiece,
                         tokenizer::WordPieceModel::from_json(*model, "model"));
    return assemble(root, std::make_shared<const tokenizer::WordPieceModel>(std::move(wordpiece)));
  }
  if (type != nullptr && type->is_string() && type->as_string() != "BPE") {
    return Error("model.type: unsupported model type \"" + type->as_string() + "\" for encoding",
                 "supported: BPE, WordPiece");
  }
  AAE_ASSIGN_OR_RETURN(tokenizer::BpeModel bpe, tokenizer::BpeModel::from_json(*model, "model"));
  return assemble(root, std::make_shared<const tokenizer::BpeModel>(std::move(bpe)));
}

Result<Tokenizer> Tokenizer::assemble(const Value& root,
                                      std::shared_ptr<const tokenizer::Model> model) {
  Tokenizer tok;
  tok.model_ = std::move(model);

  if (const Value* n = root.find("normalizer"); n && !n->is_null()) {
    AAE_ASSIGN_OR_RETURN(tok.normalizer_, tokenizer::Normalizer::from_json(*n, "normalizer"));
  }
  if (const Value* p = root.find("pre_tokenizer"); p && !p->is_null()) {
    AAE_ASSIGN_OR_RETURN(tok.pre_tokenizer_,
                         tokenizer::PreTokenizer::from_json(*p, "pre_tokenizer"));
  }
  AAE_ASSIGN_OR_RETURN(tokenizer::AddedVocabulary added,
                       tokenizer::AddedVocabulary::from_json(
                           root.find("added_tokens"), tok.normalizer_ ? &*tok.normalizer_ : nullptr));
  tok.added_ = std::make_shared<const tokenizer::AddedVocabulary>(std::move(added));

  if (const Value* pp = root.find("post_processor"); pp && !pp->is_null()) {
    std::vector<std::pair<const Value*, std::string>> steps = {{pp, "post_processor"}};
    if (const Value* list = pp->find("processors"); list && list->is_array()) {
      steps.clear();
      for (size_t i = 0; i < list->as_array().size(); ++i) {
        steps.push_back({&list->as_array()[i],
                         "post_processor.processors[" + std::to_string(i) + "]"});
      }
    }
    for (const auto& [value, path] : steps) {
      AAE_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::make(*value, path));
      AAE_ASSIGN_OR_RETURN(std::string type, r.get_string("type"));
      PostStep step;
      if (type == "TemplateProcessing") {
        AAE_TRY(read_template(r, step.prefix, step.suffix));
      } else if (type == "RobertaProcessing" || type == "BertProcessing") {
        AAE_ASSIGN_OR_RETURN(int32_t cls, read_token_pair(r, "cls"));
        AAE_ASSIGN_OR_RETURN(int32_t sep, read_token_pair(r, "sep"));
        step.prefix = {cls};
        step.suffix = {sep};
      } else if (type == "ByteLevel") {
        continue;  // only trims offsets; ids are unchanged
      } else {
        return Error(r.child_path("type") + ": unsupported post-processor \"" + type + "\"",
                     "supported: TemplateProcessing, RobertaProcessing, BertProcessing, "
                     "ByteLevel, Sequence");
      }
      tok.post_.push_back(std::move(step));
    }
  }
  AAE_ASSIGN_OR_RETURN(TokenizerDecoder decoder,
                       TokenizerDecoder::from_json(root, tok.model_->vocab()));
  tok.decoder_ = std::make_shared<const TokenizerDecoder>(std::move(decoder));
  return tok;
}

void Tokenizer::encode_plain(std::string_view normalized_piece, bool first_section,
                             std::vector<int32_t>& out) const {
  if (!pre_tokenizer_) {
    model_->encode_piece(normalized_piece, out);
    return;
  }
  for (const std::string& piece : pre_tokenizer_->pre_tokenize(normalized_piece, first_section)) {
    model_->encode_piece(piece, out);
  }
}

Result<std::vector<int32_t>> Tokenizer::encode(std::string_view text,
                                               bool add_special_tokens) const {
  if (!tokenizer::is_valid_utf8(text)) {
    return Error("tokenizer: input text is not valid UTF-8",
                 "encode() takes UTF-8 text; convert or clean the input first");
  }
  std::vector<int32_t> ids;
  for (const tokenizer::AddedSplit& raw : added_->raw_matcher().split(text)) {
    if (raw.id >= 0) {
      ids.push_back(raw.id);
      continue;
    }
    const std::string normalized =
        normalizer_ ? normalizer_->normalize(raw.text) : std::string(raw.text);
    for (const tokenizer::AddedSplit& piece : added_->normalized_matcher().split(normalized)) {
      if (piece.id >= 0) {
        ids.push_back(piece.id);
      } else {
        encode_plain(piece.text, raw.offset == 0 && piece.offset == 0, ids);
      }
    }
  }
  if (add_special_tokens) {
    for (const PostStep& step : post_) {
      std::vector<int32_t> wrapped = step.prefix;
      wrapped.insert(wrapped.end(), ids.begin(), ids.end());
      wrapped.insert(wrapped.end(), step.suffix.begin(), step.suffix.end());
      ids = std::move(wrapped);
    }
  }
  return ids;
}

Result<std::string> Tokenizer::decode(const std::vector<int32_t>& ids,
                                      bool skip_special_tokens) const {
  return decoder_->decode(std::vector<int64_t>(ids.begin(), ids.end()), skip_special_tokens);
}

int32_t Tokenizer::vocab_size() const {
  return static_cast<int32_t>(std::max<int64_t>(decoder_->vocab_size(), model_->vocab_size()));
}

std::optional<int32_t> Tokenizer::token_to_id(std::string_view token) const {
  for (const tokenizer::AddedToken& added : added_->tokens()) {
    if (added.content == token) return added.id;
  }
  return model_->token_to_id(token);
}

Result<Tokenizer> Tokenizer::from_dir(const std::string& dir) {
  const std::string json_path = join_path(dir, "tokenizer.json");
  if (std::filesystem::exists(json_path)) {
    AAE_ASSIGN_OR_RETURN(std::string text, read_file(json_path));
    auto tok = from_json_text(text);
    if (!tok.ok()) return std::move(tok).error().context(json_path + ": cannot load tokenizer");
    return tok;
  }
  const std::string vocab_path = join_path(dir, "vocab.json");
  const std::string merges_path = join_path(dir, "merges.txt");
  if (!std::filesystem::exists(vocab_path) || !std::filesystem::exists(merges_path)) {
    return Error(dir + ": no tokenizer.json and no vocab.json + merges.txt",
                 "point at a directory holding a Hugging Face tokenizer");
  }
  // The model straight from the files (no JSON tree for 150k merges); the rest through a
  // small equivalent tokenizer.json document without "model".
  AAE_ASSIGN_OR_RETURN(std::string vocab_text, read_file(vocab_path));
  AAE_ASSIGN_OR_RETURN(std::string merges_text, read_file(merges_path));
  auto bpe = tokenizer::BpeModel::from_vocab_merges(vocab_text, vocab_path, merges_text,
                                                     merges_path, tokenizer::BpeOptions{});
  if (!bpe.ok()) return std::move(bpe).error().context(dir + ": cannot load vocab.json + merges.txt");
  // Added tokens: added_tokens.json {content: id}, then tokenizer_config.json's
  // added_tokens_decoder (which carries the flags) overriding entries with the same id.
  std::vector<std::pair<int64_t, Value>> added;  // id -> added-token object
  auto add_token = [&added](int64_t id, Value::Object object) {
    for (auto& [existing_id, value] : added) {
      if (existing_id == id) {
        value = Value::make_object(std::move(object));
        return;
      }
    }
    added.emplace_back(id, Value::make_object(std::move(object)));
  };
  const std::string added_path = join_path(dir, "added_tokens.json");
  if (std::filesystem::exists(added_path)) {
    AAE_ASSIGN_OR_RETURN(Value list, json::parse_file(added_path));
    if (!list.is_object()) return Error(added_path + ": expected an object {content: id}");
    for (const auto& [content, id] : list.as_object()) {
      if (!id.is_integer()) return Error(added_path + ": \"" + content + "\": expected an id");
      add_token(id.as_int64(), {{"id", Value::make_integer(id.as_int64())},
                                {"content", Value::make_string(content)},
                                {"special", Value::make_bool(true)}});
    }
  }
  const std::string config_path = join_path(dir, "tokenizer_config.json");
  if (std::filesystem::exists(config_path)) {
    AAE_ASSIGN_OR_RETURN(Value config, json::parse_file(config_path));
    if (const Value* decoder = config.find("added_tokens_decoder"); decoder && decoder->is_object()) {
      for (const auto& [id_text, entry] : decoder->as_object()) {
        int64_t id = 0;
        try {
          id = std::stoll(id_text);
        } catch (...) {
          return Error(config_path + ": added_tokens_decoder: key \"" + id_text +
                       "\" is not an integer id");
        }
        if (!entry.is_object()) continue;
        Value::Object object = entry.as_object();
        object.emplace_back("id", Value::make_integer(id));
        add_token(id, std::move(object));
      }
    }
  }
  Value::Array added_list;
  for (auto& [id, value] : added) added_list.push_back(std::move(value));

  // Members are added one by one: an initializer list would copy every Value.
  Value::Object members;
  members.emplace_back("added_tokens", Value::make_array(std::move(added_list)));
  members.emplace_back("normalizer", Value());
  Value::Object pre_tokenizer;
  pre_tokenizer.emplace_back("type", Value::make_string("ByteLevel"));
  pre_tokenizer.emplace_back("add_prefix_space", Value::make_bool(false));
  pre_tokenizer.emplace_back("use_regex", Value::make_bool(true));
  members.emplace_back("pre_tokenizer", Value::make_object(std::move(pre_tokenizer)));
  members.emplace_back("post_processor", Value());
  Value::Object decoder;
  decoder.emplace_back("type", Value::make_string("ByteLevel"));
  members.emplace_back("decoder", Value::make_object(std::move(decoder)));
  const Value root = Value::make_object(std::move(members));
  auto tok = assemble(root, std::make_shared<const tokenizer::BpeModel>(std::move(bpe).value()));
  if (!tok.ok()) return std::move(tok).error().context(dir + ": cannot load vocab.json + merges.txt");
  return tok;
}

}  // namespace aae
