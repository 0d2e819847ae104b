// Helpers used by model_test.cc (a *_test.cc file so that it only builds into the test binary).
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "convert/model/model_test_util.h"

namespace aae::testing {

std::vector<ExpectedRecord> expand_q4f16_1(const std::vector<ParamPlan>& params) {
  std::vector<ExpectedRecord> out;
  for (const ParamPlan& p : params) {
    if (p.role == TensorRole::kOther) {
      out.push_back({p.name, p.shape, "float16"});
      continue;
    }
    const std::string base = p.name.substr(0, p.name.size() - std::string(".weight").size());
    const int64_t n = p.shape[0];
    const int64_t groups = (p.shape[1] + 31) / 32;
    out.push_back({base + ".q_weight", {n, groups * 4}, "uint32"});
    out.push_back({base + ".q_scale", {n, groups}, "float16"});
  }
  return out;
}

std::vector<ExpectedRecord> read_tensor_cache_records(const std::string& path) {
  std::ifstream in(path);
  const nlohmann::json cache = nlohmann::json::parse(in);
  std::vector<ExpectedRecord> out;
  for (const auto& shard : cache.at("records")) {
    for (const auto& record : shard.at("records")) {
      out.push_back({record.at("name").get<std::string>(),
                     record.at("shape").get<std::vector<int64_t>>(),
                     record.at("dtype").get<std::string>()});
    }
  }
  return out;
}

TEST(ModelTestUtil, ExpandsQuantizedAndPlainParameters) {
  std::vector<ParamPlan> plan = {{"a.weight", {10, 40}, TensorRole::kLinear, {}},
                                 {"b.weight", {7}, TensorRole::kOther, {}}};
  std::vector<ExpectedRecord> expected = {{"a.q_weight", {10, 8}, "uint32"},
                                          {"a.q_scale", {10, 2}, "float16"},
                                          {"b.weight", {7}, "float16"}};
  EXPECT_EQ(expand_q4f16_1(plan), expected);
}

}  // namespace aae::testing
