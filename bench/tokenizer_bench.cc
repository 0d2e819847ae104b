// Tokenizer throughput and load time.
//   AAE_BENCH_TOKENIZER_DIR=DIR tokenizer_bench
// DIR holds gpt-2/tokenizer.json and llama-spm/tokenizer.json (written by
//   sphere_aae gen_config ggml-vocab-X.gguf --quantization q0f32 --conv-template llama-2
//   --tokenizer-only -o DIR/X)
// and two 150k-token Qwen2.5 vocabularies for the load benchmarks:
//   qwen2.5/       vocab.json + merges.txt (+ added_tokens.json, tokenizer_config.json), as in
//                  an MLC model directory;
//   qwen2.5-json/  tokenizer.json holding the same vocab and merges (HF's Qwen2 layout: NFC,
//                  Split + ByteLevel pre-tokenizer, ByteLevel decoder, merges as "a b").
// Missing directories make the matching benchmarks skip. Load time is CPU time (the "CPU"
// column), which stays meaningful on a busy machine.
#include <cstdlib>
#include <filesystem>
#include <string>

#include <benchmark/benchmark.h>

#include "runtime/base/file_util.h"
#include "runtime/tokenizer/tokenizer.h"

namespace {

constexpr const char* kParagraph =
    "The old lighthouse keeper climbed the spiral stairs every evening, counting the steps "
    "as his father had taught him. There were one hundred and twelve of them, worn smooth in "
    "the middle by decades of boots. At the top he trimmed the wick, polished the great lens, "
    "and watched the ships slide past the rocks. Some nights the fog rolled in so thick that "
    "he could not see his own hands; on those nights he rang the bell until dawn, and in the "
    "morning the fishermen would nod to him in the harbour without saying a word. \"It's a "
    "quiet life,\" he told the children who visited in summer, \"but it's never an empty one.\"\n";

std::string prose_text() {
  std::string text;
  int n = 0;
  while (text.size() < 400 * 1024) text += kParagraph + std::string(n++ % 7 == 0 ? "\n" : "");
  return text;
}

std::string bench_dir(const char* name) {
  const char* root = std::getenv("AAE_BENCH_TOKENIZER_DIR");
  if (root == nullptr) return {};
  const std::filesystem::path dir = std::filesystem::path(root) / name;
  return std::filesystem::exists(dir) ? dir.string() : std::string();
}

void BM_Encode(benchmark::State& state, const char* name) {
  const std::string dir = bench_dir(name);
  if (dir.empty()) {
    state.SkipWithError("set AAE_BENCH_TOKENIZER_DIR (see the file comment)");
    return;
  }
  auto tokenizer = aae::Tokenizer::from_dir(dir);
  if (!tokenizer.ok()) {
    state.SkipWithError(tokenizer.error().to_string().c_str());
    return;
  }
  const std::string text = prose_text();
  size_t tokens = 0;
  for (auto _ : state) {
    auto ids = tokenizer->encode(text, false);
    tokens = ids.ok() ? ids->size() : 0;
    benchmark::DoNotOptimize(tokens);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["tokens"] = static_cast<double>(tokens);
}
BENCHMARK_CAPTURE(BM_Encode, gpt2, "gpt-2")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Encode, llama_spm, "llama-spm")->Unit(benchmark::kMillisecond);

void BM_Load(benchmark::State& state, const char* name) {
  const std::string dir = bench_dir(name);
  if (dir.empty()) {
    state.SkipWithError("no such directory under AAE_BENCH_TOKENIZER_DIR");
    return;
  }
  for (auto _ : state) {
    auto tokenizer = aae::Tokenizer::from_dir(dir);
    if (!tokenizer.ok()) {
      state.SkipWithError(tokenizer.error().to_string().c_str());
      return;
    }
    benchmark::DoNotOptimize(tokenizer->vocab_size());
  }
}
BENCHMARK_CAPTURE(BM_Load, qwen_vocab_merges, "qwen2.5")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Load, qwen_tokenizer_json, "qwen2.5-json")->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
