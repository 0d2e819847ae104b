#include "runtime/tokenizer/bpe_model.h"

#include <algorithm>
#include <mutex>
#include <queue>
#include <unordered_map>


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

// Spreads a packed id pair over the table (ids are small and sequential).
size_t mix(uint64_t key) {
  key ^= key >> 29;
  key *= 0xBF58476D1CE4E5B9ull;
  key ^= key >> 32;
  return static_cast<size_t>(key);
}

// A vocab object {"token": id} into `out`; a repeated token keeps its first id.
Status read_vocab_object(const json::Value& vocab, const std::string& path, TokenTable& out) {
  const json::Value::Object& members = vocab.as_object();
  size_t bytes = 0;
  for (const auto& member : members) bytes += member.first.size();
  out.reserve(members.size(), bytes);
  for (const auto& [token, id] : members) {
    if (!id.is_integer() || id.as_int64() < 0 || id.as_int64() > INT32_MAX) {
      return Error(path + "[\"" + token + "\"]: expected a non-negative integer id below 2^31");
    }
    out.insert(token, id.as_int64());
  }
  return ok_status();
}
constexpr std::string_view kMetaspace = "\xE2\x96\x81";  // U+2581

}  // namespace

struct BpeModel::Cache {
  std::mutex mutex;
  std::unordered_map<std::string, std::vector<int32_t>> entries;
};

void BpeModel::MergeTable::reserve(size_t merges) {
  size_t capacity = 16;
  while (capacity < merges * 2) capacity *= 2;
  if (capacity <= slots_.size()) return;
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(capacity, Slot{~uint64_t{0}, Merge{0, 0}});
  size_ = 0;
  for (const Slot& slot : old) {
    if (slot.key != ~uint64_t{0}) insert(slot.key, slot.merge);
  }
}

void BpeModel::MergeTable::insert(uint64_t key, Merge merge) {
  if ((size_ + 1) * 2 > slots_.size()) reserve(std::max<size_t>(16, size_ * 2));
  const size_t mask = slots_.size() - 1;
  for (size_t s = mix(key) & mask;; s = (s + 1) & mask) {
    if (slots_[s].key == key) return;  // a repeated pair keeps its first (lower) rank
    if (slots_[s].key == ~uint64_t{0}) {
      slots_[s] = Slot{key, merge};
      ++size_;
      return;
    }
  }
}

const BpeModel::Merge* BpeModel::MergeTable::find(uint64_t key) const {
  if (slots_.empty()) return nullptr;
  const size_t mask = slots_.size() - 1;
  for (size_t s = mix(key) & mask;; s = (s + 1) & mask) {
    if (slots_[s].key == key) return &slots_[s].merge;
    if (slots_[s].key == ~uint64_t{0}) return nullptr;
  }
}

Result<BpeModel> BpeModel::from_parts(
    TokenTable vocab, const std::vector<std::pair<std::string_view, std::string_view>>& merges,
    BpeOptions options) {
  BpeModel model;
  vocab.freeze();
  for (size_t i = 0; i < vocab.size(); ++i) {
    if (vocab.id_at(i) < 0 || vocab.id_at(i) > INT32_MAX) {
      return Error("vocab: token \"" + std::string(vocab.token_at(i)) + "\" has id " +
                   std::to_string(vocab.id_at(i)) + ", expected 0..2147483647");
    }
  }
  model.vocab_size_ = static_cast<int32_t>(vocab.id_end());
  auto table = std::make_shared<const TokenTable>(std::move(vocab));
  const TokenTable& v = *table;
  model.vocab_ = table;
  model.options_ = std::move(options);
  model.merges_.reserve(merges.size());
  std::string joined;
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& [a, b] = merges[rank];
    joined.assign(a).append(b);
    const int64_t ia = v.find(a);
    const int64_t ib = v.find(b);
    const int64_t im = v.find(joined);
    if (ia < 0 || ib < 0 || im < 0) {
      const std::string missing(ia < 0 ? a : ib < 0 ? b : std::string_view(joined));
      return Error("merges[" + std::to_string(rank) + "]: token \"" + missing +
                   "\" of merge (\"" + std::string(a) + "\", \"" + std::string(b) +
                   "\") is not in the vocab",
                   "every merge part and its concatenation must be vocab tokens");
    }
    model.merges_.insert(pair_key(static_cast<int32_t>(ia), static_cast<int32_t>(ib)),
                         Merge{static_cast<int32_t>(rank), static_cast<int32_t>(im)});
  }
  if (model.options_.unk_token) {
    const int64_t id = v.find(*model.options_.unk_token);
    if (id >= 0) model.unk_id_ = static_cast<int32_t>(id);
  }
  for (int b = 0; b < 256; ++b) {
    const std::string name = std::string("<0x") + kHex[b >> 4] + kHex[b & 15] + ">";
    model.byte_ids_[b] = static_cast<int32_t>(v.find(name));
  }
  for (int c = 0; c < 128; ++c) {
    model.ascii_ids_[c] = static_cast<int32_t>(v.find(std::string(1, static_cast<char>(c))));
  }
  // Chunking must not change per-piece rules: no prefix/suffix, no whole-piece lookup, and a
  // chunk's leading '▁' must be a token (so unknowns never fuse across chunks).
  model.split_at_metaspace_ = model.options_.continuing_subword_prefix.empty() &&
                              model.options_.end_of_word_suffix.empty() &&
                              !model.options_.ignore_merges && v.find(kMetaspace) >= 0;
  for (size_t i = 0; i < v.size() && model.split_at_metaspace_; ++i) {
    const std::string_view token = v.token_at(i);
    const size_t first = token.find(kMetaspace);
    if (first == std::string::npos) continue;
    // Allowed: the metaspaces form one leading run ("▁", "▁▁a"); anything else spans a split.
    size_t end_of_run = 0;
    while (token.compare(end_of_run, kMetaspace.size(), kMetaspace) == 0) end_of_run += 3;
    if (first != 0 || token.find(kMetaspace, end_of_run) != std::string::npos) {
      model.split_at_metaspace_ = false;
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
  TokenTable vocab;
  AAE_TRY(read_vocab_object(*vocab_value, reader.child_path("vocab"), vocab));

  // Views into the JSON strings, which outlive from_parts().
  std::vector<std::pair<std::string_view, std::string_view>> merges;
  if (const json::Value* list = reader.find("merges"); list && !list->is_null()) {
    if (!list->is_array()) return Error(reader.child_path("merges") + ": expected an array");
    merges.reserve(list->as_array().size());
    for (size_t i = 0; i < list->as_array().size(); ++i) {
      const json::Value& m = list->as_array()[i];
      if (m.is_string()) {
        const std::string_view s = m.as_string();
        const size_t space = s.find(' ');
        if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos) {
          return Error(reader.child_path("merges") + "[" + std::to_string(i) +
                       "]: expected \"left right\" (one space), found \"" + std::string(s) + "\"");
        }
        merges.emplace_back(s.substr(0, space), s.substr(space + 1));
      } else if (m.is_array() && m.as_array().size() == 2 && m.as_array()[0].is_string() &&
                 m.as_array()[1].is_string()) {
        merges.emplace_back(m.as_array()[0].as_string(), m.as_array()[1].as_string());
      } else {
        return Error(reader.child_path("merges") + "[" + std::to_string(i) +
                     "]: expected a \"left right\" string or a [left, right] pair");
      }
    }
  }
  auto result = from_parts(std::move(vocab), merges, std::move(options));
  if (!result.ok()) return std::move(result).error().context(path + ": invalid BPE model");
  return result;
}

Result<BpeModel> BpeModel::from_vocab_merges(std::string_view vocab_json,
                                             const std::string& vocab_name,
                                             std::string_view merges_txt,
                                             const std::string& merges_name, BpeOptions options) {
  TokenTable vocab;
  {
    auto parsed = json::parse(vocab_json);
    if (!parsed.ok()) return Error(vocab_name + ": " + parsed.error().message());
    if (!parsed->is_object()) return Error(vocab_name + ": expected an object {\"token\": id}");
    AAE_TRY(read_vocab_object(*parsed, vocab_name, vocab));
  }
  std::vector<std::pair<std::string_view, std::string_view>> merges;
  merges.reserve(merges_txt.size() / 12);
  size_t line_no = 0;
  bool first_content_line = true;
  for (size_t start = 0; start < merges_txt.size();) {
    size_t end = merges_txt.find('\n', start);
    if (end == std::string_view::npos) end = merges_txt.size();
    std::string_view line = merges_txt.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    const bool header = first_content_line && line.substr(0, 8) == "#version";
    first_content_line = false;
    if (header) continue;
    const size_t space = line.find(' ');
    if (space == std::string_view::npos || line.find(' ', space + 1) != std::string_view::npos) {
      return Error(merges_name + ": line " + std::to_string(line_no) +
                   ": expected \"left right\" (one space), found \"" + std::string(line) + "\"");
    }
    merges.emplace_back(line.substr(0, space), line.substr(space + 1));
  }
  auto result = from_parts(std::move(vocab), merges, std::move(options));
  if (!result.ok()) {
    return std::move(result).error().context(vocab_name + " + " + merges_name +
                                             ": invalid BPE model");
  }
  return result;
}

std::optional<int32_t> BpeModel::token_to_id(std::string_view token) const {
  const int64_t id = vocab_->find(token);
  if (id < 0) return std::nullopt;
  return static_cast<int32_t>(id);
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
    if (const int64_t id = vocab_->find(piece); id >= 0) {
      out.push_back(static_cast<int32_t>(id));
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
    if (const int64_t id = vocab_->find(scratch); id >= 0) {
      symbols.push_back(static_cast<int32_t>(id));
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
    const Merge* merge = merges_.find(pair_key(symbols[left], symbols[next[left]]));
    if (merge != nullptr) heap.push({merge->rank, left, symbols[next[left]]});
  };
  for (int i = 0; i + 1 < n; ++i) push_pair(i);
  while (!heap.empty()) {
    const Candidate c = heap.top();
    heap.pop();
    const int left = c.left;
    if (!alive[left] || next[left] < 0) continue;
    const int right = next[left];
    if (symbols[right] != c.right_id) continue;
    const Merge* merge = merges_.find(pair_key(symbols[left], symbols[right]));
    if (merge == nullptr || merge->rank != c.rank) continue;
    symbols[left] = merge->new_id;
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
