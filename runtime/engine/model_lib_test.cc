#include "runtime/engine/model_lib.h"

#include <string>

#include <gtest/gtest.h>

namespace aae {
namespace {

const char* kMetadata = R"({"abi_version":1,"model_lib":"toy_q0f32_abc","architecture":"llama",
"quantization":"q0f32","model_config":{},"vocab_size":5,"context_window_size":8,
"prefill_chunk_size":4,"sliding_window_size":-1,"attention_sink_size":0,
"params":[{"name":"model.embed_tokens.weight","shape":[5,2],"dtype":"float32"},
          {"name":"model.norm.weight","shape":[2],"dtype":"float16"}],
"memory":{"weight_bytes":44,"kv_cache_bytes":64,"workspace_bytes":64,"repacked_weight_bytes":0,
          "state_bytes":128}})";

int32_t ok_prepare(const AaeHostApi*, const void* const*, void*) { return 0; }
int32_t ok_reset(const AaeHostApi*, void*) { return 0; }
int32_t ok_prefill(const AaeHostApi*, const void* const*, void*, const int32_t*, int32_t, int32_t,
                   float*) {
  return 0;
}
int32_t ok_decode(const AaeHostApi*, const void* const*, void*, int32_t, int32_t, float*) {
  return 0;
}

AaeModelLib toy_descriptor() {
  return AaeModelLib{AAE_MODEL_LIB_ABI_VERSION, "toy_q0f32_abc", kMetadata, 2, 128, 64, 64, 5, 8,
                     4, 0, &ok_prepare, &ok_reset, &ok_prefill, &ok_decode};
}

TEST(ModelLibMetadata, ParsesEveryField) {
  auto info = parse_model_lib_metadata(kMetadata, "toy.so");
  ASSERT_TRUE(info.ok()) << info.error().to_string();
  EXPECT_EQ(info->abi_version, 1);
  EXPECT_EQ(info->model_lib, "toy_q0f32_abc");
  EXPECT_EQ(info->architecture, "llama");
  EXPECT_EQ(info->quantization, "q0f32");
  EXPECT_EQ(info->vocab_size, 5);
  EXPECT_EQ(info->context_window_size, 8);
  EXPECT_EQ(info->prefill_chunk_size, 4);
  EXPECT_EQ(info->sliding_window_size, -1);
  ASSERT_EQ(info->params.size(), 2u);
  EXPECT_EQ(info->params[1].name, "model.norm.weight");
  EXPECT_EQ(info->params[1].shape, std::vector<int64_t>({2}));
  EXPECT_EQ(info->params[1].dtype, DType::kFloat16);
  EXPECT_EQ(info->state_bytes, 128);
  EXPECT_EQ(info->kv_cache_bytes, 64);
}

TEST(ModelLibMetadata, MalformedJsonNamesTheLibraryAndPosition) {
  auto info = parse_model_lib_metadata("{\"abi_version\": 1,", "lib/toy.so");
  ASSERT_FALSE(info.ok());
  EXPECT_NE(info.error().message().find("lib/toy.so"), std::string::npos);
  EXPECT_NE(info.error().message().find("line 1"), std::string::npos) << info.error().message();
}

TEST(ModelLibMetadata, MissingFieldNamesIt) {
  std::string text = kMetadata;
  text.replace(text.find("\"prefill_chunk_size\""), 20, "\"prefill_chunk\"");
  auto info = parse_model_lib_metadata(text, "toy.so");
  ASSERT_FALSE(info.ok());
  EXPECT_NE(info.error().message().find("prefill_chunk_size"), std::string::npos)
      << info.error().message();
}

TEST(ModelLibMetadata, UnknownDtypeNamesTheJsonPath) {
  std::string text = kMetadata;
  text.replace(text.find("\"float16\""), 9, "\"float8\"");
  auto info = parse_model_lib_metadata(text, "toy.so");
  ASSERT_FALSE(info.ok());
  EXPECT_NE(info.error().message().find("params[1].dtype"), std::string::npos)
      << info.error().message();
  EXPECT_NE(info.error().message().find("float8"), std::string::npos);
}

TEST(ModelLibMetadata, NegativeShapeIsRejected) {
  std::string text = kMetadata;
  text.replace(text.find("[5,2]"), 5, "[5,-2]");
  auto info = parse_model_lib_metadata(text, "toy.so");
  ASSERT_FALSE(info.ok());
  EXPECT_NE(info.error().message().find("params[0].shape[1]"), std::string::npos)
      << info.error().message();
}

TEST(ModelLib, FromDescriptorAcceptsAConsistentLibrary) {
  static const AaeModelLib d = toy_descriptor();
  auto lib = ModelLib::from_descriptor(&d);
  ASSERT_TRUE(lib.ok()) << lib.error().to_string();
  EXPECT_EQ(lib->origin(), "linked-in toy_q0f32_abc");
  EXPECT_EQ(lib->info().params.size(), 2u);
  EXPECT_EQ(&lib->descriptor(), &d);
}

TEST(ModelLib, AbiMismatchIsAnErrorWithARebuildHint) {
  static AaeModelLib d = toy_descriptor();
  d.abi_version = 99;
  auto lib = ModelLib::from_descriptor(&d);
  ASSERT_FALSE(lib.ok());
  EXPECT_EQ(lib.error().code(), ErrorCode::kMismatch);
  EXPECT_NE(lib.error().message().find("ABI version 99"), std::string::npos);
  EXPECT_NE(lib.error().hint().find("sphere_aae compile"), std::string::npos);
}

TEST(ModelLib, DescriptorAndMetadataDisagreementListsEveryField) {
  static AaeModelLib d = toy_descriptor();
  d.num_params = 3;
  d.vocab_size = 6;
  d.prefill_chunk_size = 2;
  auto lib = ModelLib::from_descriptor(&d);
  ASSERT_FALSE(lib.ok());
  const std::string all = lib.error().to_string();
  EXPECT_NE(all.find("num_params: descriptor 3, metadata 2"), std::string::npos) << all;
  EXPECT_NE(all.find("vocab_size: descriptor 6, metadata 5"), std::string::npos) << all;
  EXPECT_NE(all.find("prefill_chunk_size: descriptor 2, metadata 4"), std::string::npos) << all;
}

TEST(ModelLib, NullDescriptorIsAnArgumentError) {
  auto lib = ModelLib::from_descriptor(nullptr);
  ASSERT_FALSE(lib.ok());
  EXPECT_EQ(lib.error().code(), ErrorCode::kInvalidArgument);
}

TEST(ModelLib, OpenSharedOnAMissingFileNamesThePath) {
  auto lib = ModelLib::open_shared("/nonexistent/dir/lib.so");
  ASSERT_FALSE(lib.ok());
  EXPECT_EQ(lib.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(lib.error().message().find("/nonexistent/dir/lib.so"), std::string::npos);
}

TEST(ModelLib, OpenSharedOnANonLibraryFileSaysSo) {
  // A file that is not an ELF object: dlopen itself refuses it.
  const std::string path = ::testing::TempDir() + "/not_a_library.so";
  FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fputs("hello", f);
  std::fclose(f);
  auto lib = ModelLib::open_shared(path);
  std::remove(path.c_str());
  ASSERT_FALSE(lib.ok());
  EXPECT_NE(lib.error().message().find(path), std::string::npos) << lib.error().message();
}

}  // namespace
}  // namespace aae
