#include "runtime/format/app_config.h"

#include <gtest/gtest.h>

namespace aae {
namespace {

TEST(AppConfig, ParsesMlcAppConfig) {
  auto entries = parse_app_config(R"({"model_list": [
      {"model_id": "a", "model_lib": "llama_q4f16_1_x", "model_path": "a",
       "estimated_vram_bytes": 100},
      {"model_id": "b", "model_lib": "qwen2_q4f16_1_y",
       "model_url": "https://huggingface.co/o/r"}]})",
                                  "mlc-app-config.json");
  ASSERT_TRUE(entries.ok()) << entries.error().to_string();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].model_path, "a");
  EXPECT_EQ((*entries)[0].estimated_vram_bytes, 100);
  EXPECT_EQ((*entries)[1].model_url, "https://huggingface.co/o/r");
  EXPECT_EQ((*entries)[1].estimated_vram_bytes, 0);
}

TEST(AppConfig, ErrorsNameTheFileAndJsonPath) {
  auto missing = parse_app_config(R"({"model_list": [{"model_id": "a"}]})", "cfg.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().to_string().find("cfg.json"), std::string::npos);
  EXPECT_NE(missing.error().to_string().find("model_list[0]"), std::string::npos);
  EXPECT_NE(missing.error().to_string().find("model_lib"), std::string::npos);

  auto both = parse_app_config(
      R"({"model_list": [{"model_id": "a", "model_lib": "l", "model_path": "p",
                          "model_url": "u"}]})",
      "cfg.json");
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.error().to_string().find("exactly one of"), std::string::npos);

  auto not_json = parse_app_config("{", "cfg.json");
  ASSERT_FALSE(not_json.ok());
  EXPECT_NE(not_json.error().to_string().find("not valid JSON"), std::string::npos);
}

TEST(AppConfig, UnknownModelIdListsTheKnownOnes) {
  std::vector<AppConfigEntry> entries = {{"a", "l", "a", "", 0}, {"b", "l", "b", "", 0}};
  auto found = find_app_config_entry(entries, "c");
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(found.error().hint().find("a, b"), std::string::npos);
}

}  // namespace
}  // namespace aae
