// Compiles model-library TUs the way the compiler does (freestanding clang, every target) and
// checks the objects import nothing and export exactly the descriptor and metadata symbols.
#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include "tests/support/test_support.h"

namespace {

using aae::testing::run_command;
using aae::testing::shell_quote;

constexpr const char* kTu = R"(#include "modellib/export.h"
#include "modellib/arch/gemma.h"
#include "modellib/arch/llama.h"
namespace {
struct LlamaConfig {
  using Format = aae::modellib::FormatQ4F16_1;
  static constexpr int64_t hidden = 2048, intermediate = 5632, heads = 32, kv_heads = 4,
      head_dim = 64, layers = 22, vocab = 32000, context_window = 2048, prefill_chunk = 128,
      sliding_window = -1, attention_sink = 0;
  static constexpr double rope_theta = 10000.0, rms_eps = 1e-5;
  static constexpr bool tie_embeddings = false, qkv_bias = false, o_bias = false, qk_norm = false;
};
struct Qwen3Config {
  using Format = aae::modellib::FormatQ3F16_1;
  static constexpr int64_t hidden = 1024, intermediate = 3072, heads = 16, kv_heads = 8,
      head_dim = 128, layers = 28, vocab = 151936, context_window = 4096, prefill_chunk = 256,
      sliding_window = 1024, attention_sink = 4;
  static constexpr double rope_theta = 1000000.0, rms_eps = 1e-6;
  static constexpr bool tie_embeddings = true, qkv_bias = true, o_bias = true, qk_norm = true;
};
struct Gemma2Config {
  using Format = aae::modellib::FormatQ4F16_1;
  static constexpr int64_t hidden = 2304, intermediate = 9216, heads = 8, kv_heads = 4,
      head_dim = 256, layers = 26, vocab = 256000, context_window = 4096, prefill_chunk = 128,
      sliding_window = -1, attention_sink = 0;
  static constexpr double rope_theta = 10000.0, rms_eps = 1e-6;
  static constexpr bool tie_embeddings = true, qkv_bias = false, o_bias = false, qk_norm = false;
  static constexpr double embed_scale = 48.0, final_logit_softcap = 30.0;
  static constexpr bool feedforward_norms = true;
};
// One small untied model per quantization code whose formats differ by role or layout.
template <typename F>
struct SmallConfig {
  using Format = F;
  static constexpr int64_t hidden = 256, intermediate = 688, heads = 4, kv_heads = 2,
      head_dim = 64, layers = 2, vocab = 1000, context_window = 256, prefill_chunk = 32,
      sliding_window = -1, attention_sink = 0;
  static constexpr double rope_theta = 10000.0, rms_eps = 1e-5;
  static constexpr bool tie_embeddings = false, qkv_bias = false, o_bias = false, qk_norm = false;
};
using SmallQ0BF16 = aae::modellib::LlamaFamily<SmallConfig<aae::modellib::FormatQ0BF16>>;
using SmallQ4F16_2 = aae::modellib::LlamaFamily<SmallConfig<aae::modellib::FormatQ4F16_2>>;
using SmallQ4F16_0 = aae::modellib::LlamaFamily<SmallConfig<aae::modellib::FormatQ4F16_0Model>>;
using SmallQ3F16_0 = aae::modellib::LlamaFamily<SmallConfig<aae::modellib::FormatQ3F16_0Model>>;
using Llama = aae::modellib::LlamaFamily<LlamaConfig>;
using Gemma2 = aae::modellib::GemmaFamily<Gemma2Config>;
using Qwen3 = aae::modellib::LlamaFamily<Qwen3Config>;
}
static_assert(Llama::kNumParams == 225, "TinyLlama shape, untied q4f16_1");
AAE_MODEL_METADATA_DEFINE(llama_q4f16_1_test, "{\"abi_version\":1}");
AAE_MODEL_LIB_DEFINE(llama_q4f16_1_test, Llama);
AAE_MODEL_METADATA_DEFINE(small_q0bf16_test, "{}");
AAE_MODEL_LIB_DEFINE(small_q0bf16_test, SmallQ0BF16);
AAE_MODEL_METADATA_DEFINE(small_q4f16_2_test, "{}");
AAE_MODEL_LIB_DEFINE(small_q4f16_2_test, SmallQ4F16_2);
AAE_MODEL_METADATA_DEFINE(small_q4f16_0_test, "{}");
AAE_MODEL_LIB_DEFINE(small_q4f16_0_test, SmallQ4F16_0);
AAE_MODEL_METADATA_DEFINE(small_q3f16_0_test, "{}");
AAE_MODEL_LIB_DEFINE(small_q3f16_0_test, SmallQ3F16_0);
AAE_MODEL_METADATA_DEFINE(qwen3_q3f16_1_test, "{\"abi_version\":1}");
AAE_MODEL_LIB_DEFINE(qwen3_q3f16_1_test, Qwen3);
static_assert(Gemma2::kNumParams == 12 * 26 + 3, "gemma-2-2b shape, tied q4f16_1");
AAE_MODEL_METADATA_DEFINE(gemma2_q4f16_1_test, "{\"abi_version\":1}");
AAE_MODEL_LIB_DEFINE(gemma2_q4f16_1_test, Gemma2);
)";

bool have(const std::string& tool) {
  return run_command("command -v " + tool + " >/dev/null 2>&1").exit_code == 0;
}

class FreestandingCompile : public ::testing::TestWithParam<const char*> {};

TEST_P(FreestandingCompile, ObjectImportsNothingAndExportsOnlyTheTwoSymbolsPerModel) {
  if (!have("clang++") || !have("llvm-nm")) GTEST_SKIP() << "clang++ or llvm-nm not on PATH";
  const std::string target = GetParam();
  aae::testing::ScratchDir dir;
  aae::testing::write_file(dir / "tu.cc", kTu);
  const std::string object = (dir / "tu.o").string();
  const std::string root = AAE_MODELLIB_SOURCE_ROOT;
  std::string flags =
      "-std=c++17 -O2 -ffreestanding -nostdinc++ -nostdlibinc -fno-exceptions -fno-rtti "
      "-fno-stack-protector -fPIC -fno-math-errno -fno-threadsafe-statics -fvisibility=hidden "
      "-Werror -Wall";
  if (target.rfind("aarch64", 0) == 0) flags += " -mno-outline-atomics";
  const auto compiled = run_command("clang++ --target=" + target + " " + flags + " -I" +
                                    shell_quote(root) + " -I" + shell_quote(root + "/include") +
                                    " -c " + shell_quote((dir / "tu.cc").string()) + " -o " +
                                    shell_quote(object));
  ASSERT_EQ(compiled.exit_code, 0) << compiled.output;
  const auto undefined = run_command("llvm-nm -u " + shell_quote(object));
  ASSERT_EQ(undefined.exit_code, 0) << undefined.output;
  EXPECT_EQ(undefined.output, "") << "imports on " << target;
  const auto exported = run_command("llvm-nm -g --defined-only -j " + shell_quote(object) + " | sort");
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  const std::string p = target.find("apple") != std::string::npos ? "_" : "";
  EXPECT_EQ(exported.output, p + "gemma2_q4f16_1_test___aae_model_lib\n" + p +
                                 "gemma2_q4f16_1_test___aae_model_metadata\n" + p +
                                 "llama_q4f16_1_test___aae_model_lib\n" + p +
                                 "llama_q4f16_1_test___aae_model_metadata\n" + p +
                                 "qwen3_q3f16_1_test___aae_model_lib\n" + p +
                                 "qwen3_q3f16_1_test___aae_model_metadata\n" + p +
                                 "small_q0bf16_test___aae_model_lib\n" + p +
                                 "small_q0bf16_test___aae_model_metadata\n" + p +
                                 "small_q3f16_0_test___aae_model_lib\n" + p +
                                 "small_q3f16_0_test___aae_model_metadata\n" + p +
                                 "small_q4f16_0_test___aae_model_lib\n" + p +
                                 "small_q4f16_0_test___aae_model_metadata\n" + p +
                                 "small_q4f16_2_test___aae_model_lib\n" + p +
                                 "small_q4f16_2_test___aae_model_metadata\n");
}

INSTANTIATE_TEST_SUITE_P(Targets, FreestandingCompile,
                         ::testing::Values("x86_64-linux-gnu", "aarch64-linux-gnu",
                                           "aarch64-linux-android24", "arm64-apple-ios15.0"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

}  // namespace
