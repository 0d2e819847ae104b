// End to end: the example-model maker's tiny models, converted to every quantization by the real
// sphere_aae binary, verified by `inspect --verify`, and read back through the runtime's reader:
// every dequantized weight lies within the quantization error of the original.
#include <cmath>
#include <filesystem>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "convert/model/model.h"
#include "convert/source/safetensors.h"
#include "runtime/base/half.h"
#include "runtime/format/chat_config.h"
#include "runtime/format/dequantize.h"
#include "runtime/format/quantization.h"
#include "runtime/format/weights.h"
#include "tests/support/test_support.h"

namespace aae {
namespace {

using testing::run_command;
using testing::shell_quote;
namespace fs = std::filesystem;

std::string cli() { return AAE_CLI_PATH; }
std::string maker() { return AAE_MAKE_EXAMPLE_PATH; }

// One tiny model per architecture, made once for the whole suite.
const fs::path& example_model(const std::string& arch) {
  static testing::ScratchDir models;  // removed at exit
  static std::map<std::string, fs::path> made;
  auto it = made.find(arch);
  if (it != made.end()) return it->second;
  const fs::path dir = models.path() / ("hf-" + arch);
  const auto result = run_command(shell_quote(maker()) + " --arch " + arch +
                                  " --preset tiny -o " + shell_quote(dir.string()));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  return made[arch] = dir;
}

float to_model_dtype(float x, DType dtype) {
  if (dtype == DType::kFloat16) return round_to_half(x);
  if (dtype == DType::kBFloat16) return bfloat16_to_float(float_to_bfloat16(x));
  return x;
}

// Concatenates the HF source tensors of one parameter along axis 0; a gemma norm (add_one)
// becomes 1 + w rounded in the source dtype (mlc-model-params.md §3.2); a gpt_neox
// query_key_value has its per-head [q, k, v] rows regrouped to all q, all k, all v.
std::vector<float> read_sources(const TensorSource& source, const ParamPlan& plan) {
  std::vector<float> values;
  for (const auto& name : plan.sources) {
    auto part = source.read_f32(name);
    EXPECT_TRUE(part.ok()) << part.error().to_string();
    if (!part.ok()) continue;
    if (plan.add_one)
      for (float& v : *part) v = to_model_dtype(v + 1.0f, source.find(name)->dtype);
    values.insert(values.end(), part->begin(), part->end());
  }
  if (plan.deinterleave_qkv_heads > 0 && !values.empty()) {
    // gpt_neox: Hugging Face row (head, part, r) is stored at MLC row (part, head, r).
    const int64_t heads = plan.deinterleave_qkv_heads, rows = plan.shape[0];
    const int64_t head_dim = rows / (3 * heads);
    const int64_t cols = static_cast<int64_t>(values.size()) / rows;
    std::vector<float> mlc(values.size());
    for (int64_t head = 0; head < heads; ++head)
      for (int64_t part = 0; part < 3; ++part)
        for (int64_t r = 0; r < head_dim; ++r)
          for (int64_t c = 0; c < cols; ++c)
            mlc[((part * heads + head) * head_dim + r) * cols + c] =
                values[((head * 3 + part) * head_dim + r) * cols + c];
    values = std::move(mlc);
  }
  return values;
}

// Checks one converted parameter against its source values. Quantized weights: each element is
// within half a quantization step (max|w| of its group / max_int / 2) plus the fp16 rounding of
// the product. Unquantized: exactly the source rounded to the model dtype (or to the
// parameter's stored dtype: gpt_neox's MLP biases stay float32).
void expect_within_quantization_error(const QuantizationSpec& spec, const ModelWeights& weights,
                                      const ParamPlan& plan, const std::vector<float>& source) {
  const bool quantized = quantizes_role(spec, plan.role);
  if (!quantized) {
    auto stored = weights.read_f32(plan.name);
    ASSERT_TRUE(stored.ok()) << stored.error().to_string();
    ASSERT_EQ(stored->size(), source.size()) << plan.name;
    for (size_t i = 0; i < source.size(); ++i)
      ASSERT_EQ((*stored)[i], to_model_dtype(source[i], plan.stored_dtype.value_or(spec.model_dtype)))
          << plan.name << " [" << i << "]";
    return;
  }
  const std::string base = plan.name.substr(0, plan.name.size() - std::string(".weight").size());
  auto q_weight = weights.get(base + ".q_weight");
  auto q_scale = weights.get(base + ".q_scale");
  ASSERT_TRUE(q_weight.ok()) << q_weight.error().to_string();
  ASSERT_TRUE(q_scale.ok()) << q_scale.error().to_string();
  const int64_t n = plan.shape[0], k = plan.shape[1];
  const bool kn = spec.layout == WeightLayout::kKN && plan.role != TensorRole::kEmbedding;
  // The mapping is not aligned for uint32 access: copy the words out.
  std::vector<uint32_t> words(q_weight->nbytes() / 4);
  std::memcpy(words.data(), q_weight->data, q_weight->nbytes());
  auto decoded = dequantize_group(spec, words.data(), q_scale->data, q_weight->record->shape,
                                  q_scale->record->shape, k, kn);
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  ASSERT_EQ(decoded->size(), static_cast<size_t>(n * k));
  for (int64_t row = 0; row < n; ++row) {
    for (int64_t group = 0; group * spec.group_size < k; ++group) {
      const int64_t begin = group * spec.group_size, end = std::min(k, begin + spec.group_size);
      float max_abs = 0;
      for (int64_t j = begin; j < end; ++j)
        max_abs = std::max(max_abs, std::fabs(to_model_dtype(source[row * k + j], spec.model_dtype)));
      const float step = max_abs / static_cast<float>(spec.max_int());
      for (int64_t j = begin; j < end; ++j) {
        const float original = source[row * k + j];
        const float got = kn ? (*decoded)[j * n + row] : (*decoded)[row * k + j];
        const float bound = 0.5f * step * 1.01f + std::fabs(original) * 2e-3f + 1e-7f;
        ASSERT_LE(std::fabs(got - original), bound)
            << plan.name << " row " << row << " col " << j << " (" << spec.name << ")";
      }
    }
  }
}

class PipelineTest : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(PipelineTest, ConvertsVerifiesAndStaysWithinQuantizationError) {
  const auto& [arch, quantization] = GetParam();
  const fs::path& hf = example_model(arch);
  testing::ScratchDir out;
  const fs::path model = out.path() / "model";
  auto converted = run_command(shell_quote(cli()) + " convert_weight " + shell_quote(hf.string()) +
                               " --quantization " + quantization + " -o " + shell_quote(model.string()));
  ASSERT_EQ(converted.exit_code, 0) << converted.output;
  auto configured = run_command(shell_quote(cli()) + " gen_config " + shell_quote(hf.string()) +
                                " --quantization " + quantization + " --conv-template chatml -o " +
                                shell_quote(model.string()));
  ASSERT_EQ(configured.exit_code, 0) << configured.output;
  auto inspected = run_command(shell_quote(cli()) + " inspect --verify " + shell_quote(model.string()));
  ASSERT_EQ(inspected.exit_code, 0) << inspected.output;
  EXPECT_NE(inspected.output.find("verified"), std::string::npos) << inspected.output;

  auto chat = read_chat_config(model.string());
  ASSERT_TRUE(chat.ok()) << chat.error().to_string();
  EXPECT_EQ(chat->model_type, arch);
  EXPECT_EQ(chat->quantization, quantization);

  const QuantizationSpec* spec = find_quantization(quantization);
  ASSERT_NE(spec, nullptr);
  std::ifstream config_file(hf / "config.json");
  const auto hf_config = nlohmann::json::parse(config_file);
  auto definition = make_model_definition(hf_config, *spec);
  ASSERT_TRUE(definition.ok()) << definition.error().to_string();
  auto source = open_safetensors(hf);
  ASSERT_TRUE(source.ok()) << source.error().to_string();
  auto weights = ModelWeights::open(model.string());
  ASSERT_TRUE(weights.ok()) << weights.error().to_string();
  for (const auto& plan : definition->params) {
    SCOPED_TRACE(plan.name);
    expect_within_quantization_error(*spec, *weights, plan, read_sources(**source, plan));
    if (::testing::Test::HasFatalFailure()) return;
  }
}

std::vector<std::string> all_quantizations() {
  std::vector<std::string> names;
  for (auto name : quantization_names()) names.emplace_back(name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(
    EveryArchitectureAndQuantization, PipelineTest,
    ::testing::Combine(::testing::Values("llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2"),
                       ::testing::ValuesIn(all_quantizations())),
    [](const auto& info) {
      return std::get<0>(info.param) + "_" + std::get<1>(info.param);
    });

// phi3 (renamed modules, fused HF projections copied 1:1), phi (Phi-2: renamed modules, q/k/v
// weights and biases fused, LayerNorm weights and biases, a biased lm_head.linear) and gpt_neox
// (Hugging Face names, query_key_value rows reordered, embed_out without bias).
INSTANTIATE_TEST_SUITE_P(
    PhiArchitecturesEveryQuantization, PipelineTest,
    ::testing::Combine(::testing::Values("phi3", "phi", "gpt_neox"),
                       ::testing::ValuesIn(all_quantizations())),
    [](const auto& info) {
      return std::get<0>(info.param) + "_" + std::get<1>(info.param);
    });

}  // namespace
}  // namespace aae
