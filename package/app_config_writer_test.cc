#include "package/app_config_writer.h"

#include <gtest/gtest.h>

namespace aae {
namespace {

std::vector<AppConfigEntry> two_entries() {
  return {{"Llama-3.2-3B-Instruct-q4f16_1-MLC", "llama_q4f16_1_0123", "Llama-3.2-3B-Instruct-q4f16_1-MLC",
           "", 3000000000},
          {"gemma", "gemma2_q4f16_1_fedc", "", "https://huggingface.co/mlc-ai/gemma-2-2b-it-q4f16_1-MLC",
           5}};
}

TEST(AppConfigWriter, WritesMlcKeyOrderWithTwoSpaceIndent) {
  const std::string text = app_config_json(two_entries());
  const std::string expected =
      "{\n"
      "  \"model_list\": [\n"
      "    {\n"
      "      \"model_id\": \"Llama-3.2-3B-Instruct-q4f16_1-MLC\",\n"
      "      \"model_lib\": \"llama_q4f16_1_0123\",\n"
      "      \"model_path\": \"Llama-3.2-3B-Instruct-q4f16_1-MLC\",\n"
      "      \"estimated_vram_bytes\": 3000000000\n"
      "    },\n"
      "    {\n"
      "      \"model_id\": \"gemma\",\n"
      "      \"model_lib\": \"gemma2_q4f16_1_fedc\",\n"
      "      \"model_url\": \"https://huggingface.co/mlc-ai/gemma-2-2b-it-q4f16_1-MLC\",\n"
      "      \"estimated_vram_bytes\": 5\n"
      "    }\n"
      "  ]\n"
      "}\n";
  EXPECT_EQ(text, expected);
}

TEST(AppConfigWriter, RuntimeReaderReadsWhatPackageWrites) {
  const auto entries = two_entries();
  auto parsed = parse_app_config(app_config_json(entries), "app-config");
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].model_path, entries[0].model_path);
  EXPECT_EQ((*parsed)[1].model_url, entries[1].model_url);
  EXPECT_EQ((*parsed)[0].estimated_vram_bytes, 3000000000);
  auto found = find_app_config_entry(*parsed, "gemma");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->model_lib, "gemma2_q4f16_1_fedc");
}

TEST(AppConfigWriter, EmptyListIsStillAnObjectWithModelList) {
  EXPECT_EQ(app_config_json({}), "{\n  \"model_list\": []\n}\n");
}

}  // namespace
}  // namespace aae
