// Picks the next token from a model's logits: repetition penalty -> frequency/presence
// penalties -> temperature -> softmax -> top-k -> top-p -> renormalise -> draw. Deterministic
// across platforms and standard libraries: the random numbers come from our own generator
// (xoshiro256**, seeded through splitmix64) and are turned into doubles by their bits, never
// through std::*_distribution, whose output is implementation-defined. Ties (equal probabilities or logits) are broken by the lower token id.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "runtime/base/status.h"

namespace aae {

struct SamplingParams {
  double temperature = 1.0;         // 0: greedy (argmax); must be >= 0
  int32_t top_k = 0;                // keep the k most likely tokens; 0: off
  double top_p = 1.0;               // nucleus mass in (0, 1]; 1: off
  double repetition_penalty = 1.0;  // > 0; 1: off (MLC/HF rule, see apply_repetition_penalty)
  // OpenAI's penalties over the generated tokens only, in [-2, 2]; 0: off (see
  // apply_frequency_presence_penalties).
  double frequency_penalty = 0.0;
  double presence_penalty = 0.0;
  uint64_t seed = 0;
};

// An argument error (kInvalidArgument) naming the first bad field, expected vs found.
Status validate_sampling_params(const SamplingParams& params);

// For every distinct id in `history`: a positive logit is divided by `penalty`, a negative one
// multiplied by it (so a penalty > 1 always makes a seen token less likely). Ids outside
// [0, logits.size()) are an argument error; logits are then unchanged.
Status apply_repetition_penalty(std::span<float> logits, std::span<const int32_t> history,
                                double penalty);

// OpenAI's rule: for every id generated c > 0 times, logit -= c * frequency_penalty +
// presence_penalty. Ids outside [0, logits.size()) are an argument error; logits are then
// unchanged. `scratch` is reused storage (sorted copy of `generated`).
Status apply_frequency_presence_penalties(std::span<float> logits,
                                          std::span<const int32_t> generated,
                                          double frequency_penalty, double presence_penalty,
                                          std::vector<int32_t>& scratch);

// A token with its probability in the final (filtered, renormalised) distribution.
struct TokenProb {
  int32_t id;
  double prob;
};

// The distribution the sampler draws from for already-penalised `logits` with temperature > 0:
// softmax(logits / temperature), then top-k, then top-p (the smallest prefix of the tokens
// sorted by probability, descending, whose mass is >= top_p; at least one token), renormalised
// to sum 1. Sorted by probability descending, then id ascending; tokens with probability 0 are
// left out. Errors: a NaN or +inf logit, or every logit -inf (kInvalidArgument).
Result<std::vector<TokenProb>> sampling_distribution(std::span<const float> logits,
                                                     const SamplingParams& params);

// The index of the largest logit, the lowest index on ties. Errors as above.
Result<int32_t> argmax_token(std::span<const float> logits);

// xoshiro256** (Blackman & Vigna), state filled from the seed by splitmix64: the same seed
// gives the same sequence on every platform.
class SamplerRng {
 public:
  explicit SamplerRng(uint64_t seed);
  uint64_t next_u64();
  // Uniform in [0, 1): the top 53 bits of next_u64() times 2^-53.
  double next_unit();

 private:
  uint64_t s_[4];
};

class Sampler {
 public:
  // Validates the params (validate_sampling_params).
  static Result<Sampler> create(const SamplingParams& params);

  // The next token for `logits` (vocab_size floats, not modified); `history` holds the ids of
  // the sequence so far (prompt + generated), used by the repetition penalty only;
  // `generated` holds the ids generated so far, used by the frequency/presence penalties only.
  Result<int32_t> sample(std::span<const float> logits, std::span<const int32_t> history,
                         std::span<const int32_t> generated = {});

  const SamplingParams& params() const { return params_; }

 private:
  explicit Sampler(const SamplingParams& params) : params_(params), rng_(params.seed) {}
  SamplingParams params_;
  SamplerRng rng_;
  std::vector<float> scratch_;        // penalised copy of the logits, reused across calls
  std::vector<int32_t> sorted_ids_;   // scratch for the frequency/presence penalties
};

}  // namespace aae
