// The convert_weight driver: open the source, derive MLC's parameter list, check every source
// tensor up front (so a mismatched checkpoint fails before anything is written), then read,
// fuse, encode and write one parameter at a time.
#include "convert/convert_weight.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <set>
#include <system_error>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "convert/convert_weight_output.h"
#include "convert/convert_weight_progress.h"
#include "convert/model/model.h"
#include "convert/quantize.h"
#include "convert/source/gguf.h"
#include "convert/source/safetensors.h"
#include "convert/tensor_cache_writer.h"
#include "runtime/base/file_util.h"
#include "runtime/base/half.h"
#include "runtime/format/quantization.h"

namespace aae {
namespace fs = std::filesystem;

namespace {

// At most this many names in one error or warning line.
constexpr size_t kMaxListedNames = 20;

struct OpenedSource {
  std::unique_ptr<TensorSource> tensors;
  nlohmann::json hf_config;  // config.json, or derived from GGUF metadata
};

std::string list_names(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < kMaxListedNames; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > kMaxListedNames) out += fmt::format(" and {} more", names.size() - kMaxListedNames);
  return out;
}

int64_t numel(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

Result<nlohmann::json> read_hf_config(const fs::path& model_dir) {
  const fs::path path = model_dir / "config.json";
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    return Error("no config.json in " + model_dir.string(),
                 "pass a Hugging Face model directory (config.json + *.safetensors) or a .gguf file");
  AAE_ASSIGN_OR_RETURN(std::string text, read_file(path.string()));
  nlohmann::json config = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (config.is_discarded()) return Error(path.string() + ": not valid JSON");
  if (!config.is_object()) return Error(path.string() + ": expected a JSON object");
  return config;
}

Result<OpenedSource> open_source(const fs::path& source) {
  std::error_code ec;
  OpenedSource opened;
  if (fs::is_directory(source, ec)) {
    AAE_ASSIGN_OR_RETURN(opened.hf_config, read_hf_config(source));
    AAE_ASSIGN_OR_RETURN(opened.tensors, open_safetensors(source));
    return opened;
  }
  if (fs::is_regular_file(source, ec)) {
    if (source.extension() != ".gguf")
      return Error("not a directory or a .gguf file",
                   "pass a Hugging Face model directory (config.json + *.safetensors) or a .gguf file");
    AAE_ASSIGN_OR_RETURN(GgufFile gguf, GgufFile::open(source));
    AAE_ASSIGN_OR_RETURN(opened.hf_config, gguf_llama_hf_config(gguf));
    AAE_ASSIGN_OR_RETURN(opened.tensors, open_gguf_llama(source));
    return opened;
  }
  return Error("no such file or directory");
}

// The shape of the sources of `plan` concatenated along axis 0; an error names what is wrong.
Result<std::vector<int64_t>> fused_shape(const TensorSource& source, const ParamPlan& plan) {
  std::vector<int64_t> shape;
  std::string parts;
  for (const auto& name : plan.sources) {
    const SourceTensor* tensor = source.find(name);  // presence was checked by the caller
    parts += (parts.empty() ? "" : " + ") + name + " " + format_shape(tensor->shape);
    if (shape.empty()) {
      shape = tensor->shape;
      continue;
    }
    const bool same_tail = tensor->shape.size() == shape.size() && !shape.empty() &&
                           std::equal(shape.begin() + 1, shape.end(), tensor->shape.begin() + 1);
    if (!same_tail)
      return Error(fmt::format("parameter {}: expected shape {}, cannot concatenate its sources {}",
                               plan.name, format_shape(plan.shape), parts),
                   "all sources must agree in every dimension but the first");
    shape[0] += tensor->shape[0];
  }
  if (shape != plan.shape)
    return Error(fmt::format("parameter {}: expected shape {}, the source has {} ({})", plan.name,
                             format_shape(plan.shape), format_shape(shape), parts),
                 "the weights do not match config.json; check that config.json belongs to "
                 "these weights");
  return shape;
}

// Every source tensor is present and fuses to the planned shape; warns about unused ones.
Status check_sources(const TensorSource& source, const ModelDefinition& model,
                     ProgressSink* progress) {
  std::vector<std::string> missing;
  std::set<std::string> used;
  for (const auto& plan : model.params)
    for (const auto& name : plan.sources) {
      used.insert(name);
      if (source.find(name) == nullptr) missing.push_back(name);
    }
  if (!missing.empty())
    return Error(fmt::format("{} source tensor{} missing from {}: {}", missing.size(),
                             missing.size() == 1 ? " is" : "s are", source.describe(),
                             list_names(missing)),
                 fmt::format("a {} model with this config.json needs them; check that every "
                             "weight file of the checkpoint is present",
                             model.model_type));
  for (const auto& plan : model.params) AAE_TRY(fused_shape(source, plan));

  std::vector<std::string> unused;
  for (const auto& tensor : source.tensors()) {
    // MLC expects these to be unused too: HF's precomputed rotary table.
    if (tensor.name.ends_with("rotary_emb.inv_freq")) continue;
    if (!used.contains(tensor.name)) unused.push_back(tensor.name);
  }
  if (!unused.empty() && progress != nullptr)
    progress->warning(fmt::format("{} source tensor{} not used by the {} model: {}", unused.size(),
                                  unused.size() == 1 ? " is" : "s are", model.model_type,
                                  list_names(unused)));
  return ok_status();
}

// values[i] = 1 + values[i], rounded in `dtype` as numpy adds a Python int to an array of that
// dtype (bf16 + 1 stays bf16); the caller then casts to the model dtype.
void add_one_in_source_dtype(DType dtype, std::vector<float>& values) {
  for (float& v : values) {
    const float sum = v + 1.0f;
    if (dtype == DType::kBFloat16) {
      v = bfloat16_to_float(float_to_bfloat16(sum));
    } else if (dtype == DType::kFloat16) {
      v = round_to_half(sum);
    } else {
      v = sum;
    }
  }
}

// Rows [heads][3][head_dim] (per head q, k, v) -> [3][heads][head_dim]; a row is
// values.size() / rows elements (1 for a bias). The caller checked the size against the shape.
Status deinterleave_qkv_heads(const ParamPlan& plan, std::vector<float>& values) {
  const int64_t heads = plan.deinterleave_qkv_heads;
  const int64_t rows = plan.shape.at(0);
  if (rows % (3 * heads) != 0)
    return Error(fmt::format("{}: {} rows cannot be split into q, k, v of {} heads", plan.name,
                             rows, heads));
  const int64_t head_dim = rows / (3 * heads);
  const auto row_len = static_cast<size_t>(static_cast<int64_t>(values.size()) / rows);
  std::vector<float> out(values.size());
  for (int64_t part = 0; part < 3; ++part)
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t r = 0; r < head_dim; ++r) {
        const auto src = static_cast<size_t>((h * 3 + part) * head_dim + r) * row_len;
        const auto dst = static_cast<size_t>((part * heads + h) * head_dim + r) * row_len;
        std::copy_n(values.begin() + static_cast<std::ptrdiff_t>(src), row_len,
                    out.begin() + static_cast<std::ptrdiff_t>(dst));
      }
  values = std::move(out);
  return ok_status();
}

// The float32 values of `plan`: its sources read and concatenated along axis 0. Peak memory
// is the fused tensor plus the one source being copied in.
Result<std::vector<float>> read_fused(const TensorSource& source, const ParamPlan& plan) {
  const auto expected = static_cast<size_t>(numel(plan.shape));
  if (plan.sources.size() == 1) {
    AAE_ASSIGN_OR_RETURN(std::vector<float> values, source.read_f32(plan.sources[0]));
    if (values.size() != expected)
      return Error(fmt::format("{}: read {} values, expected {}", plan.sources[0], values.size(), expected));
    if (plan.add_one) add_one_in_source_dtype(source.find(plan.sources[0])->dtype, values);
    if (plan.deinterleave_qkv_heads > 0) AAE_TRY(deinterleave_qkv_heads(plan, values));
    return values;
  }
  std::vector<float> fused;
  fused.reserve(expected);
  for (const auto& name : plan.sources) {
    AAE_ASSIGN_OR_RETURN(std::vector<float> part, source.read_f32(name));
    if (fused.size() + part.size() > expected)
      return Error(fmt::format("{}: more values than the shape {} of {} holds", name,
                               format_shape(plan.shape), plan.name));
    fused.insert(fused.end(), part.begin(), part.end());
  }
  if (fused.size() != expected)
    return Error(fmt::format("{}: read {} values, expected {}", plan.name, fused.size(), expected));
  return fused;
}

Status convert_param(const TensorSource& source, const QuantizationSpec& spec,
                     const ParamPlan& plan, TensorCacheWriter& writer) {
  std::vector<EncodedTensor> encoded;
  // A stored_dtype parameter (never quantized) is cast to that dtype instead of the model's.
  QuantizationSpec stored = spec;
  if (plan.stored_dtype && !quantizes_role(spec, plan.role)) stored.model_dtype = *plan.stored_dtype;
  {
    AAE_ASSIGN_OR_RETURN(std::vector<float> values, read_fused(source, plan));
    AAE_ASSIGN_OR_RETURN(encoded, encode_parameter(stored, plan.name, plan.role, plan.shape, values.data()));
  }  // the float copy is freed before writing
  for (const auto& tensor : encoded)
    AAE_TRY(writer.add(tensor.name, tensor.dtype, tensor.shape, tensor.bytes.data(), tensor.bytes.size()));
  return ok_status();
}

}  // namespace

Result<ConvertSummary> convert_weight(const ConvertOptions& options, ProgressSink* progress) {
  const auto start = std::chrono::steady_clock::now();
  const QuantizationSpec* spec = find_quantization(options.quantization);
  if (spec == nullptr)
    return Error("unknown quantization '" + options.quantization + "'",
                 fmt::format("supported: {}", fmt::join(quantization_names(), ", ")));

  auto opened = open_source(options.source);
  if (!opened.ok()) return std::move(opened).error().context("cannot read " + options.source.string());
  const TensorSource& source = *opened->tensors;
  auto model = make_model_definition(opened->hf_config, *spec);
  if (!model.ok())
    return std::move(model).error().context("cannot derive the model of " + options.source.string());
  AAE_TRY(check_sources(source, *model, progress));

  AAE_ASSIGN_OR_RETURN(StagedOutput output, StagedOutput::create(options.output));
  AAE_ASSIGN_OR_RETURN(TensorCacheWriter writer, TensorCacheWriter::create(output.staging_dir()));

  const auto& params = model->params;
  int64_t original_params = 0;  // MLC's BitsPerParam denominator: unquantized parameter count
  for (const auto& plan : params) original_params += numel(plan.shape);
  if (progress != nullptr) progress->begin(source.describe(), params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    const ParamPlan& plan = params[i];
    Status converted = convert_param(source, *spec, plan, writer);
    if (!converted.ok()) return std::move(converted).error().context("cannot convert " + plan.name);
    if (progress != nullptr) {
      const bool quantized = quantizes_role(*spec, plan.role);
      progress->param_done(i + 1, params.size(), plan.name, plan.shape,
                           quantized ? spec->name
                                     : dtype_name(plan.stored_dtype.value_or(spec->model_dtype)));
    }
  }
  AAE_ASSIGN_OR_RETURN(TensorCacheSummary written, writer.finish(original_params));
  AAE_TRY(output.publish());

  ConvertSummary summary;
  summary.source_params = static_cast<int64_t>(params.size());
  summary.tensors = written.param_count;
  summary.bytes = written.param_bytes;
  summary.bits_per_param = written.bits_per_param;
  summary.shards = written.shard_count;
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (progress != nullptr) progress->done(summary, options.output);
  return summary;
}

}  // namespace aae
