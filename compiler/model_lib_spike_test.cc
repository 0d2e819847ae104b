// The model-library design spike as a test: a TinyLlama-1.1B-shaped q4f16_1 library generated and compiled
// with the final flags for all four targets. Asserts the facts (imports within the allow-list,
// exactly two exported symbols, metadata readable back from ELF objects and from a darwin
// archive of the Mach-O object); prints the compile times (median of 3) and object sizes.
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "compiler/codegen.h"
#include "compiler/model_lib_name.h"
#include "compiler/object_reader.h"
#include "compiler/tinyllama_test_config.h"
#include "compiler/toolchain.h"
#include "tests/support/test_support.h"


namespace aae {
namespace {

using testing::run_command;
using testing::shell_quote;

// The checkout holding modellib/ and include/: compiler/ is one level below it.
std::string source_dir() {
  return std::filesystem::path(__FILE__).parent_path().parent_path().string();
}

TEST(ModelLibSpike, TinyLlamaCompilesForAllTargetsWithOnlyAllowedImports) {
  auto clang = find_clang();
  if (!clang.ok()) GTEST_SKIP() << clang.error().to_string();
  if (run_command("llvm-ar --version").exit_code != 0) GTEST_SKIP() << "llvm-ar not on PATH";
  if (!std::filesystem::exists(source_dir() + "/modellib")) {
    GTEST_SKIP() << "modellib/ not in the source tree";
  }
  auto input = make_model_input(testing::tinyllama_chat_config(), "tinyllama", {});
  ASSERT_TRUE(input.ok()) << input.error().to_string();
  auto name = model_lib_name(*input, "iphone");
  ASSERT_TRUE(name.ok());
  auto lib = generate_model_lib(*input, *name);
  ASSERT_TRUE(lib.ok()) << lib.error().to_string();
  testing::ScratchDir dir;
  const std::string src = (dir / "model_lib.cc").string();
  testing::write_file(src, lib->source);

  std::printf("[spike] %s, metadata %zu bytes, compiler %s\n", name->c_str(),
              lib->metadata_json.size(), clang->version.c_str());
  for (const std::string& triple : supported_triples()) {
    SCOPED_TRACE(triple);
    auto target = target_for_triple(triple);
    ASSERT_TRUE(target.ok());
    const std::string obj = (dir / (triple + ".o")).string();
    std::vector<double> seconds;
    for (int run = 0; run < 3; ++run) {
      auto compiled = compile_model_lib_object(*clang, *target, source_dir(), src, obj);
      ASSERT_TRUE(compiled.ok()) << compiled.error().to_string();
      seconds.push_back(compiled->seconds);
    }
    std::sort(seconds.begin(), seconds.end());

    // Read back from the object, and from an archive in the target's format.
    const std::string archive = (dir / ("lib" + triple + ".a")).string();
    const auto ar = run_command(std::string("llvm-ar --format=") +
                                (target->apple ? "darwin" : "gnu") + " rcs " +
                                shell_quote(archive) + " " + shell_quote(obj));
    ASSERT_EQ(ar.exit_code, 0) << ar.output;
    auto objects = read_objects(archive);
    ASSERT_TRUE(objects.ok()) << objects.error().to_string();
    ASSERT_EQ(objects->size(), 1u);
    const ObjectFile& o = objects->front();
    EXPECT_EQ(o.format, target->apple ? ObjectFormat::kMachO : ObjectFormat::kElf);
    EXPECT_EQ(o.architecture, target->aarch64 ? "aarch64" : "x86_64");

    const std::string prefix = target->apple ? "_" : "";
    auto globals = o.exported();
    std::sort(globals.begin(), globals.end());
    std::vector<std::string> expected = {prefix + lib->descriptor_symbol,
                                         prefix + lib->metadata_symbol};
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(globals, expected);

    const auto undefined = o.undefined();
    EXPECT_EQ(disallowed_imports(undefined, target->apple), std::vector<std::string>{});
    // The project's reader and llvm-nm agree on the imports.
    const auto nm = run_command("llvm-nm -u -j " + shell_quote(obj));
    EXPECT_EQ(nm.exit_code, 0);
    std::string ours;
    for (const auto& u : undefined) ours += u + "\n";
    EXPECT_EQ(nm.output, ours);

    auto bytes = find_symbol_bytes(*objects, prefix + lib->metadata_symbol);
    ASSERT_TRUE(bytes.ok()) << bytes.error().to_string();
    // The symbol holds the JSON plus its NUL (Mach-O: possibly padding up to the next symbol).
    const std::string text = bytes->substr(0, bytes->find('\0'));
    EXPECT_EQ(text, lib->metadata_json);
    auto meta = nlohmann::json::parse(text, nullptr, false);
    ASSERT_FALSE(meta.is_discarded());
    EXPECT_EQ(meta.at("model_lib"), *name);
    EXPECT_EQ(meta.at("params").size(), 225u);

    // Relocation-free constant data: .rodata on ELF, __TEXT,__const on Mach-O (a pointer
    // inside would move it to .data.rel.ro / __DATA,__const).
    for (const auto& sym : o.symbols) {
      if (sym.name != prefix + lib->metadata_symbol) continue;
      const size_t index = target->apple ? sym.section - 1 : sym.section;
      ASSERT_LT(index, o.sections.size());
      const std::string& section = o.sections[index].name;
      if (target->apple) {
        EXPECT_EQ(section, "__TEXT,__const");
      } else {
        EXPECT_EQ(section.rfind(".rodata", 0), 0u) << section;
      }
    }

    std::string imports;
    for (const auto& u : undefined) imports += (imports.empty() ? "" : ",") + u;
    std::printf("[spike] %-24s compile %.3f s (median of 3; min %.3f max %.3f)  object %ju B  "
                "archive %ju B  imports [%s]\n",
                triple.c_str(), seconds[1], seconds[0], seconds[2],
                static_cast<uintmax_t>(std::filesystem::file_size(obj)),
                static_cast<uintmax_t>(std::filesystem::file_size(archive)), imports.c_str());
  }
}

}  // namespace
}  // namespace aae

namespace aae {
namespace {

// A small llama so the run under qemu takes a second; same template and code paths as above.
nlohmann::json small_llama_chat_config() {
  auto chat = testing::tinyllama_chat_config();
  auto& mc = chat["model_config"];
  mc["hidden_size"] = 64;
  mc["intermediate_size"] = 128;
  mc["num_attention_heads"] = 4;
  mc["num_key_value_heads"] = 2;
  mc["head_dim"] = 16;
  mc["num_hidden_layers"] = 2;
  mc["vocab_size"] = 256;
  mc["context_window_size"] = 64;
  mc["prefill_chunk_size"] = 16;
  chat["vocab_size"] = 256;
  chat["context_window_size"] = 64;
  chat["prefill_chunk_size"] = 16;
  return chat;
}

// Hosted harness: zero weights (one shared zero buffer for every parameter), prepare, prefill
// one token, decode one; zero weights give exactly zero logits. Also the context-overflow error.
std::string harness_source(const std::string& name, int64_t max_param_bytes) {
  return R"(#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>
#include "sphere_aae/aae_model_lib.h"
extern "C" const AaeModelLib )" + name + R"(___aae_model_lib;
int main() {
  const AaeModelLib& lib = )" + name + R"(___aae_model_lib;
  const size_t param_bytes = ()" + std::to_string(max_param_bytes) + R"( + 63) / 64 * 64;
  void* zeros = std::aligned_alloc(64, param_bytes);
  std::memset(zeros, 0, param_bytes);
  std::vector<const void*> params(lib.num_params, zeros);
  void* state = std::aligned_alloc(64, (lib.state_bytes + 63) / 64 * 64);
  AaeHostApi host = {AAE_MODEL_LIB_ABI_VERSION, 0, nullptr, nullptr, nullptr};
  int rc = lib.prepare(&host, params.data(), state);
  if (rc != AAE_MODEL_LIB_OK) { std::printf("prepare %d\n", rc); return 1; }
  std::vector<float> logits(lib.vocab_size, 1.0f);
  int32_t token = 1;
  rc = lib.prefill(&host, params.data(), state, &token, 1, 0, logits.data());
  if (rc != AAE_MODEL_LIB_OK) { std::printf("prefill %d\n", rc); return 1; }
  rc = lib.decode(&host, params.data(), state, 2, 1, logits.data());
  if (rc != AAE_MODEL_LIB_OK) { std::printf("decode %d\n", rc); return 1; }
  int nonzero = 0, first = -1;
  for (int v = 0; v < lib.vocab_size; ++v) if (logits[v] != 0.0f) { ++nonzero; if (first < 0) first = v; }
  if (nonzero) { std::printf("%d nonzero logits, first [%d] = %g\n", nonzero, first, logits[first]); return 1; }
  rc = lib.decode(&host, params.data(), state, 2, lib.context_window_size, logits.data());
  if (rc != AAE_MODEL_LIB_ERR_CONTEXT) { std::printf("overflow gave %d\n", rc); return 1; }
  std::printf("ok vocab=%d state=%llu\n", lib.vocab_size, (unsigned long long)lib.state_bytes);
  return 0;
}
)";
}

TEST(ModelLibSpike, Aarch64LibraryRunsUnderQemu) {
  auto clang = find_clang();
  if (!clang.ok()) GTEST_SKIP() << clang.error().to_string();
  if (run_command("aarch64-linux-gnu-g++ --version").exit_code != 0 ||
      run_command("qemu-aarch64 --version").exit_code != 0) {
    GTEST_SKIP() << "aarch64-linux-gnu-g++ or qemu-aarch64 missing (apt packages "
                    "g++-aarch64-linux-gnu, qemu-user)";
  }
  auto input = make_model_input(small_llama_chat_config(), "small", {});
  ASSERT_TRUE(input.ok()) << input.error().to_string();
  auto name = model_lib_name(*input, "linux-arm64");
  ASSERT_TRUE(name.ok());
  auto lib = generate_model_lib(*input, *name);
  ASSERT_TRUE(lib.ok()) << lib.error().to_string();
  testing::ScratchDir dir;
  testing::write_file(dir / "lib.cc", lib->source);
  auto compiled = compile_model_lib_object(*clang, *target_for_device("linux-arm64"),
                                           source_dir(), (dir / "lib.cc").string(),
                                           (dir / "lib.o").string());
  ASSERT_TRUE(compiled.ok()) << compiled.error().to_string();
  int64_t max_bytes = 0;
  // Keep the parsed JSON alive: a range-for over a member of a temporary dangles.
  const auto meta = nlohmann::json::parse(lib->metadata_json);
  for (const auto& p : meta.at("params")) {
    int64_t n = p.at("dtype") == "float16" ? 2 : 4;
    for (int64_t d : p.at("shape")) n *= d;
    max_bytes = std::max(max_bytes, n);
  }
  testing::write_file(dir / "harness.cc", harness_source(*name, max_bytes));
  const std::string exe = (dir / "harness").string();
  const auto link = run_command("aarch64-linux-gnu-g++ -std=c++17 -O1 -static -I " +
                                shell_quote(source_dir() + "/include") + " " +
                                shell_quote((dir / "harness.cc").string()) + " " +
                                shell_quote((dir / "lib.o").string()) + " -o " + shell_quote(exe));
  ASSERT_EQ(link.exit_code, 0) << link.output;
  const auto run = run_command("qemu-aarch64 " + shell_quote(exe));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(max_bytes, 0);
  EXPECT_EQ(run.output.rfind("ok vocab=256", 0), 0u) << run.output;
}

}  // namespace
}  // namespace aae
