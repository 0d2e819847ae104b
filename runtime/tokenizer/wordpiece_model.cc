#include "runtime/tokenizer/wordpiece_model.h"

#include <climits>

namespace aae::tokenizer {
namespace {

// Byte length of the UTF-8 sequence starting with `lead` (1 for stray bytes, so that any
// input advances).
size_t utf8_length(unsigned char lead) {
  if (lead < 0xC0) return 1;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  return 4;
}

// Start offsets of the code points of `text`, plus text.size() at the end.
void code_point_starts(std::string_view text, std::vector<size_t>& out) {
  out.clear();
  for (size_t pos = 0; pos < text.size();) {
    out.push_back(pos);
    pos += std::min(utf8_length(static_cast<unsigned char>(text[pos])), text.size() - pos);
  }
  out.push_back(text.size());
}

}  // namespace

Result<WordPieceModel> WordPieceModel::from_parts(TokenTable vocab, WordPieceOptions options) {
  vocab.freeze();
  for (size_t i = 0; i < vocab.size(); ++i) {
    if (vocab.id_at(i) < 0 || vocab.id_at(i) > INT32_MAX) {
      return Error("vocab: token \"" + std::string(vocab.token_at(i)) + "\" has id " +
                   std::to_string(vocab.id_at(i)) + ", expected 0..2147483647");
    }
  }
  WordPieceModel model;
  model.vocab_size_ = static_cast<int32_t>(vocab.id_end());
  model.unk_id_ = static_cast<int32_t>(vocab.find(options.unk_token));
  model.vocab_ = std::make_shared<const TokenTable>(std::move(vocab));
  model.options_ = std::move(options);
  return model;
}

Result<WordPieceModel> WordPieceModel::from_json(const json::Value& model,
                                                 const std::string& path) {
  AAE_ASSIGN_OR_RETURN(json::ObjectReader reader, json::ObjectReader::make(model, path));
  AAE_ASSIGN_OR_RETURN(std::string type, reader.get_string_or("type", "WordPiece"));
  if (type != "WordPiece") {
    return Error(reader.child_path("type") + ": expected \"WordPiece\", found \"" + type + "\"");
  }
  WordPieceOptions options;
  AAE_ASSIGN_OR_RETURN(options.unk_token, reader.get_string_or("unk_token", "[UNK]"));
  AAE_ASSIGN_OR_RETURN(options.continuing_subword_prefix,
                       reader.get_string_or("continuing_subword_prefix", "##"));
  AAE_ASSIGN_OR_RETURN(int64_t max_chars, reader.get_int64_or("max_input_chars_per_word", 100));
  if (max_chars < 0) {
    return Error(reader.child_path("max_input_chars_per_word") + ": expected a non-negative "
                 "integer, found " + std::to_string(max_chars));
  }
  options.max_input_chars_per_word = static_cast<size_t>(max_chars);

  AAE_ASSIGN_OR_RETURN(const json::Value* vocab_value, reader.get_object("vocab"));
  const json::Value::Object& members = vocab_value->as_object();
  TokenTable vocab;
  size_t bytes = 0;
  for (const auto& member : members) bytes += member.first.size();
  vocab.reserve(members.size(), bytes);
  for (const auto& [token, id] : members) {
    if (!id.is_integer() || id.as_int64() < 0 || id.as_int64() > INT32_MAX) {
      return Error(reader.child_path("vocab") + "[\"" + token +
                   "\"]: expected a non-negative integer id below 2^31");
    }
    vocab.insert(token, id.as_int64());
  }
  auto result = from_parts(std::move(vocab), std::move(options));
  if (!result.ok()) return std::move(result).error().context(path + ": invalid WordPiece model");
  return result;
}

std::optional<int32_t> WordPieceModel::token_to_id(std::string_view token) const {
  const int64_t id = vocab_->find(token);
  if (id < 0) return std::nullopt;
  return static_cast<int32_t>(id);
}

void WordPieceModel::encode_piece(std::string_view piece, std::vector<int32_t>& out) const {
  if (piece.empty()) return;
  std::vector<size_t> starts;  // code point starts + end
  code_point_starts(piece, starts);
  const size_t chars = starts.size() - 1;
  auto emit_unk = [&] {
    if (unk_id_ >= 0) out.push_back(unk_id_);
  };
  if (chars > options_.max_input_chars_per_word) {
    emit_unk();
    return;
  }
  const size_t first_new = out.size();
  std::string candidate;
  size_t start = 0;  // index into starts
  while (start < chars) {
    int64_t found = -1;
    size_t end = chars;
    for (; end > start; --end) {
      const std::string_view sub = piece.substr(starts[start], starts[end] - starts[start]);
      if (start == 0) {
        found = vocab_->find(sub);
      } else {
        candidate.assign(options_.continuing_subword_prefix).append(sub);
        found = vocab_->find(candidate);
      }
      if (found >= 0) break;
    }
    if (found < 0) {  // no token at this position: the whole word is unknown
      out.resize(first_new);
      emit_unk();
      return;
    }
    out.push_back(static_cast<int32_t>(found));
    start = end;
  }
}

}  // namespace aae::tokenizer
