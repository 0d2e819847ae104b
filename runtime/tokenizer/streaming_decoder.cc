#include "runtime/tokenizer/streaming_decoder.h"

namespace aae {
namespace {

bool ends_with_replacement(const std::string& text) {
  return text.size() >= 3 && text.compare(text.size() - 3, 3, "\xEF\xBF\xBD") == 0;
}

bool has_byte_fallback_step(const tokenizer::Decoder& decoder) {
  if (decoder.type() == tokenizer::DecoderType::kByteFallback) return true;
  for (const tokenizer::Decoder& child : decoder.children()) {
    if (has_byte_fallback_step(child)) return true;
  }
  return false;
}

}  // namespace

bool StreamingDecoder::has_byte_fallback(const Tokenizer& tokenizer) {
  const tokenizer::Decoder* decoder = tokenizer.decoder().decoder();
  return decoder != nullptr && has_byte_fallback_step(*decoder);
}

bool StreamingDecoder::is_byte_token(int32_t id) const {
  const auto token = tokenizer_->decoder().id_to_token(id);
  return token && token->size() == 6 && token->substr(0, 3) == "<0x" && token->back() == '>';
}

std::string StreamingDecoder::decode_window() const {
  auto text = tokenizer_->decode(window_, skip_special_tokens_);
  return text.ok() ? std::move(text).value() : std::string();
}

std::string StreamingDecoder::push(int32_t id) {
  window_.push_back(id);
  if (byte_fallback_ && is_byte_token(id)) return {};  // the byte run may continue
  std::string text = decode_window();
  if (text.size() <= prefix_text_.size() || ends_with_replacement(text) ||
      text.compare(0, prefix_text_.size(), prefix_text_) != 0) {
    return {};  // nothing stable yet
  }
  std::string delta = text.substr(prefix_text_.size());
  // Keep only the newest emitted ids as context: the window restarts at the old read point.
  window_.erase(window_.begin(), window_.begin() + static_cast<std::ptrdiff_t>(read_));
  read_ = window_.size();
  // The new prefix is the text of the ids now in front of read_.
  prefix_text_ = decode_window();
  return delta;
}

std::string StreamingDecoder::finish() {
  std::string text = decode_window();
  std::string delta;
  if (text.size() > prefix_text_.size() && text.compare(0, prefix_text_.size(), prefix_text_) == 0) {
    delta = text.substr(prefix_text_.size());
  }
  window_.clear();
  read_ = 0;
  prefix_text_.clear();
  return delta;
}

}  // namespace aae
