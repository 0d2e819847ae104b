#include "tools/make_example_model/make_model.h"

#include <cstdio>
#include <system_error>

#include <fmt/format.h>

#include "runtime/base/file_util.h"
#include "tools/make_example_model/config_files.h"
#include "tools/make_example_model/model_spec.h"
#include "tools/make_example_model/output_dir.h"
#include "tools/make_example_model/tokenizer_files.h"
#include "tools/make_example_model/weight_writer.h"
#include "tools/make_example_model/weights.h"

namespace aae::example {
namespace {

constexpr uint64_t kGiB = uint64_t{1} << 30;
constexpr uint64_t kSingleFileLimit = 2 * kGiB;
constexpr uint64_t kDefaultShardSize = kGiB;
// Room for the JSON files and safetensors headers on top of the tensor data.
constexpr uint64_t kSpaceMargin = 64ull << 20;

Status check_free_space(const std::filesystem::path& final_dir, uint64_t needed) {
  std::error_code ec;
  // The parent may not exist yet; look at the nearest existing ancestor.
  std::filesystem::path probe = final_dir.parent_path();
  while (!probe.empty() && !std::filesystem::exists(probe, ec) && probe != probe.root_path()) probe = probe.parent_path();
  const std::filesystem::space_info space = std::filesystem::space(probe, ec);
  if (ec) return ok_status();  // unknown: let the writes report a real error if it comes to that
  if (space.available < needed) {
    return Error(fmt::format("not enough free space in {}: the model needs {:.2f} GiB, {:.2f} GiB available",
                             probe.string(), needed / double(kGiB), space.available / double(kGiB)),
                 "free some space, choose another -o, or use a smaller --dtype");
  }
  return ok_status();
}

Status write_text(const std::filesystem::path& dir, const char* name, const std::string& text) {
  return write_file_atomic((dir / name).string(), text);
}

}  // namespace

Result<MakeSummary> make_example_model(const MakeOptions& options) {
  AAE_ASSIGN_OR_RETURN(ModelSpec spec, make_model_spec(options.arch, options.preset, options.dtype));
  if (options.max_shard_bytes && *options.max_shard_bytes == 0) {
    return Error("--max-shard-size must be greater than zero");
  }
  const std::filesystem::path final_dir = normalize_dir(options.output);
  AAE_TRY(check_output_dir(final_dir, options.force));

  AAE_ASSIGN_OR_RETURN(ExampleTokenizer tokenizer, build_tokenizer(spec));
  spec.vocab_size = tokenizer.size();
  const SpecialIds ids = special_ids(tokenizer);

  const std::vector<PlannedTensor> tensors = plan_tensors(spec);
  uint64_t total = 0;
  for (const auto& tensor : tensors) total += static_cast<uint64_t>(tensor.numel()) * dtype_size(spec.dtype);
  const uint64_t single_file_limit = options.max_shard_bytes.value_or(kSingleFileLimit);
  const uint64_t shard_size = options.max_shard_bytes.value_or(kDefaultShardSize);
  const ShardPlan plan = plan_shards(tensors, spec.dtype, shard_size, spec.big || total > single_file_limit);
  AAE_TRY(check_free_space(final_dir, total + kSpaceMargin));

  if (spec.big) {
    std::fprintf(stderr, "making %s (%s, %s): %zu tensors, %.2f GiB in %zu files\n", spec.preset.c_str(),
                 spec.model_type.c_str(), std::string(dtype_name(spec.dtype)).c_str(), tensors.size(),
                 total / double(kGiB), plan.shards.size());
  }
  AAE_ASSIGN_OR_RETURN(StagingDir staging, StagingDir::create(final_dir));
  const std::filesystem::path& dir = staging.path();
  AAE_TRY(write_text(dir, "config.json", config_json(spec, ids)));
  AAE_TRY(write_text(dir, "generation_config.json", generation_config_json(spec, ids)));
  AAE_TRY(write_text(dir, "tokenizer.json", tokenizer_json(tokenizer)));
  AAE_TRY(write_text(dir, "tokenizer_config.json", tokenizer_config_json(tokenizer, spec)));
  WeightOptions weight_options;
  weight_options.seed = options.seed;
  weight_options.progress = spec.big;
  AAE_ASSIGN_OR_RETURN(WeightSummary weights, write_weights(dir, tensors, spec.dtype, plan, weight_options));
  AAE_TRY(staging.commit(options.force));

  MakeSummary summary;
  summary.directory = final_dir;
  summary.vocab_size = spec.vocab_size;
  summary.tensor_count = weights.tensor_count;
  summary.weight_files = weights.file_count;
  summary.weight_bytes = weights.total_bytes;
  return summary;
}

}  // namespace aae::example
