// Session against a hand-written fake library (plain C++ functions behind an AaeModelLib) and a
// hand-written model directory, so binding, chunking and errors are checked without a compiler.
#include "runtime/engine/session.h"

#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/base/half.h"
#include "tests/support/test_support.h"

namespace aae {
namespace {

constexpr int32_t kVocab = 5, kContext = 10, kChunk = 4;
constexpr uint32_t kMagic = 0x5e55u;

struct Call {
  int32_t n_tokens, position;
  bool wants_logits;
};
std::vector<Call> g_calls;

int32_t fake_prepare(const AaeHostApi* host, const void* const* params, void* state) {
  if (host == nullptr || host->abi_version != AAE_MODEL_LIB_ABI_VERSION) return 1;
  if (reinterpret_cast<uintptr_t>(state) % AAE_MODEL_LIB_STATE_ALIGN != 0) return 2;
  // The ABI's promise: every pointer aligned to its element size.
  if (reinterpret_cast<uintptr_t>(params[0]) % 4 || reinterpret_cast<uintptr_t>(params[1]) % 2 ||
      reinterpret_cast<uintptr_t>(params[2]) % 4)
    return 2;
  std::memcpy(state, &kMagic, 4);
  return 0;
}

int32_t fake_reset(const AaeHostApi*, void* state) {
  uint32_t magic;
  std::memcpy(&magic, state, 4);
  return magic == kMagic ? 0 : 5;
}

// logits = [a0 + a1 + a2, last token, last position, b[1][1], c[1]]
int32_t fake_prefill(const AaeHostApi* host, const void* const* params, void* state,
                     const int32_t* tokens, int32_t n, int32_t position, float* logits) {
  if (n < 1 || n > kChunk) return 2;
  if (position + n > kContext) return 3;
  if (fake_reset(host, state) != 0) return 5;
  g_calls.push_back({n, position, logits != nullptr});
  if (logits != nullptr) {
    const float* a = static_cast<const float*>(params[0]);
    const uint16_t* b = static_cast<const uint16_t*>(params[1]);
    const float* c = static_cast<const float*>(params[2]);
    logits[0] = a[0] + a[1] + a[2];
    logits[1] = static_cast<float>(tokens[n - 1]);
    logits[2] = static_cast<float>(position + n - 1);
    logits[3] = half_to_float(b[3]);
    logits[4] = c[1];
  }
  return 0;
}

int32_t fake_decode(const AaeHostApi* host, const void* const* params, void* state, int32_t token,
                    int32_t position, float* logits) {
  return fake_prefill(host, params, state, &token, 1, position, logits);
}

const char* kMetadata = R"({"abi_version":1,"model_lib":"fake_q0f32_0001","architecture":"llama",
"quantization":"q0f32","vocab_size":5,"context_window_size":10,"prefill_chunk_size":4,
"params":[{"name":"a","shape":[3],"dtype":"float32"},
          {"name":"b","shape":[2,2],"dtype":"float16"},
          {"name":"c","shape":[2],"dtype":"float32"}],
"memory":{"weight_bytes":28,"kv_cache_bytes":64,"workspace_bytes":64,"state_bytes":128}})";

const AaeModelLib kFake = {AAE_MODEL_LIB_ABI_VERSION, "fake_q0f32_0001", kMetadata, 3, 128, 64, 64,
                           kVocab, kContext, kChunk, 0, &fake_prepare, &fake_reset,
                           &fake_prefill, &fake_decode};

struct RecordSpec {
  std::string name, shape, dtype, format;
  std::vector<uint8_t> bytes;
  size_t offset;
};

// One shard holding the records at their offsets; a tensor-cache.json describing them.
void write_model_dir(const std::filesystem::path& dir, const std::vector<RecordSpec>& records) {
  size_t size = 0;
  for (const auto& r : records) size = std::max(size, r.offset + r.bytes.size());
  std::string shard(size, '\0');
  std::string entries;
  for (const auto& r : records) {
    std::memcpy(shard.data() + r.offset, r.bytes.data(), r.bytes.size());
    entries += std::string(entries.empty() ? "" : ",") + "{\"name\":\"" + r.name +
               "\",\"shape\":" + r.shape + ",\"dtype\":\"" + r.dtype + "\",\"format\":\"" +
               r.format + "\",\"nbytes\":" + std::to_string(r.bytes.size()) +
               ",\"byteOffset\":" + std::to_string(r.offset) + "}";
  }
  aae::testing::write_file(dir / "params_shard_0.bin", shard);
  aae::testing::write_file(
      dir / "tensor-cache.json",
      "{\"metadata\":{\"ParamSize\":" + std::to_string(records.size()) +
          ",\"ParamBytes\":" + std::to_string(size) + ".0,\"BitsPerParam\":16.0},\"records\":"
          "[{\"dataPath\":\"params_shard_0.bin\",\"format\":\"raw-shard\",\"nbytes\":" +
          std::to_string(size) + ",\"records\":[" + entries + "]}]}");
}

template <typename T>
std::vector<uint8_t> bytes_of(const std::vector<T>& v) {
  std::vector<uint8_t> out(v.size() * sizeof(T));
  std::memcpy(out.data(), v.data(), out.size());
  return out;
}

std::vector<RecordSpec> good_records() {
  const std::vector<uint16_t> b = {float_to_half(1), float_to_half(2), float_to_half(3),
                                   float_to_half(-2.5f)};
  const std::vector<uint16_t> c = {float_to_bfloat16(0.5f), float_to_bfloat16(-0.75f)};
  return {
      // offset 2: misaligned for float32, so the session must copy it
      {"a", "[3]", "float32", "raw", bytes_of(std::vector<float>{1.5f, 2.0f, 4.0f}), 2},
      {"b", "[2, 2]", "float16", "raw", bytes_of(b), 14},
      {"c", "[2]", "float32", "f32-to-bf16", bytes_of(c), 22},
  };
}

Result<Session> make_session(const std::filesystem::path& dir) {
  AAE_ASSIGN_OR_RETURN(ModelLib lib, ModelLib::from_descriptor(&kFake));
  AAE_ASSIGN_OR_RETURN(ModelWeights weights, ModelWeights::open(dir.string()));
  SessionOptions options;
  options.num_threads = 2;
  return Session::create(std::move(lib), std::move(weights), options);
}

TEST(Session, BindsCopiesMisalignedAndWidensBf16Params) {
  aae::testing::ScratchDir dir;
  write_model_dir(dir.path(), good_records());
  auto session = make_session(dir.path());
  ASSERT_TRUE(session.ok()) << session.error().to_string();
  EXPECT_EQ(session->copied_params(), 2u);  // a (misaligned) and c (bfloat16 -> float32)
  EXPECT_TRUE(session->logits().empty());
  const int32_t tokens[] = {3};
  ASSERT_TRUE(session->prefill(tokens).ok());
  auto logits = session->logits();
  ASSERT_EQ(logits.size(), static_cast<size_t>(kVocab));
  EXPECT_FLOAT_EQ(logits[0], 7.5f);
  EXPECT_FLOAT_EQ(logits[1], 3.0f);
  EXPECT_FLOAT_EQ(logits[3], -2.5f);
  EXPECT_FLOAT_EQ(logits[4], -0.75f);
}

TEST(Session, PrefillSplitsIntoChunksAndAsksForLogitsOnlyOnce) {
  aae::testing::ScratchDir dir;
  write_model_dir(dir.path(), good_records());
  auto session = make_session(dir.path());
  ASSERT_TRUE(session.ok()) << session.error().to_string();
  g_calls.clear();
  const std::vector<int32_t> tokens = {1, 2, 3, 4, 0, 1, 2, 4, 3};  // 9 = 4 + 4 + 1
  ASSERT_TRUE(session->prefill(tokens).ok());
  ASSERT_EQ(g_calls.size(), 3u);
  EXPECT_EQ(g_calls[0].n_tokens, 4);
  EXPECT_EQ(g_calls[0].position, 0);
  EXPECT_FALSE(g_calls[0].wants_logits);
  EXPECT_EQ(g_calls[1].position, 4);
  EXPECT_FALSE(g_calls[1].wants_logits);
  EXPECT_EQ(g_calls[2].n_tokens, 1);
  EXPECT_EQ(g_calls[2].position, 8);
  EXPECT_TRUE(g_calls[2].wants_logits);
  EXPECT_EQ(session->position(), 9);
  EXPECT_FLOAT_EQ(session->logits()[1], 3.0f);
  EXPECT_FLOAT_EQ(session->logits()[2], 8.0f);
  ASSERT_TRUE(session->decode(2).ok());
  EXPECT_EQ(session->position(), 10);
  EXPECT_FLOAT_EQ(session->logits()[2], 9.0f);
}

TEST(Session, TruncateRewindsThePositionTheNextCallWritesAt) {
  aae::testing::ScratchDir dir;
  write_model_dir(dir.path(), good_records());
  auto session = make_session(dir.path());
  ASSERT_TRUE(session.ok()) << session.error().to_string();
  const std::vector<int32_t> six = {1, 2, 3, 4, 0, 1};
  ASSERT_TRUE(session->prefill(six).ok());
  ASSERT_TRUE(session->truncate(3).ok());
  EXPECT_EQ(session->position(), 3);
  EXPECT_TRUE(session->logits().empty());
  g_calls.clear();
  const std::vector<int32_t> two = {4, 2};
  ASSERT_TRUE(session->prefill(two).ok());
  ASSERT_EQ(g_calls.size(), 1u);
  EXPECT_EQ(g_calls[0].position, 3);
  EXPECT_FLOAT_EQ(session->logits()[2], 4.0f);  // last position written: 3 + 2 - 1
  EXPECT_EQ(session->position(), 5);
  // Only backwards: past the end or negative is an argument error that changes nothing.
  Status s = session->truncate(6);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(session->truncate(-1).ok());
  EXPECT_EQ(session->position(), 5);
  ASSERT_TRUE(session->truncate(0).ok());
  EXPECT_EQ(session->position(), 0);
}

TEST(Session, ContextOverflowIsAnErrorThatRunsNothing) {
  aae::testing::ScratchDir dir;
  write_model_dir(dir.path(), good_records());
  auto session = make_session(dir.path());
  ASSERT_TRUE(session.ok()) << session.error().to_string();
  const std::vector<int32_t> eight(8, 1);
  ASSERT_TRUE(session->prefill(eight).ok());
  g_calls.clear();
  const std::vector<int32_t> three(3, 1);
  Status s = session->prefill(three);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kContextOverflow);
  EXPECT_NE(s.error().message().find("position 8 + 3 tokens"), std::string::npos)
      << s.error().message();
  EXPECT_NE(s.error().message().find("10"), std::string::npos);
  EXPECT_TRUE(g_calls.empty());
  EXPECT_EQ(session->position(), 8);
  ASSERT_TRUE(session->reset().ok());
  EXPECT_EQ(session->position(), 0);
  EXPECT_TRUE(session->prefill(three).ok());
}

TEST(Session, RejectsEmptyInputAndOutOfVocabularyTokens) {
  aae::testing::ScratchDir dir;
  write_model_dir(dir.path(), good_records());
  auto session = make_session(dir.path());
  ASSERT_TRUE(session.ok()) << session.error().to_string();
  Status empty = session->prefill({});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code(), ErrorCode::kInvalidArgument);
  Status bad = session->decode(kVocab);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(session->position(), 0);
}

TEST(Session, MismatchingWeightsListEveryProblemFirstOneFirst) {
  aae::testing::ScratchDir dir;
  auto records = good_records();
  records[1].dtype = "uint32";  // b: [2, 2] uint32 would be 16 bytes
  records[1].shape = "[2]";
  records.pop_back();  // c missing
  write_model_dir(dir.path(), records);
  auto session = make_session(dir.path());
  ASSERT_FALSE(session.ok());
  const Error& e = session.error();
  EXPECT_EQ(e.code(), ErrorCode::kMismatch);
  EXPECT_EQ(e.message(),
            "parameter \"b\": library expects [2, 2] float16, tensor-cache.json has [2] uint32");
  ASSERT_EQ(e.causes().size(), 1u);
  EXPECT_NE(e.causes()[0].find("parameter \"c\""), std::string::npos);
  EXPECT_NE(e.causes()[0].find("no such tensor"), std::string::npos);
  EXPECT_NE(e.hint().find("fake_q0f32_0001"), std::string::npos);
  EXPECT_NE(e.hint().find("recompile"), std::string::npos);
}

}  // namespace
}  // namespace aae
