#include "hub/hub_config.h"

#include <gtest/gtest.h>

namespace aae::hub {
namespace {

TEST(ModelUrl, ParsesHfScheme) {
  auto ref = parse_model_url("HF://mlc-ai/Qwen2-0.5B-q4f16_1-MLC", kDefaultEndpoint);
  ASSERT_TRUE(ref.ok()) << ref.error().to_string();
  EXPECT_EQ(ref->org, "mlc-ai");
  EXPECT_EQ(ref->repo, "Qwen2-0.5B-q4f16_1-MLC");
  EXPECT_EQ(ref->revision, "main");
  EXPECT_FALSE(ref->pinned);
}

TEST(ModelUrl, ParsesPinnedRevision) {
  auto ref = parse_model_url("hf://org/repo@v1.2", kDefaultEndpoint);
  ASSERT_TRUE(ref.ok());
  EXPECT_EQ(ref->revision, "v1.2");
  EXPECT_TRUE(ref->pinned);
  EXPECT_EQ(ref->display(), "org/repo@v1.2");
}

TEST(ModelUrl, ParsesWebUrlWithTree) {
  auto plain = parse_model_url("https://huggingface.co/org/repo/", kDefaultEndpoint);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->repo, "repo");
  auto tree = parse_model_url("https://huggingface.co/org/repo/tree/abc123", kDefaultEndpoint);
  ASSERT_TRUE(tree.ok());
  EXPECT_EQ(tree->revision, "abc123");
  EXPECT_TRUE(tree->pinned);
}

TEST(ModelUrl, ParsesCustomEndpoint) {
  auto ref = parse_model_url("http://127.0.0.1:8080/org/repo", "http://127.0.0.1:8080/");
  ASSERT_TRUE(ref.ok()) << ref.error().to_string();
  EXPECT_EQ(ref->org, "org");
}

TEST(ModelUrl, RejectsOtherUrls) {
  for (const char* url : {"https://example.com/org/repo", "HF://org", "HF://org/repo/extra",
                          "HF://../repo", "HF://org/re po", "org/repo", "HF://org/repo@"}) {
    auto ref = parse_model_url(url, kDefaultEndpoint);
    EXPECT_FALSE(ref.ok()) << url;
    if (!ref.ok()) {
      EXPECT_NE(ref.error().to_string().find("invalid model url"), std::string::npos);
    }
  }
}

TEST(CachePolicy, ParsesTheFourValuesAndNamesThemOnError) {
  EXPECT_EQ(*parse_cache_policy(""), CachePolicy::kOn);
  EXPECT_EQ(*parse_cache_policy("off"), CachePolicy::kOff);
  EXPECT_EQ(*parse_cache_policy("REDO"), CachePolicy::kRedo);
  EXPECT_EQ(*parse_cache_policy("ReadOnly"), CachePolicy::kReadOnly);
  auto bad = parse_cache_policy("sometimes");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().hint().find("ON, OFF, REDO, READONLY"), std::string::npos);
}

TEST(CachePaths, PinnedRevisionGetsItsOwnDirectory) {
  ModelRef ref{"org", "repo", "main", false};
  EXPECT_EQ(model_cache_dir("/h", ref), std::filesystem::path("/h/model_weights/hf/org/repo"));
  ref.revision = "v2";
  ref.pinned = true;
  EXPECT_EQ(model_cache_dir("/h", ref), std::filesystem::path("/h/model_weights/hf/org/repo@v2"));
  EXPECT_EQ(readonly_cache_dir("/ro", ref), std::filesystem::path("/ro/hf/org/repo@v2"));
  EXPECT_EQ(staging_dir("/h", ref).parent_path().parent_path(), std::filesystem::path("/h/model_weights"));
}

TEST(HubEnvironment, ReadsHomeAndRoots) {
  ::setenv("SPHERE_AAE_HOME", "/tmp/aae-home", 1);
  ::setenv("SPHERE_AAE_READONLY_WEIGHT_CACHE", "/a:/b", 1);
  ::setenv("SPHERE_AAE_DOWNLOAD_CACHE_POLICY", "bogus", 1);
  EXPECT_FALSE(hub_environment_from_env().ok());
  ::setenv("SPHERE_AAE_DOWNLOAD_CACHE_POLICY", "OFF", 1);
  auto env = hub_environment_from_env();
  ::unsetenv("SPHERE_AAE_HOME");
  ::unsetenv("SPHERE_AAE_READONLY_WEIGHT_CACHE");
  ::unsetenv("SPHERE_AAE_DOWNLOAD_CACHE_POLICY");
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->home, std::filesystem::path("/tmp/aae-home"));
  ASSERT_EQ(env->readonly_roots.size(), 2u);
  EXPECT_EQ(env->policy, CachePolicy::kOff);
}

}  // namespace
}  // namespace aae::hub
