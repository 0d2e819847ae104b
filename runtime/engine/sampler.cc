#include "runtime/engine/sampler.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace aae {
namespace {

Error invalid(std::string message, std::string hint = {}) {
  return Error(std::move(message), std::move(hint)).with_code(ErrorCode::kInvalidArgument);
}

std::string number(double v) {
  std::string s = std::to_string(v);
  // to_string gives 6 decimals; trim trailing zeros for readable messages ("0.5", not "0.500000").
  if (s.find('.') != std::string::npos) {
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
  }
  return s;
}

// Checks the logits can form a distribution; returns the largest one.
Result<float> checked_max(std::span<const float> logits) {
  if (logits.empty()) return invalid("cannot sample from empty logits");
  float best = -INFINITY;
  for (size_t i = 0; i < logits.size(); ++i) {
    const float v = logits[i];
    if (std::isnan(v) || v == INFINITY) {
      return invalid("logit of token " + std::to_string(i) + " is " +
                         (std::isnan(v) ? "NaN" : "+inf") + "; cannot sample",
                     "the model produced non-finite values: check the weights and the model "
                     "library match");
    }
    best = std::max(best, v);
  }
  if (best == -INFINITY) return invalid("every logit is -inf; no token can be sampled");
  return best;
}

bool more_likely(const TokenProb& a, const TokenProb& b) {
  return a.prob != b.prob ? a.prob > b.prob : a.id < b.id;
}

uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

Status validate_sampling_params(const SamplingParams& p) {
  if (!(p.temperature >= 0) || !std::isfinite(p.temperature))
    return invalid("temperature must be >= 0 (0 = greedy), found " + number(p.temperature));
  if (p.top_k < 0) return invalid("top_k must be >= 0 (0 = off), found " + std::to_string(p.top_k));
  if (!(p.top_p > 0 && p.top_p <= 1))
    return invalid("top_p must be in (0, 1] (1 = off), found " + number(p.top_p));
  if (!(p.repetition_penalty > 0) || !std::isfinite(p.repetition_penalty))
    return invalid("repetition_penalty must be > 0 (1 = off), found " +
                   number(p.repetition_penalty));
  if (!(p.frequency_penalty >= -2 && p.frequency_penalty <= 2))
    return invalid("frequency_penalty must be in [-2, 2] (0 = off), found " +
                   number(p.frequency_penalty));
  if (!(p.presence_penalty >= -2 && p.presence_penalty <= 2))
    return invalid("presence_penalty must be in [-2, 2] (0 = off), found " +
                   number(p.presence_penalty));
  return ok_status();
}

Status apply_repetition_penalty(std::span<float> logits, std::span<const int32_t> history,
                                double penalty) {
  if (penalty == 1.0 || history.empty()) return ok_status();
  std::vector<bool> seen(logits.size(), false);
  for (const int32_t id : history) {
    if (id < 0 || static_cast<size_t>(id) >= logits.size()) {
      return invalid("token id " + std::to_string(id) + " in the history is outside the vocabulary [0, " +
                     std::to_string(logits.size()) + ")");
    }
    seen[static_cast<size_t>(id)] = true;
  }
  for (size_t i = 0; i < logits.size(); ++i) {
    if (!seen[i]) continue;
    const double v = logits[i];
    logits[i] = static_cast<float>(v > 0 ? v / penalty : v * penalty);
  }
  return ok_status();
}

Status apply_frequency_presence_penalties(std::span<float> logits,
                                          std::span<const int32_t> generated,
                                          double frequency_penalty, double presence_penalty,
                                          std::vector<int32_t>& scratch) {
  if ((frequency_penalty == 0 && presence_penalty == 0) || generated.empty()) return ok_status();
  for (const int32_t id : generated) {
    if (id < 0 || static_cast<size_t>(id) >= logits.size()) {
      return invalid("generated token id " + std::to_string(id) +
                     " is outside the vocabulary [0, " + std::to_string(logits.size()) + ")");
    }
  }
  // Sorted, equal ids form runs: one run per distinct id, its length the count.
  scratch.assign(generated.begin(), generated.end());
  std::sort(scratch.begin(), scratch.end());
  for (size_t i = 0; i < scratch.size();) {
    size_t j = i;
    while (j < scratch.size() && scratch[j] == scratch[i]) ++j;
    const double count = static_cast<double>(j - i);
    float& logit = logits[static_cast<size_t>(scratch[i])];
    logit = static_cast<float>(logit - (count * frequency_penalty + presence_penalty));
    i = j;
  }
  return ok_status();
}

Result<int32_t> argmax_token(std::span<const float> logits) {
  AAE_ASSIGN_OR_RETURN(const float best, checked_max(logits));
  for (size_t i = 0; i < logits.size(); ++i)
    if (logits[i] == best) return static_cast<int32_t>(i);
  return invalid("no largest logit found");  // unreachable: best is one of the logits
}

Result<std::vector<TokenProb>> sampling_distribution(std::span<const float> logits,
                                                     const SamplingParams& params) {
  AAE_TRY(validate_sampling_params(params));
  if (params.temperature == 0) return invalid("sampling_distribution needs temperature > 0");
  AAE_ASSIGN_OR_RETURN(const float best, checked_max(logits));

  // Softmax in double, shifted by the maximum so exp never overflows.
  std::vector<TokenProb> tokens;
  tokens.reserve(logits.size());
  double total = 0;
  for (size_t i = 0; i < logits.size(); ++i) {
    const double w = std::exp((static_cast<double>(logits[i]) - best) / params.temperature);
    if (w > 0) {
      tokens.push_back({static_cast<int32_t>(i), w});
      total += w;
    }
  }
  for (auto& t : tokens) t.prob /= total;

  const bool use_top_k = params.top_k > 0 && static_cast<size_t>(params.top_k) < tokens.size();
  if (use_top_k) {
    std::partial_sort(tokens.begin(), tokens.begin() + params.top_k, tokens.end(), more_likely);
    tokens.resize(static_cast<size_t>(params.top_k));
  } else if (params.top_p < 1) {
    std::sort(tokens.begin(), tokens.end(), more_likely);
  }
  // top-p acts on the top-k survivors renormalised, as in MLC/HF (filters chain).
  if (params.top_p < 1) {
    double kept_total = 0;
    for (const auto& t : tokens) kept_total += t.prob;
    const double target = params.top_p * kept_total;
    double mass = 0;
    size_t keep = 0;
    while (keep < tokens.size()) {
      mass += tokens[keep].prob;
      ++keep;
      if (mass >= target) break;
    }
    tokens.resize(std::max<size_t>(keep, 1));
  }
  if (!use_top_k && params.top_p >= 1) std::sort(tokens.begin(), tokens.end(), more_likely);

  double kept = 0;
  for (const auto& t : tokens) kept += t.prob;
  for (auto& t : tokens) t.prob /= kept;
  return tokens;
}

SamplerRng::SamplerRng(uint64_t seed) {
  uint64_t x = seed;
  for (auto& s : s_) s = splitmix64(x);
}

uint64_t SamplerRng::next_u64() {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double SamplerRng::next_unit() {
  return static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
}

Result<Sampler> Sampler::create(const SamplingParams& params) {
  AAE_TRY(validate_sampling_params(params));
  return Sampler(params);
}

Result<int32_t> Sampler::sample(std::span<const float> logits, std::span<const int32_t> history,
                                std::span<const int32_t> generated) {
  std::span<const float> input = logits;
  const bool repetition = params_.repetition_penalty != 1.0 && !history.empty();
  const bool openai_penalties =
      (params_.frequency_penalty != 0 || params_.presence_penalty != 0) && !generated.empty();
  if (repetition || openai_penalties) {
    scratch_.assign(logits.begin(), logits.end());
    if (repetition)
      AAE_TRY(apply_repetition_penalty(scratch_, history, params_.repetition_penalty));
    if (openai_penalties) {
      AAE_TRY(apply_frequency_presence_penalties(scratch_, generated, params_.frequency_penalty,
                                                 params_.presence_penalty, sorted_ids_));
    }
    input = scratch_;
  }
  if (params_.temperature == 0) return argmax_token(input);
  AAE_ASSIGN_OR_RETURN(std::vector<TokenProb> dist, sampling_distribution(input, params_));
  // Draw: the first token whose cumulative probability exceeds u. Rounding can leave the total
  // a hair under 1, so a u beyond it falls to the last kept token.
  const double u = rng_.next_unit();
  double cumulative = 0;
  for (const auto& t : dist) {
    cumulative += t.prob;
    if (u < cumulative) return t.id;
  }
  return dist.back().id;
}

}  // namespace aae
