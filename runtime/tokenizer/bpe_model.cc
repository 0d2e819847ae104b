#include "runtime/tokenizer/bpe_model.h"

#include <mutex>
#include <queue>


namespace aae::tokenizer {
namespace {

constexpr size_t kCacheCapacity = 16384;  // pieces; the cache is cleared when full
constexpr size_t kMaxCachedPieceBytes = 256;

uint64_t pair_key(int32_t a, int32_t b) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
}

// Byte length of the UTF-8 sequence starting with `lead` (1 for stray bytes, so that any
// input advances).
size_t utf8_length(unsigned char lead) {
  if (lead < 0xC0) return 1;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  return 4;
}

const char* kHex = "0123456789ABCDEF";
constexpr std::string_view kMetaspace = "\xE2\x96\x81";  // U+2581

}  // namespace

struct BpeModel::Cache {
  std::mutex mutex;
  std::unordered_map<std::string, std::vector<int32_t>> entries;
};

Result<BpeModel> BpeModel::from_parts(
    std::unordered_map<std::string, int32_t> vocab,
    const std::vector<std::pair<std::string, std::string>>& merges, BpeOptions options) {
  BpeModel model;
  model.vocab_ = std::move(vocab);
  model.options_ = std::move(options);
  for (const auto& [token, id] : model.vocab_) {
    if (id < 0) return Error("vocab: token \"" + token + "\" has a negative id");
    model.vocab_size_ = std::max(model.vocab_size_, id + 1);
  }
  model.merges_.reserve(merges.size());
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& [a, b] = merges[rank];
    auto ia = model.vocab_.find(a);
    auto ib = model.vocab_.find(b);
    auto im = model.vocab_.find(a + b);
    if (ia == model.vocab_.end() || ib == model.vocab_.end() || im == model.vocab_.end()) {
      const std::string missing = ia == model.vocab_.end() ? a
                                  : ib == model.vocab_.end() ? b : a + b;
      return Error("merges[" + std::to_string(rank) + "]: token \"" + missing +
                   "\" of merge (\"" + a + "\", \"" + b + "\") is not in the vocab",
                   "every merge part and its concatenation must be vocab tokens");
    }
    // The first occurrence of a repeated pair keeps its (lower) rank, as in HF.
    model.merges_.emplace(pair_key(ia->second, ib->second),
                          Merge{static_cast<int32_t>(rank), im->second});
  }
  if (model.options_.unk_token) {
    auto it = model.vocab_.find(*model.options_.unk_token);
    if (it != model.vocab_.end()) model.unk_id_ = it->second;
  }
  for (int b = 0; b < 256; ++b) {
    const std::string name = std::string("<0x") + kHex[b >> 4] + kHex[b & 15] + ">";
    auto it = model.vocab_.find(name);
    model.byte_ids_[b] = it == model.vocab_.end() ? -1 : it->second;
  }
  for (int c = 0; c < 128; ++c) {
    auto it = model.vocab_.find(std::string(1, static_cast<char>(c)));
    model.ascii_ids_[c] = it == model.vocab_.end() ? -1 : it->second;
  }
  // Chunking must not change per-piece rules: no prefix/suffix, no whole-piece lookup, and a
  // chunk's leading '▁' must be a token (so unknowns never fuse across chunks).
  model.split_at_metaspace_ = model.options_.continuing_subword_prefix.empty() &&
                              model.options_.end_of_word_suffix.empty() &&
                              !model.options_.ignore_merges &&
                              model.vocab_.count(std::string(kMetaspace)) > 0;
  for (const auto& [token, id] : model.vocab_) {
    if (!model.split_at_metaspace_) break;
    const size_t first = token.find(kMetaspace);
    if (first == std::string::npos) continue;
    // Allowed: the metaspaces form one leading run ("▁", "▁▁a"); anything else spans a split.
    size_t end_of_run = 0;
    while (token.compare(end_of_run, kMetaspace.size(), kMetaspace) == 0) end_of_run += 3;
    if (first != 0 || token.find(kMetaspace, end_of_run) != std::string::npos) {
      model.split_at_metaspace_ = false;
      break;
    }
  }
  model.cache_ = std::make_shared<Cache>();
  return model;
}

Result<BpeModel> BpeModel::from_json(const json::Value& model, const std::string& path) {
  AAE_ASSIGN_OR_RETURN(json::ObjectReader reader, json::ObjectReader::make(model, path));
  AAE_ASSIGN_OR_RETURN(std::string type, reader.get_string_or("type", "BPE"));
  if (type != "BPE") {
    return Error(reader.child_path("type") + ": expected \"BPE\", found \"" + type + "\"");
  }
  if (const json::Value* dropout = reader.find("dropout"); dropout && !dropout->is_null()) {
    return Error(reader.child_path("dropout") + ": BPE dropout is not supported",
                 "set \"dropout\": null; dropout makes encoding random");
  }
  BpeOptions options;
  if (const json::Value* unk = reader.find("unk_token"); unk && !unk->is_null()) {
    AAE_ASSIGN_OR_RETURN(options.unk_token, reader.get_string("unk_token"));
  }
  AAE_ASSIGN_OR_RETURN(options.fuse_unk, reader.get_bool_or("fuse_unk", false));
  AAE_ASSIGN_OR_RETURN(options.byte_fallback, reader.get_bool_or("byte_fallback", false));
  AAE_ASSIGN_OR_RETURN(options.ignore_merges, reader.get_bool_or("ignore_merges", false));
  AAE_ASSIGN_OR_RETURN(options.continuing_subword_prefix,
                       reader.get_string_or("continuing_subword_prefix", ""));
  AAE_ASSIGN_OR_RETURN(options.end_of_word_suffix, reader.get_string_or("end_of_word_suffix", ""));

  AAE_ASSIGN_OR_RETURN(const json::Value* vocab_value, reader.get_object("vocab"));
  std::unordered_map<std::string, int32_t> vocab;
  vocab.reserve(vocab_value->as_object().size());
  for (const auto& [token, id] : vocab_value->as_object()) {
    if (!id.is_integer() || id.as_int64() < 0 || id.as_int64() > INT32_MAX) {
      return Error(reader.child_path("vocab") + "[\"" + token +
                   "\"]: expected a non-negative integer id below 2^31");
    }
    vocab.emplace(token, static_cast<int32_t>(id.as_int64()));
  }

  std::vector<std::pair<std::string, std::string>> merges;
  if (const json::Value* list = reader.find("merges"); list && !list->is_null()) {
    if (!list->is_array()) return Error(reader.child_path("merges") + ": expected an array");
    merges.reserve(list->as_array().size());
    for (size_t i = 0; i < list->as_array().size(); ++i) {
      const json::Value& m = list->as_array()[i];
      const std::string mpath = reader.child_path("merges") + "[" + std::to_string(i) + "]";
      if (m.is_string()) {
        const std::string& s = m.as_string();
        const size_t space = s.find(' ');
        if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos) {
          return Error(mpath + ": expected \"left right\" (one space), found \"" + s + "\"");
        }
        merges.emplace_back(s.substr(0, space), s.substr(space + 1));
      } else if (m.is_array() && m.as_array().size() == 2 && m.as_array()[0].is_string() &&
                 m.as_array()[1].is_string()) {
        merges.emplace_back(m.as_array()[0].as_string(), m.as_array()[1].as_string());
      } else {
        return Error(mpath + ": expected a \"left right\" string or a [left, right] pair");
      }
    }
  }
  auto result = from_parts(std::move(vocab), merges, std::move(options));
  if (!result.ok()) return std::move(result).error().context(path + ": invalid BPE model");
  return result;
}

std::optional<int32_t> BpeModel::token_to_id(std::string_view token) const {
  auto it = vocab_.find(std::string(token));
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

void BpeModel::encode_piece(std::string_view piece, std::vector<int32_t>& out) const {
  if (!split_at_metaspace_ || piece.size() <= kMaxCachedPieceBytes) {
    encode_chunk(piece, out);
    return;
  }
  // Split before every metaspace run that follows another character.
  size_t start = 0;
  for (size_t pos = piece.find(kMetaspace, 1); pos != std::string_view::npos;
       pos = piece.find(kMetaspace, pos + kMetaspace.size())) {
    if (pos >= 3 && piece.substr(pos - 3, 3) == kMetaspace) continue;  // inside a run
    encode_chunk(piece.substr(start, pos - start), out);
    start = pos;
  }
  encode_chunk(piece.substr(start), out);
}

void BpeModel::encode_chunk(std::string_view piece, std::vector<int32_t>& out) const {
  if (piece.empty()) return;
  const bool cacheable = piece.size() <= kMaxCachedPieceBytes;
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_->mutex);
    auto it = cache_->entries.find(std::string(piece));
    if (it != cache_->entries.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<int32_t> ids;
  encode_uncached(piece, ids);
  out.insert(out.end(), ids.begin(), ids.end());
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_->mutex);
    if (cache_->entries.size() >= kCacheCapacity) cache_->entries.clear();
    cache_->entries.emplace(std::string(piece), std::move(ids));
  }
}

void BpeModel::encode_uncached(std::string_view piece, std::vector<int32_t>& out) const {
  if (options_.ignore_merges) {
    if (auto it = vocab_.find(std::string(piece)); it != vocab_.end()) {
      out.push_back(it->second);
      return;
    }
  }
  // Initial symbols: one per code point (or per byte with byte fallback).
  std::vector<int32_t> symbols;
  symbols.reserve(piece.size());
  bool previous_unk = false;
  std::string scratch;
  const bool plain = options_.continuing_subword_prefix.empty() &&
                     options_.end_of_word_suffix.empty();
  for (size_t pos = 0; pos < piece.size();) {
    const unsigned char lead = static_cast<unsigned char>(piece[pos]);
    if (plain && lead < 128 && ascii_ids_[lead] >= 0) {
      symbols.push_back(ascii_ids_[lead]);
      previous_unk = false;
      ++pos;
      continue;
    }
    const size_t len = std::min(utf8_length(static_cast<unsigned char>(piece[pos])),
                                piece.size() - pos);
    const bool first = pos == 0;
    const bool last = pos + len == piece.size();
    scratch.clear();
    if (!first) scratch += options_.continuing_subword_prefix;
    scratch.append(piece.substr(pos, len));
    if (last) scratch += options_.end_of_word_suffix;
    pos += len;
    if (auto it = vocab_.find(scratch); it != vocab_.end()) {
      symbols.push_back(it->second);
      previous_unk = false;
      continue;
    }
    if (options_.byte_fallback) {
      const std::string_view bytes = piece.substr(pos - len, len);
      bool all = true;
      for (char c : bytes) all = all && byte_ids_[static_cast<unsigned char>(c)] >= 0;
      if (all) {
        for (char c : bytes) symbols.push_back(byte_ids_[static_cast<unsigned char>(c)]);
        previous_unk = false;
        continue;
      }
    }
    if (!unk_id_) continue;  // no unk token: HF drops the character
    if (!(options_.fuse_unk && previous_unk)) symbols.push_back(*unk_id_);
    previous_unk = true;
  }

  // Merge loop over a doubly linked list; the heap holds (rank, left position) candidates,
  // popped lowest rank first and, on ties, leftmost first.
  const int n = static_cast<int>(symbols.size());
  std::vector<int> prev(n), next(n);
  std::vector<bool> alive(n, true);
  for (int i = 0; i < n; ++i) {
    prev[i] = i - 1;
    next[i] = i + 1 < n ? i + 1 : -1;
  }
  struct Candidate {
    int32_t rank;
    int left;
    int32_t right_id;  // to detect a stale candidate whose right neighbour changed
    bool operator>(const Candidate& o) const {
      return rank != o.rank ? rank > o.rank : left > o.left;
    }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> heap;
  auto push_pair = [&](int left) {
    if (left < 0 || next[left] < 0) return;
    auto it = merges_.find(pair_key(symbols[left], symbols[next[left]]));
    if (it != merges_.end()) heap.push({it->second.rank, left, symbols[next[left]]});
  };
  for (int i = 0; i + 1 < n; ++i) push_pair(i);
  while (!heap.empty()) {
    const Candidate c = heap.top();
    heap.pop();
    const int left = c.left;
    if (!alive[left] || next[left] < 0) continue;
    const int right = next[left];
    auto it = merges_.find(pair_key(symbols[left], symbols[right]));
    if (symbols[right] != c.right_id || it == merges_.end() || it->second.rank != c.rank) continue;
    symbols[left] = it->second.new_id;
    alive[right] = false;
    next[left] = next[right];
    if (next[right] >= 0) prev[next[right]] = left;
    push_pair(prev[left]);
    push_pair(left);
  }
  for (int i = 0; i < n; ++i) {
    if (alive[i]) out.push_back(symbols[i]);
  }
}

}  // namespace aae::tokenizer
