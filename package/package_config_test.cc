#include "package/package_config.h"

#include <gtest/gtest.h>

#include "package/config_values.h"
#include "tests/support/test_support.h"

namespace aae {
namespace {

const std::filesystem::path kConfigPath = "/app/ios/sphere-aae-package-config.json";

// The example of the package spec, as written there.
const char* kSpecExample = R"({
  "device": "iphone",
  "model_list": [
    {"model": "HF://sphere-aae/Mistral-7B-Instruct-v0.2-q3f16_1-AAE",
     "model_id": "Mistral-7B-Instruct-v0.2-q3f16_1", "estimated_vram_bytes": 3316000000,
     "bundle_weight": true, "overrides": {"context_window_size": 512}},
    {"model": "HF://sphere-aae/gemma-2b-it-q4f16_1-AAE", "model_id": "gemma-2b-q4f16_1",
     "estimated_vram_bytes": 3000000000, "overrides": {"prefill_chunk_size": 128}}
  ]
})";

// One entry around `fields` (a JSON fragment of extra or replacing keys is not needed: tests
// write whole entries where it matters).
std::string config_with_entries(const std::string& entries, const std::string& device = "iphone") {
  return R"({"device": ")" + device + R"(", "model_list": [)" + entries + "]}";
}

std::string hf_entry(const std::string& id, const std::string& extra = "") {
  return R"({"model": "HF://org/)" + id + R"(", "model_id": ")" + id +
         R"(", "estimated_vram_bytes": 3000000000)" + extra + "}";
}

class PackageConfigTest : public ::testing::Test {
 protected:
  Result<PackageConfig> parse(const std::string& text, bool check_files = false) {
    diags_ = Diagnostics();
    PackageConfigOptions options;
    options.check_files = check_files;
    return parse_package_config(text, kConfigPath, &diags_, options);
  }
  // The first diagnostic at `path` with `severity`, or null.
  const Diagnostic* at(const std::string& path, Severity severity = Severity::kError) const {
    for (const Diagnostic& d : diags_.items()) {
      if (d.json_path == path && d.severity == severity) return &d;
    }
    return nullptr;
  }
  std::string all() const {
    std::string out;
    for (const Diagnostic& d : diags_.items()) out += d.to_string() + "\n";
    return out;
  }
  Diagnostics diags_;
};

TEST_F(PackageConfigTest, SpecExampleParsesWithoutProblems) {
  auto config = parse(kSpecExample);
  ASSERT_TRUE(config.ok()) << config.error().to_string();
  EXPECT_TRUE(diags_.items().empty()) << all();
  EXPECT_EQ(config->device, "iphone");
  EXPECT_EQ(config->config_dir, std::filesystem::path("/app/ios"));
  ASSERT_EQ(config->models.size(), 2u);
  const PackageModel& mistral = config->models[0];
  EXPECT_EQ(mistral.model_id, "Mistral-7B-Instruct-v0.2-q3f16_1");
  EXPECT_EQ(mistral.estimated_vram_bytes, 3316000000);
  EXPECT_TRUE(mistral.bundle_weight);
  EXPECT_EQ(mistral.overrides.context_window_size, 512);
  EXPECT_EQ(mistral.source.hub_ref.repo, "Mistral-7B-Instruct-v0.2-q3f16_1-AAE");
  EXPECT_FALSE(config->models[1].bundle_weight);
  EXPECT_EQ(config->models[1].overrides.prefill_chunk_size, 128);
  EXPECT_FALSE(config->models[1].model_lib.has_value());
}

TEST_F(PackageConfigTest, EveryDeviceAccepted) {
  for (const std::string device : {"iphone", "android", "linux", "linux-arm64"}) {
    auto config = parse(config_with_entries(hf_entry("m"), device));
    ASSERT_TRUE(config.ok()) << device << ": " << config.error().to_string();
    EXPECT_EQ(config->device, device);
  }
}

TEST_F(PackageConfigTest, MissingDeviceIsAnError) {
  EXPECT_FALSE(parse(R"({"model_list": []})").ok());
  const Diagnostic* d = at("$");
  ASSERT_NE(d, nullptr) << all();
  EXPECT_NE(d->message.find("\"device\" is missing"), std::string::npos);
  EXPECT_NE(d->hint.find("linux-arm64"), std::string::npos);
}

TEST_F(PackageConfigTest, MacabiIsNotSupportedYet) {
  EXPECT_FALSE(parse(config_with_entries(hf_entry("m"), "macabi")).ok());
  const Diagnostic* d = at("$.device");
  ASSERT_NE(d, nullptr) << all();
  EXPECT_NE(d->message.find("not supported yet"), std::string::npos);
}

TEST_F(PackageConfigTest, MistypedDeviceGetsASuggestion) {
  EXPECT_FALSE(parse(config_with_entries(hf_entry("m"), "iPhone")).ok());
  const Diagnostic* d = at("$.device");
  ASSERT_NE(d, nullptr) << all();
  EXPECT_NE(d->message.find("unknown device \"iPhone\""), std::string::npos);
  EXPECT_NE(d->hint.find("did you mean \"iphone\""), std::string::npos);
}

TEST_F(PackageConfigTest, AllProblemsAreReportedAtOnce) {
  auto config = parse(R"({"device": "ipad", "model_list": [
      {"model": "HF://org/a", "model_id": "a"},
      {"model": 7, "model_id": "a/b", "estimated_vram_bytes": 1}]})");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(at("$.device"), nullptr) << all();
  EXPECT_NE(at("$.model_list[0]"), nullptr) << all();        // estimated_vram_bytes missing
  EXPECT_NE(at("$.model_list[1].model"), nullptr) << all();  // not a string
  EXPECT_NE(at("$.model_list[1].model_id"), nullptr) << all();
  EXPECT_EQ(diags_.count(Severity::kError), 4u) << all();
  // The returned Error carries every one of them as a cause.
  EXPECT_EQ(config.error().causes().size(), 4u);
  EXPECT_NE(config.error().message().find("4 problems"), std::string::npos);
  EXPECT_NE(config.error().message().find(kConfigPath.string()), std::string::npos);
  EXPECT_EQ(config.error().code(), ErrorCode::kInvalidArgument);
}

TEST_F(PackageConfigTest, MissingRequiredEntryKeysAreEachNamed) {
  EXPECT_FALSE(parse(config_with_entries(R"({"model": "HF://org/a"})")).ok());
  int missing = 0;
  for (const Diagnostic& d : diags_.items()) {
    EXPECT_EQ(d.json_path, "$.model_list[0]");
    missing += d.message.find("\"model_id\" is missing") != std::string::npos;
    missing += d.message.find("\"estimated_vram_bytes\" is missing") != std::string::npos;
  }
  EXPECT_EQ(missing, 2) << all();
}

TEST_F(PackageConfigTest, WrongTypesNameTheKeyAndWhatWasFound) {
  EXPECT_FALSE(parse(config_with_entries(
      R"({"model": "HF://org/a", "model_id": 5, "estimated_vram_bytes": 1,
          "bundle_weight": "yes", "overrides": [], "model_lib": false})")).ok());
  ASSERT_NE(at("$.model_list[0].model_id"), nullptr) << all();
  EXPECT_NE(at("$.model_list[0].model_id")->message.find("found integer 5"), std::string::npos);
  ASSERT_NE(at("$.model_list[0].bundle_weight"), nullptr) << all();
  EXPECT_NE(at("$.model_list[0].bundle_weight")->message.find("string \"yes\""), std::string::npos);
  EXPECT_NE(at("$.model_list[0].overrides"), nullptr) << all();
  EXPECT_NE(at("$.model_list[0].model_lib"), nullptr) << all();
}

TEST_F(PackageConfigTest, VramAsAStringIsRejectedWithAHint) {
  EXPECT_FALSE(parse(config_with_entries(
      R"({"model": "HF://o/a", "model_id": "a", "estimated_vram_bytes": "3000000000"})")).ok());
  const Diagnostic* d = at("$.model_list[0].estimated_vram_bytes");
  ASSERT_NE(d, nullptr) << all();
  EXPECT_NE(d->message.find("expected an integer number of bytes"), std::string::npos);
  EXPECT_NE(d->hint.find("no quotes"), std::string::npos);
}

TEST_F(PackageConfigTest, VramInExponentFormOrNegativeIsRejected) {
  EXPECT_FALSE(parse(config_with_entries(
      R"({"model": "HF://o/a", "model_id": "a", "estimated_vram_bytes": 3e9})")).ok());
  EXPECT_NE(at("$.model_list[0].estimated_vram_bytes"), nullptr) << all();
  EXPECT_FALSE(parse(config_with_entries(
      R"({"model": "HF://o/a", "model_id": "a", "estimated_vram_bytes": -1})")).ok());
  ASSERT_NE(at("$.model_list[0].estimated_vram_bytes"), nullptr) << all();
  EXPECT_NE(at("$.model_list[0].estimated_vram_bytes")->message.find(">= 0"), std::string::npos);
}

TEST_F(PackageConfigTest, DuplicateModelIdNamesTheFirstUse) {
  EXPECT_FALSE(parse(config_with_entries(hf_entry("m") + "," + hf_entry("m"))).ok());
  const Diagnostic* d = at("$.model_list[1].model_id");
  ASSERT_NE(d, nullptr) << all();
  EXPECT_NE(d->message.find("already used by $.model_list[0]"), std::string::npos);
}

TEST_F(PackageConfigTest, ModelIdsDifferingOnlyInCaseCollide) {
  EXPECT_FALSE(parse(config_with_entries(hf_entry("Qwen") + "," + hf_entry("qwen"))).ok());
  const Diagnostic* d = at("$.model_list[1].model_id");
  ASSERT_NE(d, nullptr) << all();
  EXPECT_NE(d->message.find("only in letter case"), std::string::npos);
}

TEST_F(PackageConfigTest, UnsafeModelIdsAreRejected) {
  for (const std::string id : {"", "../up", "a/b", ".hidden", "a b", "-x", "a\\\\b"}) {
    const std::string entry =
        R"({"model": "HF://o/r", "model_id": ")" + id + R"(", "estimated_vram_bytes": 1})";
    EXPECT_FALSE(parse(config_with_entries(entry)).ok()) << id;
    const Diagnostic* d = at("$.model_list[0].model_id");
    ASSERT_NE(d, nullptr) << id << "\n" << all();
    EXPECT_NE(d->message.find("cannot be a directory name"), std::string::npos) << id;
  }
  EXPECT_FALSE(unsafe_model_id_reason("Llama-3.2-3B-Instruct-q4f16_1-MLC").has_value());
  EXPECT_NE(unsafe_model_id_reason("a/b")->find("path separator"), std::string::npos);
}

TEST_F(PackageConfigTest, UnknownEntryKeyWarnsWithSuggestionButPasses) {
  auto config = parse(config_with_entries(hf_entry("m", R"(, "bundle_weights": true)")));
  ASSERT_TRUE(config.ok()) << config.error().to_string();
  const Diagnostic* d = at("$.model_list[0].bundle_weights", Severity::kWarning);
  ASSERT_NE(d, nullptr) << all();
  EXPECT_NE(d->message.find("unknown key \"bundle_weights\""), std::string::npos);
  EXPECT_EQ(d->hint, "did you mean \"bundle_weight\"?");
  EXPECT_FALSE(config->models[0].bundle_weight);
}

TEST_F(PackageConfigTest, UnknownTopLevelKeyWarnsAndSchemaKeyDoesNot) {
  auto config = parse(R"({"$schema": "x", "device": "android", "model_list": [],
                          "model_lib_paths_for_prepare_libs": {}})");
  ASSERT_TRUE(config.ok()) << config.error().to_string();
  const Diagnostic* d = at("$.model_lib_paths_for_prepare_libs", Severity::kWarning);
  ASSERT_NE(d, nullptr) << all();
  EXPECT_EQ(d->hint, "did you mean \"model_lib_path_for_prepare_libs\"?");
  EXPECT_EQ(at("$[\"$schema\"]", Severity::kWarning), nullptr) << all();
  EXPECT_NE(at("$.model_list", Severity::kWarning), nullptr) << all();  // empty list
}

TEST_F(PackageConfigTest, MlcOnlyOverridesAreAcceptedWithANote) {
  auto config = parse(config_with_entries(hf_entry(
      "m", R"(, "overrides": {"tensor_parallel_shards": 2, "opt": "O3", "max_batch_size": 4})")));
  ASSERT_TRUE(config.ok()) << config.error().to_string();
  const Diagnostic* d = at("$.model_list[0].overrides.tensor_parallel_shards", Severity::kNote);
  ASSERT_NE(d, nullptr) << all();
  EXPECT_NE(d->message.find("does not apply"), std::string::npos);
  EXPECT_NE(at("$.model_list[0].overrides.opt", Severity::kNote), nullptr) << all();
  EXPECT_FALSE(config->models[0].overrides.tensor_parallel_shards.has_value());
  EXPECT_EQ(config->models[0].overrides.max_batch_size, 4);
}

TEST_F(PackageConfigTest, OverrideValuesAreChecked) {
  EXPECT_FALSE(parse(config_with_entries(hf_entry(
      "m", R"(, "overrides": {"context_window_size": 0, "prefill_chunk_size": -1,
                              "sliding_window_size": 512.5, "attention_sink_size": -1})"))).ok());
  const Diagnostic* context = at("$.model_list[0].overrides.context_window_size");
  ASSERT_NE(context, nullptr) << all();
  EXPECT_NE(context->message.find("or -1 for none, found 0"), std::string::npos);
  ASSERT_NE(at("$.model_list[0].overrides.prefill_chunk_size"), nullptr) << all();
  EXPECT_NE(at("$.model_list[0].overrides.prefill_chunk_size")->message.find("integer > 0, found -1"),
            std::string::npos);
  EXPECT_NE(at("$.model_list[0].overrides.sliding_window_size"), nullptr) << all();
  EXPECT_EQ(at("$.model_list[0].overrides.attention_sink_size"), nullptr) << all();  // -1 is fine
  EXPECT_EQ(diags_.count(Severity::kError), 3u) << all();
}

TEST_F(PackageConfigTest, UnknownOverrideKeyGetsASuggestion) {
  ASSERT_TRUE(parse(config_with_entries(hf_entry("m", R"(, "overrides": {"context_window": 8})"))).ok());
  const Diagnostic* d = at("$.model_list[0].overrides.context_window", Severity::kWarning);
  ASSERT_NE(d, nullptr) << all();
  EXPECT_EQ(d->hint, "did you mean \"context_window_size\"?");
}

TEST_F(PackageConfigTest, PrefillLargerThanContextWarns) {
  ASSERT_TRUE(parse(config_with_entries(hf_entry(
      "m", R"(, "overrides": {"context_window_size": 512, "prefill_chunk_size": 1024})"))).ok());
  const Diagnostic* d = at("$.model_list[0].overrides.prefill_chunk_size", Severity::kWarning);
  ASSERT_NE(d, nullptr) << all();
  EXPECT_NE(d->message.find("the library uses 512"), std::string::npos);
}

TEST_F(PackageConfigTest, LocalModelWithoutBundleWeightIsAnError) {
  EXPECT_FALSE(parse(config_with_entries(
      R"({"model": "../dist/m", "model_id": "m", "estimated_vram_bytes": 1})")).ok());
  const Diagnostic* d = at("$.model_list[0]");
  ASSERT_NE(d, nullptr) << all();
  EXPECT_NE(d->message.find("is a local path, so it needs \"bundle_weight\": true"), std::string::npos);
  EXPECT_NE(d->hint.find("cannot download"), std::string::npos);
}

TEST_F(PackageConfigTest, LocalModelResolvesAgainstTheConfigDirectory) {
  auto config = parse(config_with_entries(
      R"({"model": "../dist/m", "model_id": "m", "estimated_vram_bytes": 1, "bundle_weight": true})"));
  ASSERT_TRUE(config.ok()) << config.error().to_string();
  EXPECT_TRUE(config->models[0].source.is_local());
  EXPECT_EQ(config->models[0].source.local_dir, std::filesystem::path("/app/dist/m"));
}

TEST_F(PackageConfigTest, ModelLibMustBecomeACIdentifier) {
  EXPECT_FALSE(parse(config_with_entries(hf_entry("m", R"(, "model_lib": "gpt neox")"))).ok());
  ASSERT_NE(at("$.model_list[0].model_lib"), nullptr) << all();
  EXPECT_NE(at("$.model_list[0].model_lib")->message.find("\"gpt neox\" is not a C identifier"),
            std::string::npos);
  auto config = parse(config_with_entries(hf_entry("m", R"(, "model_lib": "gpt-neox_q4f16_1")")));
  ASSERT_TRUE(config.ok()) << all();
  EXPECT_EQ(config->models[0].model_lib, "gpt-neox_q4f16_1");
}

TEST_F(PackageConfigTest, OneModelLibForTwoDifferentModelsIsAnError) {
  EXPECT_FALSE(parse(config_with_entries(hf_entry("a", R"(, "model_lib": "llama_q4")") + "," +
                                         hf_entry("b", R"(, "model_lib": "llama_q4")")))
                   .ok());
  const Diagnostic* d = at("$.model_list[1].model_lib");
  ASSERT_NE(d, nullptr) << all();
  EXPECT_NE(d->message.find("also used by $.model_list[0]"), std::string::npos);
}

TEST_F(PackageConfigTest, OneModelLibSharedThroughAPrebuiltLibraryIsFine) {
  auto config = parse(R"({"device": "iphone", "model_list": [
      {"model": "HF://o/a", "model_id": "a", "estimated_vram_bytes": 1, "model_lib": "llama_q4"},
      {"model": "HF://o/b", "model_id": "b", "estimated_vram_bytes": 1, "model_lib": "llama_q4"}],
      "model_lib_path_for_prepare_libs": {"llama_q4": "../lib/llama.tar"}})");
  ASSERT_TRUE(config.ok()) << all();
  ASSERT_EQ(config->model_lib_path_for_prepare_libs.size(), 1u);
  EXPECT_EQ(config->model_lib_path_for_prepare_libs[0].first, "llama_q4");
  EXPECT_EQ(config->model_lib_path_for_prepare_libs[0].second,
            std::filesystem::path("/app/lib/llama.tar"));
}

TEST_F(PackageConfigTest, UnusedPrebuiltLibraryWarns) {
  ASSERT_TRUE(parse(R"({"device": "iphone", "model_list": [],
      "model_lib_path_for_prepare_libs": {"orphan-lib": "x.tar"}})").ok());
  const Diagnostic* d = at("$.model_lib_path_for_prepare_libs[\"orphan-lib\"]", Severity::kWarning);
  ASSERT_NE(d, nullptr) << all();
  EXPECT_NE(d->message.find("no model_list entry"), std::string::npos);
}

TEST_F(PackageConfigTest, PrebuiltLibraryPathMustBeAString) {
  EXPECT_FALSE(parse(R"({"device": "iphone", "model_list": [],
      "model_lib_path_for_prepare_libs": {"lib": 3}})").ok());
  EXPECT_NE(at("$.model_lib_path_for_prepare_libs.lib"), nullptr) << all();
}

TEST_F(PackageConfigTest, InvalidJsonIsReportedAtTheRoot) {
  auto config = parse("{\"device\": \"iphone\",, }");
  ASSERT_FALSE(config.ok());
  const Diagnostic* d = at("$");
  ASSERT_NE(d, nullptr) << all();
  EXPECT_NE(d->message.find("not valid JSON"), std::string::npos);
  EXPECT_NE(d->message.find("line 1"), std::string::npos);
}

TEST_F(PackageConfigTest, NonObjectRootAndNonArrayModelListAreErrors) {
  EXPECT_FALSE(parse("[]").ok());
  ASSERT_NE(at("$"), nullptr) << all();
  EXPECT_NE(at("$")->message.find("found an array"), std::string::npos);
  EXPECT_FALSE(parse(R"({"device": "linux", "model_list": {}})").ok());
  EXPECT_NE(at("$.model_list"), nullptr) << all();
  EXPECT_FALSE(parse(R"({"device": "linux", "model_list": ["HF://o/r"]})").ok());
  EXPECT_NE(at("$.model_list[0]"), nullptr) << all();
}

// File-system checks, through load_package_config.

std::string chat_config(const std::string& model_type) {
  return R"({"model_type": ")" + model_type + R"(", "quantization": "q4f16_1",
             "model_config": {}, "vocab_size": 100, "context_window_size": 256})";
}

TEST(LoadPackageConfig, MissingFileIsNotFound) {
  testing::ScratchDir dir;
  Diagnostics diags;
  auto config = load_package_config(dir / "sphere-aae-package-config.json", &diags);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(config.error().message().find("does not exist"), std::string::npos);
  EXPECT_EQ(diags.count(Severity::kError), 1u);
}

TEST(LoadPackageConfig, LocalModelAndPrebuiltLibraryAreFoundBesideTheConfig) {
  testing::ScratchDir dir;
  std::filesystem::create_directories(dir / "models/m");
  std::filesystem::create_directories(dir / "app");
  testing::write_file(dir / "models/m/mlc-chat-config.json", chat_config("qwen2"));
  testing::write_file(dir / "models/m/tensor-cache.json", "{}");
  testing::write_file(dir / "app/qwen.tar", "x");
  testing::write_file(dir / "app/sphere-aae-package-config.json", R"({"device": "android",
      "model_list": [{"model": "../models/m", "model_id": "m", "estimated_vram_bytes": 5,
                      "bundle_weight": true, "model_lib": "qwen_q4"}],
      "model_lib_path_for_prepare_libs": {"qwen_q4": "qwen.tar"}})");
  Diagnostics diags;
  auto config = load_package_config(dir / "app/sphere-aae-package-config.json", &diags);
  ASSERT_TRUE(config.ok()) << config.error().to_string();
  EXPECT_TRUE(diags.items().empty());
  EXPECT_EQ(config->models[0].source.local_dir, (dir / "models/m").lexically_normal());
  EXPECT_EQ(config->model_lib_path_for_prepare_libs[0].second, dir / "app/qwen.tar");
}

TEST(LoadPackageConfig, LocalModelProblemsAndMissingPrebuiltLibraryAreAllReported) {
  testing::ScratchDir dir;
  std::filesystem::create_directories(dir / "m");
  testing::write_file(dir / "m/mlc-chat-config.json", chat_config("mixtral"));
  testing::write_file(dir / "sphere-aae-package-config.json", R"({"device": "iphone",
      "model_list": [{"model": "m", "model_id": "m", "estimated_vram_bytes": 5,
                      "bundle_weight": true, "model_lib": "g"}],
      "model_lib_path_for_prepare_libs": {"g": "missing.tar"}})");
  Diagnostics diags;
  auto config = load_package_config(dir / "sphere-aae-package-config.json", &diags);
  ASSERT_FALSE(config.ok());
  ASSERT_EQ(diags.count(Severity::kError), 3u) << config.error().to_string();
  EXPECT_EQ(diags.items()[0].json_path, "$.model_list[0].model");
  EXPECT_NE(diags.items()[0].message.find("mixtral"), std::string::npos);
  EXPECT_NE(diags.items()[1].message.find("tensor-cache.json"), std::string::npos);
  EXPECT_EQ(diags.items()[2].json_path, "$.model_lib_path_for_prepare_libs.g");
  EXPECT_NE(diags.items()[2].message.find("missing.tar\" does not exist"), std::string::npos);
}

TEST(SuggestKey, PrefersEditDistanceThenAUniquePrefix) {
  const std::vector<std::string> known = {"context_window_size", "sliding_window_size", "opt"};
  EXPECT_EQ(suggest_key("context_windw_size", known), "context_window_size");
  EXPECT_EQ(suggest_key("context_window", known), "context_window_size");
  EXPECT_EQ(suggest_key("sli", known), "");  // too short to guess from a prefix
  EXPECT_EQ(suggest_key("batch", known), "");
}

TEST(Diagnostics, JsonPathsQuoteKeysThatAreNotIdentifiers) {
  EXPECT_EQ(json_path_key("$", "device"), "$.device");
  EXPECT_EQ(json_path_key("$.libs", "gpt-neox"), "$.libs[\"gpt-neox\"]");
  EXPECT_EQ(json_path_key("$", "a\"b"), "$[\"a\\\"b\"]");
  EXPECT_EQ(json_path_index("$.model_list", 3), "$.model_list[3]");
}

TEST(Diagnostics, ToStringShowsSeverityPathAndHint) {
  Diagnostic d{Severity::kWarning, "$.x", "unknown key \"x\"", "did you mean \"y\"?"};
  EXPECT_EQ(d.to_string(), "warning: $.x: unknown key \"x\" (hint: did you mean \"y\"?)");
}

}  // namespace
}  // namespace aae
