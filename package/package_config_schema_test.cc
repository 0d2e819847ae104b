// docs/package-config.schema.json against the checker: the schema is valid JSON of draft
// 2020-12, and for a set of example configs the schema and the checker agree on which keys are
// known, which are missing, and what the accepted device and override names are. A tiny walker
// below follows properties / required / items / $ref / additionalProperties (no schema
// validator library).
#include <algorithm>
#include <filesystem>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "package/config_values.h"
#include "package/package_config.h"
#include "tests/support/test_support.h"

namespace aae {
namespace {

using Json = nlohmann::json;

Json load_schema() {
  const auto path = std::filesystem::path(__FILE__).parent_path().parent_path() / "docs" /
                    "package-config.schema.json";
  return Json::parse(testing::read_file(path), nullptr, /*allow_exceptions=*/false);
}

const Json& resolve(const Json& schema, const Json& node) {
  if (!node.contains("$ref")) return node;
  const std::string ref = node["$ref"].get<std::string>();  // "#/$defs/<name>"
  return schema["$defs"][ref.substr(std::string("#/$defs/").size())];
}

// What the schema's key rules say about `value`: "unknown <path>" and "missing <path>.<key>"
// findings, in JSONPath spelling as the checker uses.
void walk(const Json& schema, const Json& node_in, const Json& value, const std::string& path,
          std::set<std::string>* findings) {
  const Json& node = resolve(schema, node_in);
  if (value.is_object() && node.contains("properties")) {
    for (const auto& key : node.value("required", Json::array())) {
      if (!value.contains(key.get<std::string>())) {
        findings->insert("missing " + json_path_key(path, key.get<std::string>()));
      }
    }
    for (const auto& [key, item] : value.items()) {
      const std::string child = json_path_key(path, key);
      if (node["properties"].contains(key)) {
        walk(schema, node["properties"][key], item, child, findings);
      } else if (node.value("additionalProperties", true) == false) {
        findings->insert("unknown " + child);
      }
    }
  }
  if (value.is_array() && node.contains("items")) {
    for (size_t i = 0; i < value.size(); ++i) {
      walk(schema, node["items"], value[i], json_path_index(path, i), findings);
    }
  }
}

// The same findings from the checker: unknown-key warnings and missing-key errors (which the
// checker reports at the parent with the key named in the message).
std::set<std::string> checker_findings(const std::string& text) {
  Diagnostics diags;
  PackageConfigOptions options;
  options.check_files = false;
  (void)parse_package_config(text, "/app/sphere-aae-package-config.json", &diags, options);
  std::set<std::string> findings;
  for (const Diagnostic& d : diags.items()) {
    if (d.severity == Severity::kWarning && d.message.rfind("unknown key", 0) == 0) {
      findings.insert("unknown " + d.json_path);
    }
    const std::string prefix = "required key \"";
    if (d.severity == Severity::kError && d.message.rfind(prefix, 0) == 0) {
      const std::string key = d.message.substr(prefix.size(), d.message.find('"', prefix.size()) -
                                                                  prefix.size());
      findings.insert("missing " + json_path_key(d.json_path, key));
    }
  }
  return findings;
}

std::set<std::string> schema_findings(const Json& schema, const std::string& text) {
  std::set<std::string> findings;
  walk(schema, schema, Json::parse(text), "$", &findings);
  return findings;
}

// Every key the format has, in one file.
const char* kEveryKey = R"({
  "$schema": "../docs/package-config.schema.json",
  "device": "android",
  "model_list": [
    {"model": "HF://org/Qwen3-0.6B-q0f16", "model_id": "Qwen3-0.6B-q0f16",
     "estimated_vram_bytes": 3000000000, "bundle_weight": false, "model_lib": "qwen3_q0f16",
     "overrides": {"context_window_size": 2048, "sliding_window_size": -1,
                   "prefill_chunk_size": 128, "attention_sink_size": -1, "max_batch_size": 1,
                   "tensor_parallel_shards": 1, "pipeline_parallel_stages": 1,
                   "disaggregation": false, "opt": "O2"}}
  ],
  "model_lib_path_for_prepare_libs": {"qwen3_q0f16": "libs/qwen3.tar"}
})";

// MLC's own iOS config (first two entries), unchanged apart from the device list.
const char* kMlcIos = R"({
  "device": "iphone",
  "model_list": [
    {"model": "HF://mlc-ai/Llama-3.2-3B-Instruct-q4f16_1-MLC",
     "model_id": "Llama-3.2-3B-Instruct-q4f16_1-MLC", "estimated_vram_bytes": 3000000000,
     "overrides": {"prefill_chunk_size": 128, "context_window_size": 2048},
     "bundle_weight": true},
    {"model": "HF://mlc-ai/gemma-2-2b-it-q4f16_1-MLC", "model_id": "gemma-2-2b-q4f16_1-MLC",
     "estimated_vram_bytes": 3000000000, "overrides": {"prefill_chunk_size": 128}}
  ]
})";

// Typos and omissions at every level.
const char* kMistakes = R"({
  "device": "linux", "model_lists": [],
  "model_list": [
    {"model": "HF://o/a", "model_id": "a", "bundle_weights": true,
     "overrides": {"context_window": 512}},
    {"model_id": "b", "estimated_vram_bytes": 1, "quantization": "q4f16_1"}
  ]
})";

TEST(PackageConfigSchema, IsValidJsonOfDraft2020_12) {
  const Json schema = load_schema();
  ASSERT_FALSE(schema.is_discarded()) << "docs/package-config.schema.json is not valid JSON";
  EXPECT_EQ(schema.value("$schema", ""), "https://json-schema.org/draft/2020-12/schema");
  EXPECT_EQ(schema.value("type", ""), "object");
  EXPECT_TRUE(schema.contains("$defs"));
}

TEST(PackageConfigSchema, DevicesMatchTheChecker) {
  const Json schema = load_schema();
  std::vector<std::string> devices = schema["properties"]["device"]["enum"];
  EXPECT_EQ(devices, package_devices());
}

TEST(PackageConfigSchema, OverrideKeysMatchTheChecker) {
  const Json schema = load_schema();
  std::set<std::string> in_schema;
  for (const auto& [key, v] : schema["$defs"]["overrides"]["properties"].items()) in_schema.insert(key);
  std::set<std::string> in_checker(applied_override_keys().begin(), applied_override_keys().end());
  in_checker.insert(mlc_only_override_keys().begin(), mlc_only_override_keys().end());
  EXPECT_EQ(in_schema, in_checker);
}

TEST(PackageConfigSchema, ExampleWithEveryKeyIsCleanForBoth) {
  const Json schema = load_schema();
  EXPECT_TRUE(schema_findings(schema, kEveryKey).empty());
  EXPECT_TRUE(checker_findings(kEveryKey).empty());
}

TEST(PackageConfigSchema, MlcIosConfigIsCleanForBoth) {
  const Json schema = load_schema();
  EXPECT_TRUE(schema_findings(schema, kMlcIos).empty());
  EXPECT_TRUE(checker_findings(kMlcIos).empty());
}

TEST(PackageConfigSchema, MistakesAreFoundAtTheSamePathsByBoth) {
  const Json schema = load_schema();
  const std::set<std::string> expected = {
      "unknown $.model_lists",
      "unknown $.model_list[0].bundle_weights",
      "unknown $.model_list[0].overrides.context_window",
      "missing $.model_list[0].estimated_vram_bytes",
      "unknown $.model_list[1].quantization",
      "missing $.model_list[1].model",
  };
  EXPECT_EQ(schema_findings(schema, kMistakes), expected);
  EXPECT_EQ(checker_findings(kMistakes), expected);
}

}  // namespace
}  // namespace aae
