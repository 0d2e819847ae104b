// OpenAI's frequency and presence penalties in the sampler: the rule on the logits, over the
// generated tokens only, their validation, and determinism with them on.
#include <vector>

#include <gtest/gtest.h>

#include "runtime/engine/sampler.h"

namespace aae {
namespace {

TEST(SamplerPenalties, FrequencyScalesWithTheCountAndPresenceIsFlat) {
  std::vector<float> logits = {1.0f, 1.0f, 1.0f, 1.0f};
  const std::vector<int32_t> generated = {2, 0, 2, 2};
  std::vector<int32_t> scratch;
  ASSERT_TRUE(apply_frequency_presence_penalties(logits, generated, 0.5, 0.25, scratch).ok());
  EXPECT_FLOAT_EQ(logits[0], 1.0f - (1 * 0.5f + 0.25f));
  EXPECT_FLOAT_EQ(logits[1], 1.0f);  // never generated: unchanged
  EXPECT_FLOAT_EQ(logits[2], 1.0f - (3 * 0.5f + 0.25f));
  EXPECT_FLOAT_EQ(logits[3], 1.0f);
}

TEST(SamplerPenalties, NegativePenaltiesEncourageRepeats) {
  std::vector<float> logits = {0.0f, 0.0f};
  const std::vector<int32_t> generated = {1};
  std::vector<int32_t> scratch;
  ASSERT_TRUE(apply_frequency_presence_penalties(logits, generated, -1.0, -0.5, scratch).ok());
  EXPECT_FLOAT_EQ(logits[1], 1.5f);
}

TEST(SamplerPenalties, OutOfVocabularyIdIsAnErrorThatChangesNothing) {
  std::vector<float> logits = {1.0f, 2.0f};
  const std::vector<int32_t> generated = {0, 7};
  std::vector<int32_t> scratch;
  Status s = apply_frequency_presence_penalties(logits, generated, 1.0, 0, scratch);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_FLOAT_EQ(logits[0], 1.0f);
}

TEST(SamplerPenalties, GreedyAvoidsAGeneratedTokenButNotAPromptToken) {
  auto sampler = Sampler::create({.temperature = 0, .frequency_penalty = 2.0});
  ASSERT_TRUE(sampler.ok()) << sampler.error().to_string();
  const std::vector<float> logits = {3.0f, 2.5f, 0.0f};
  const std::vector<int32_t> history = {0, 0, 0};  // in the prompt only: no OpenAI penalty
  auto id = sampler->sample(logits, history, {});
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, 0);
  const std::vector<int32_t> generated = {0};
  id = sampler->sample(logits, history, generated);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, 1);
}

TEST(SamplerPenalties, OutOfRangeValuesAreRejected) {
  for (const double bad : {-2.5, 2.01}) {
    auto a = Sampler::create({.frequency_penalty = bad});
    ASSERT_FALSE(a.ok());
    EXPECT_NE(a.error().message().find("frequency_penalty must be in [-2, 2]"), std::string::npos)
        << a.error().message();
    auto b = Sampler::create({.presence_penalty = bad});
    ASSERT_FALSE(b.ok());
    EXPECT_NE(b.error().message().find("presence_penalty"), std::string::npos);
  }
}

TEST(SamplerPenalties, SameSeedGivesTheSameTokensWithPenaltiesOn) {
  const SamplingParams params{.temperature = 0.9, .frequency_penalty = 0.7,
                              .presence_penalty = 0.3, .seed = 42};
  const std::vector<float> logits = {0.2f, 0.1f, 0.3f, 0.25f, 0.0f};
  std::vector<int32_t> runs[2];
  for (auto& run : runs) {
    auto sampler = Sampler::create(params);
    ASSERT_TRUE(sampler.ok());
    for (int i = 0; i < 40; ++i) {
      auto id = sampler->sample(logits, run, run);
      ASSERT_TRUE(id.ok());
      run.push_back(*id);
    }
  }
  EXPECT_EQ(runs[0], runs[1]);
}

}  // namespace
}  // namespace aae
