#include "runtime/tokenizer/token_table.h"

#include <algorithm>
#include <functional>

namespace aae::tokenizer {
namespace {

uint32_t tag_of(std::string_view token) {
  const uint64_t h = std::hash<std::string_view>{}(token);
  return static_cast<uint32_t>(h ^ (h >> 32)) | 0x80000000u;
}

}  // namespace

void TokenTable::reserve(size_t expected_tokens, size_t expected_bytes) {
  if (expected_bytes > arena_.capacity()) arena_.reserve(expected_bytes);
  entries_.reserve(expected_tokens);
  size_t capacity = 16;
  while (capacity < expected_tokens * 2) capacity *= 2;
  if (capacity <= slots_.size()) return;
  // Rehash the indexed entries (not the id-only duplicates, which have no slot).
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(capacity, Slot{0, 0});
  for (const Slot& slot : old) {
    if (slot.tag == 0) continue;
    size_t s = slot.tag & (capacity - 1);
    while (slots_[s].tag != 0) s = (s + 1) & (capacity - 1);
    slots_[s] = slot;
  }
}

void TokenTable::grow_index() { reserve(std::max<size_t>(16, entries_.size() * 2), 0); }

bool TokenTable::insert(std::string_view token, int64_t id) {
  if ((entries_.size() + 1) * 2 > slots_.size()) grow_index();
  const uint32_t tag = tag_of(token);
  const size_t mask = slots_.size() - 1;
  size_t s = tag & mask;
  for (; slots_[s].tag != 0; s = (s + 1) & mask) {
    if (slots_[s].tag == tag && token_at(slots_[s].entry) == token) {
      const Entry& existing = entries_[slots_[s].entry];
      entries_.push_back(Entry{existing.offset, existing.length, id});  // not indexed
      return false;
    }
  }
  slots_[s] = Slot{tag, static_cast<uint32_t>(entries_.size())};
  entries_.push_back(Entry{static_cast<uint32_t>(arena_.size()),
                           static_cast<uint32_t>(token.size()), id});
  arena_.append(token);
  return true;
}

void TokenTable::freeze() {
  id_end_ = 0;
  for (const Entry& e : entries_) id_end_ = std::max(id_end_, e.id + 1);
  dense_ids_.clear();
  sparse_ids_.clear();
  // Dense when it costs at most ~4 slots per token (ids of real vocabularies are 0..n-1).
  if (id_end_ <= static_cast<int64_t>(entries_.size()) * 4 + 1024) {
    dense_ids_.assign(static_cast<size_t>(id_end_), 0);
    for (uint32_t i = 0; i < entries_.size(); ++i) {
      uint32_t& slot = dense_ids_[static_cast<size_t>(entries_[i].id)];
      if (slot == 0) slot = i + 1;  // the first token of a repeated id wins
    }
    return;
  }
  sparse_ids_.reserve(entries_.size());
  for (uint32_t i = 0; i < entries_.size(); ++i) sparse_ids_.emplace_back(entries_[i].id, i + 1);
  // Stable: among equal ids the first inserted token comes first.
  std::stable_sort(sparse_ids_.begin(), sparse_ids_.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
}

int64_t TokenTable::find(std::string_view token) const {
  if (slots_.empty()) return -1;
  const uint32_t tag = tag_of(token);
  const size_t mask = slots_.size() - 1;
  for (size_t s = tag & mask; slots_[s].tag != 0; s = (s + 1) & mask) {
    if (slots_[s].tag == tag && token_at(slots_[s].entry) == token) {
      return entries_[slots_[s].entry].id;
    }
  }
  return -1;
}

std::optional<std::string_view> TokenTable::token(int64_t id) const {
  if (id < 0 || id >= id_end_) return std::nullopt;
  if (!dense_ids_.empty() || sparse_ids_.empty()) {
    if (static_cast<size_t>(id) >= dense_ids_.size()) return std::nullopt;
    const uint32_t entry = dense_ids_[static_cast<size_t>(id)];
    if (entry == 0) return std::nullopt;
    return token_at(entry - 1);
  }
  auto it = std::lower_bound(sparse_ids_.begin(), sparse_ids_.end(), id,
                             [](const auto& pair, int64_t value) { return pair.first < value; });
  if (it == sparse_ids_.end() || it->first != id) return std::nullopt;
  return token_at(it->second - 1);
}

}  // namespace aae::tokenizer
