// One model compiled by the real CLI for every device, checked with our own object reader (through
// `sphere_aae inspect --json`) and with LLVM's tools; `inspect LIB` against MLC's own tensor
// caches. Prints compile seconds per device. Runs only binaries: aae_e2e_tests links
// aae_convert, not aae_compiler (compiler/*_test.cc cover the library API).
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "compiler/small_model_test_config.h"
#include "compiler/tinyllama_test_config.h"
#include "tests/support/test_support.h"

namespace aae {
namespace {

namespace fs = std::filesystem;
using testing::run_command;
using testing::shell_quote;

const std::vector<std::string> kDevices = {"iphone", "android", "linux", "linux-arm64"};

std::string cli(const std::string& args) { return shell_quote(AAE_CLI_PATH) + " " + args; }

std::string checkout() { return fs::path(__FILE__).parent_path().parent_path().string(); }

// The absolute path of a tool on PATH, or "".
std::string find_on_path(const std::string& tool) {
  auto r = run_command("command -v " + shell_quote(tool));
  if (r.exit_code != 0) return "";
  while (!r.output.empty() && r.output.back() == '\n') r.output.pop_back();
  return r.output;
}

bool have_llvm_tools() {
  for (const char* tool : {"clang++", "llvm-ar", "llvm-nm", "llvm-objdump", "llvm-readelf"}) {
    if (find_on_path(tool).empty()) return false;
  }
  return true;
}

// Undefined symbols outside allowed_model_lib_imports() (compiler/toolchain.h; restated here
// because this executable does not link aae_compiler). Mach-O names lose their '_'.
std::vector<std::string> disallowed(const std::vector<std::string>& undefined, bool mach_o) {
  static const std::set<std::string> allowed = {"memcpy", "memmove", "memset"};
  std::vector<std::string> bad;
  for (std::string name : undefined) {
    if (mach_o && !name.empty() && name[0] == '_') name.erase(0, 1);
    if (!allowed.count(name)) bad.push_back(name);
  }
  return bad;
}

// `sphere_aae inspect --json LIB`, parsed: our own object reader's view of the file.
nlohmann::json inspect_json(const fs::path& library) {
  auto r = run_command(cli("inspect --json " + shell_quote(library.string())));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  auto parsed = nlohmann::json::parse(r.output, nullptr, false);
  EXPECT_FALSE(parsed.is_discarded()) << r.output;
  return parsed.is_discarded() ? nlohmann::json::object() : parsed;
}

struct Compiled {
  std::string model_lib;
  double seconds = 0;  // the CLI's wall time, generation and archiving included
};

// `sphere_aae compile DIR --device D -o OUT`; the model_lib from its "model_lib NAME" line.
Compiled compile_with_cli(const fs::path& model_dir, const std::string& device,
                          const fs::path& output, const std::string& extra = "") {
  const auto start = std::chrono::steady_clock::now();
  auto r = run_command(cli("compile " + shell_quote(model_dir.string()) + " --device " + device +
                           " -o " + shell_quote(output.string()) + " --sphere-aae-source-dir " +
                           shell_quote(checkout()) + " " + extra));
  Compiled c;
  c.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(r.exit_code, 0) << r.output;
  const size_t at = r.output.find("model_lib ");
  if (at != std::string::npos) {
    c.model_lib = r.output.substr(at + 10, r.output.find('\n', at) - at - 10);
  }
  return c;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    if (nl > pos) out.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

// Checks one device's archive with our reader and with llvm-nm plus llvm-objdump/llvm-readelf.
void check_archive(const std::string& device, const fs::path& archive,
                   const std::string& model_lib) {
  SCOPED_TRACE(device);
  const bool apple = device == "iphone";
  const std::string arch = device == "linux" ? "x86_64" : "aarch64";
  const std::string us = apple ? "_" : "";

  const nlohmann::json report = inspect_json(archive);
  ASSERT_EQ(report.value("model_libs", nlohmann::json::array()).size(), 1u) << report.dump();
  const auto& lib = report["model_libs"][0];
  EXPECT_EQ(lib.at("model_lib"), model_lib);
  EXPECT_EQ(lib.at("format"), apple ? "Mach-O" : "ELF");
  EXPECT_EQ(lib.at("arch"), arch);
  EXPECT_EQ(lib.at("member"), "model_lib.o");
  EXPECT_EQ(lib.at("metadata").at("model_lib"), model_lib);

  const std::string path = shell_quote(archive.string());
  auto defined = run_command("llvm-nm --defined-only --extern-only --format=just-symbols " + path);
  ASSERT_EQ(defined.exit_code, 0) << defined.output;
  EXPECT_NE(defined.output.find(us + model_lib + "___aae_model_lib\n"), std::string::npos)
      << defined.output;
  EXPECT_NE(defined.output.find(us + model_lib + "___aae_model_metadata\n"), std::string::npos)
      << defined.output;
  auto undefined = run_command("llvm-nm --undefined-only --format=just-symbols " + path);
  ASSERT_EQ(undefined.exit_code, 0) << undefined.output;
  std::vector<std::string> names;
  for (const auto& line : lines_of(undefined.output)) {
    if (line.find(':') == std::string::npos) names.push_back(line);  // skip "member.o:" headers
  }
  EXPECT_TRUE(disallowed(names, apple).empty()) << undefined.output;
  auto exported = run_command("llvm-nm --defined-only --extern-only --format=just-symbols " +
                              path + " | grep -v -e ':$' -e '^$' | sort");
  EXPECT_EQ(exported.output, us + model_lib + "___aae_model_lib\n" + us + model_lib +
                                 "___aae_model_metadata\n")
      << "exactly the descriptor and the metadata are global";

  if (apple) {
    auto header = run_command("llvm-objdump --macho --private-header " + path);
    ASSERT_EQ(header.exit_code, 0) << header.output;
    EXPECT_NE(header.output.find("MH_MAGIC_64"), std::string::npos) << header.output;
    EXPECT_NE(header.output.find("ARM64"), std::string::npos) << header.output;
    EXPECT_NE(header.output.find("OBJECT"), std::string::npos) << header.output;
  } else {
    auto header = run_command("llvm-readelf --file-header " + path);
    ASSERT_EQ(header.exit_code, 0) << header.output;
    EXPECT_NE(header.output.find("ELF64"), std::string::npos) << header.output;
    EXPECT_NE(header.output.find(arch == "x86_64" ? "X86-64" : "AArch64"), std::string::npos)
        << header.output;
    EXPECT_NE(header.output.find("REL (Relocatable file)"), std::string::npos) << header.output;
  }
}

TEST(Devices, OneModelCompilesForEveryDeviceWithTheRightObjects) {
  if (!have_llvm_tools()) GTEST_SKIP() << "clang++ and llvm-ar/nm/objdump/readelf needed";
  testing::ScratchDir dir;
  fs::create_directories(dir / "model");
  testing::write_file(dir / "model/mlc-chat-config.json", testing::small_chat_config().dump());
  std::set<std::string> names;
  for (const auto& device : kDevices) {
    const fs::path archive = dir / ("lib_" + device + ".a");
    Compiled c = compile_with_cli(dir / "model", device, archive);
    std::printf("[ devices  ] small model: %-11s compile %.2f s (CLI wall)\n", device.c_str(),
                c.seconds);
    ASSERT_FALSE(c.model_lib.empty());
    names.insert(c.model_lib);
    check_archive(device, archive, c.model_lib);
  }
  EXPECT_EQ(names.size(), kDevices.size()) << "the device is part of the model_lib hash";
}

// A one-layer gemma or gemma2 chat config (head_dim 2 * hidden / heads, tied, gemma2's norms
// and final soft-cap), as sphere_aae gen_config writes it.
nlohmann::json gemma_chat_config(const std::string& model_type) {
  nlohmann::json chat = testing::small_chat_config();
  chat["model_type"] = model_type;
  chat["conv_template"] = "gemma_instruction";
  nlohmann::json mc = {{"hidden_size", 64}, {"intermediate_size", 96},
                       {"attention_bias", false}, {"num_attention_heads", 4},
                       {"num_key_value_heads", 2}, {"head_dim", 32},
                       {"num_hidden_layers", 1}, {"rms_norm_eps", 1e-6},
                       {"vocab_size", 100}, {"hidden_activation", "gelu_pytorch_tanh"},
                       {"position_embedding_base", 10000.0}, {"context_window_size", 32},
                       {"prefill_chunk_size", 128}, {"tensor_parallel_shards", 1},
                       {"max_batch_size", 1}};
  if (model_type == "gemma2") {
    mc["attn_logit_softcapping"] = 50.0;
    mc["final_logit_softcapping"] = 30.0;
    mc["query_pre_attn_scalar"] = 32;
    mc["sliding_window"] = 32;
  }
  chat["model_config"] = mc;
  return chat;
}

TEST(Devices, GemmaFamilyCompilesForEveryDeviceWithOnlyAllowedImports) {
  if (!have_llvm_tools()) GTEST_SKIP() << "clang++ and llvm-ar/nm/objdump/readelf needed";
  for (const std::string model_type : {"gemma", "gemma2"}) {
    SCOPED_TRACE(model_type);
    testing::ScratchDir dir;
    fs::create_directories(dir / "model");
    testing::write_file(dir / "model/mlc-chat-config.json", gemma_chat_config(model_type).dump());
    for (const auto& device : kDevices) {
      const fs::path archive = dir / ("lib_" + device + ".a");
      Compiled c = compile_with_cli(dir / "model", device, archive);
      ASSERT_FALSE(c.model_lib.empty());
      EXPECT_EQ(c.model_lib.rfind(model_type + "_q4f16_1_", 0), 0u) << c.model_lib;
      check_archive(device, archive, c.model_lib);
      EXPECT_EQ(inspect_json(archive)["model_libs"][0]["metadata"].value("architecture", ""),
                model_type);
    }
  }
}

// phi3 (longrope factors in the Config), phi (PhiFamily: partial rotary, LayerNorm, biases) and
// gpt_neox (NeoxFamily on PhiFamily: erf GeLU, two LayerNorms, sequential residual),
// configured by the real gen_config from the example maker's tiny models.
TEST(Devices, PhiFamilyCompilesForEveryDeviceWithOnlyAllowedImports) {
  if (!have_llvm_tools()) GTEST_SKIP() << "clang++ and llvm-ar/nm/objdump/readelf needed";
  for (const std::string model_type : {"phi3", "phi", "gpt_neox"}) {
    SCOPED_TRACE(model_type);
    testing::ScratchDir dir;
    auto made = run_command(shell_quote(AAE_MAKE_EXAMPLE_PATH) + " --arch " + model_type +
                            " --preset tiny -o " + shell_quote((dir / "hf").string()));
    ASSERT_EQ(made.exit_code, 0) << made.output;
    auto configured = run_command(cli("gen_config " + shell_quote((dir / "hf").string()) +
                                      " --quantization q4f16_1 --conv-template chatml -o " +
                                      shell_quote((dir / "model").string())));
    ASSERT_EQ(configured.exit_code, 0) << configured.output;
    for (const auto& device : kDevices) {
      const fs::path archive = dir / ("lib_" + device + ".a");
      Compiled c = compile_with_cli(dir / "model", device, archive);
      ASSERT_FALSE(c.model_lib.empty());
      EXPECT_EQ(c.model_lib.rfind(model_type + "_q4f16_1_", 0), 0u) << c.model_lib;
      check_archive(device, archive, c.model_lib);
      EXPECT_EQ(inspect_json(archive)["model_libs"][0]["metadata"].value("architecture", ""),
                model_type);
    }
  }
}

TEST(Devices, TinyLlamaShapeCompileSecondsPerDevice) {
  if (!have_llvm_tools()) GTEST_SKIP() << "clang++ and llvm-ar/nm/objdump/readelf needed";
  testing::ScratchDir dir;
  fs::create_directories(dir / "model");
  testing::write_file(dir / "model/mlc-chat-config.json", testing::tinyllama_chat_config().dump());
  for (const auto& device : kDevices) {
    const fs::path archive = dir / ("lib_" + device + ".a");
    Compiled c = compile_with_cli(dir / "model", device, archive);
    std::printf("[ devices  ] TinyLlama-1.1B shape q4f16_1: %-11s compile %.2f s (CLI wall)\n",
                device.c_str(), c.seconds);
    check_archive(device, archive, c.model_lib);
    EXPECT_LT(c.seconds, 30.0);
  }
}

// A fake xcrun on PATH decides which clang compiles for iphone, through the whole CLI.
TEST(Devices, CliCompilesForIphoneWithTheClangXcrunNames) {
  const std::string real = find_on_path("clang++");
  if (real.empty()) GTEST_SKIP() << "clang++ not on PATH";
  testing::ScratchDir dir;
  fs::create_directories(dir / "bin");
  fs::create_directories(dir / "model");
  testing::write_file(dir / "model/mlc-chat-config.json", testing::small_chat_config().dump());
  const fs::path log = dir / "clang.log";
  testing::write_file(dir / "xcode-clang", "#!/bin/sh\necho \"$@\" >> " +
                                               shell_quote(log.string()) + "\nexec " +
                                               shell_quote(real) + " \"$@\"\n");
  testing::write_file(dir / "bin/xcrun",
                      "#!/bin/sh\necho " + shell_quote((dir / "xcode-clang").string()) + "\n");
  chmod((dir / "xcode-clang").c_str(), 0755);
  chmod((dir / "bin/xcrun").c_str(), 0755);
  auto r = run_command("PATH=" + shell_quote((dir / "bin").string()) + ":\"$PATH\" " +
                       cli("compile " + shell_quote((dir / "model").string()) +
                           " --device iphone -o " + shell_quote((dir / "lib.a").string()) +
                           " --sphere-aae-source-dir " + shell_quote(checkout())));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_TRUE(fs::exists(log));
  EXPECT_NE(testing::read_file(log).find("--target=arm64-apple-ios15.0"), std::string::npos);
}

// For each model MLC itself converted, a library compiled from just its mlc-chat-config.json
// (no weights) declares exactly the tensors of MLC's tensor-cache.json.
TEST(Devices, InspectLibraryParamsMatchMlcTensorCaches) {
  AAE_REQUIRE_TESTDATA(testdata);
  if (find_on_path("clang++").empty()) GTEST_SKIP() << "clang++ not on PATH";
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(testdata / "mlc-real")) {
    const fs::path config = entry.path() / "mlc-chat-config.json";
    if (!fs::exists(config)) continue;
    SCOPED_TRACE(entry.path().filename().string());
    testing::ScratchDir dir;
    fs::create_directories(dir / "model");
    fs::copy_file(config, dir / "model/mlc-chat-config.json");
    Compiled c = compile_with_cli(dir / "model", "linux", dir / "lib.so");
    ASSERT_FALSE(c.model_lib.empty());
    auto r = run_command(cli("inspect --json " + shell_quote((dir / "lib.so").string())));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    auto report = nlohmann::json::parse(r.output);
    ASSERT_EQ(report.at("model_libs").size(), 1u);
    const auto& lib = report["model_libs"][0];
    EXPECT_EQ(lib.at("model_lib"), c.model_lib);
    EXPECT_EQ(lib.at("format"), "ELF");
    using Record = std::tuple<std::vector<int64_t>, std::string>;
    std::map<std::string, Record> from_lib, from_cache;
    for (const auto& p : lib.at("metadata").at("params")) {
      from_lib[p.at("name")] = {p.at("shape").get<std::vector<int64_t>>(), p.at("dtype")};
    }
    auto cache = nlohmann::json::parse(testing::read_file(entry.path() / "tensor-cache.json"));
    for (const auto& shard : cache.at("records")) {
      for (const auto& rec : shard.at("records")) {
        from_cache[rec.at("name")] = {rec.at("shape").get<std::vector<int64_t>>(),
                                      rec.at("dtype")};
      }
    }
    EXPECT_FALSE(from_cache.empty());
    EXPECT_EQ(from_lib, from_cache);
    EXPECT_EQ(lib["metadata"].at("params").size(), from_lib.size()) << "duplicate names";
    ++checked;
  }
  EXPECT_GE(checked, 2);
}

TEST(Devices, InspectLibraryPrintsNamesMemoryAndParameters) {
  if (find_on_path("clang++").empty() || find_on_path("llvm-ar").empty()) {
    GTEST_SKIP() << "clang++ and llvm-ar needed";
  }
  testing::ScratchDir dir;
  for (int hidden : {64, 32}) {
    const std::string name = "m" + std::to_string(hidden);
    fs::create_directories(dir / name);
    testing::write_file(dir / name / "mlc-chat-config.json",
                        testing::small_chat_config(hidden).dump());
  }
  Compiled a = compile_with_cli(dir / "m64", "android", dir / "a.o");
  Compiled b = compile_with_cli(dir / "m32", "android", dir / "b.o");
  const fs::path both = dir / "both.a";
  auto ar = run_command("llvm-ar rcs " + shell_quote(both.string()) + " " +
                        shell_quote((dir / "a.o").string()) + " " +
                        shell_quote((dir / "b.o").string()));
  ASSERT_EQ(ar.exit_code, 0) << ar.output;
  auto r = run_command(cli("inspect " + shell_quote(both.string())));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const std::string& expected :
       {std::string("2 model libraries"), "model_lib     " + a.model_lib, "model_lib     " + b.model_lib,
        std::string("ELF aarch64, member a.o"), std::string("architecture  llama"),
        std::string("quantization  q4f16_1"), std::string("model.embed_tokens.q_weight"),
        std::string("[100, 8]"), std::string("memory        weights "),
        std::string("KV cache "), std::string("workspace "), std::string("state ")}) {
    EXPECT_NE(r.output.find(expected), std::string::npos) << expected << "\n" << r.output;
  }
  // A file that is not a library is an error; a model directory still works as before.
  testing::write_file(dir / "junk.so", "junk");
  auto junk = run_command(cli("inspect " + shell_quote((dir / "junk.so").string())));
  EXPECT_EQ(junk.exit_code, 1) << junk.output;
  EXPECT_NE(junk.output.find("junk.so"), std::string::npos) << junk.output;
}

}  // namespace
}  // namespace aae
