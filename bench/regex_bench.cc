// Throughput of the tokenizer regex engine on the pre-tokenizer patterns real tokenizers use,
// over English prose and mixed scripts (bytes/s as reported by Google Benchmark).
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "runtime/tokenizer/regex.h"
#include "runtime/tokenizer/utf8.h"

namespace {

const char kProse[] =
    "It was the best of times, it was the worst of times, it was the age of wisdom, it was the "
    "age of foolishness. We'd all been there before: 42 people, 3.14 pies, and a dog named "
    "\"Rex\" who didn't care.\nShe said, \"I'll be back by 10:30 -- don't wait up!\"  Then she "
    "left.\r\n";
const char kMixed[] =
    "Привет, мир! Это тест. 你好，世界。今天是2024年。 こんにちは、世界！ 안녕하세요 세계 😀👍 "
    "naïve café — résumé\n";

const char kGpt2[] = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
const char kLlama3[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+"
    "[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

void BM_FindAll(benchmark::State& state, const char* pattern, const char* sample) {
  std::string text;
  while (text.size() < 1'000'000) text += sample;
  const std::vector<char32_t> cps = aae::tokenizer::code_points(text);
  const std::u32string u32(cps.begin(), cps.end());
  auto regex = aae::tokenizer::Regex::compile(pattern);
  if (!regex.ok()) {
    state.SkipWithError(regex.error().to_string().c_str());
    return;
  }
  size_t pieces = 0;
  for (auto _ : state) {
    auto matches = regex->find_all(u32);
    pieces = matches.ok() ? matches->size() : 0;
    benchmark::DoNotOptimize(pieces);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(text.size()));
  state.counters["pieces"] = static_cast<double>(pieces);
}

BENCHMARK_CAPTURE(BM_FindAll, gpt2_prose, kGpt2, kProse)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_FindAll, llama3_prose, kLlama3, kProse)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_FindAll, gpt2_mixed, kGpt2, kMixed)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_FindAll, llama3_mixed, kLlama3, kMixed)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
