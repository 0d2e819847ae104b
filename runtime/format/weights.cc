#include "runtime/format/weights.h"

#include <cstring>
#include <unordered_map>

#include "runtime/base/half.h"
#include "runtime/base/mapped_file.h"

namespace aae {

struct ModelWeights::State {
  std::string model_dir;
  TensorCache cache;
  std::vector<MappedFile> shards;  // parallel to cache.shards
  struct Location {
    const TensorRecord* record;
    size_t shard;
  };
  // Keys view the record names inside `cache`, which never moves while State lives.
  std::unordered_map<std::string_view, Location> index;
};

ModelWeights::ModelWeights(std::unique_ptr<State> state) : state_(std::move(state)) {}
ModelWeights::ModelWeights(ModelWeights&&) noexcept = default;
ModelWeights& ModelWeights::operator=(ModelWeights&&) noexcept = default;
ModelWeights::~ModelWeights() = default;

const TensorCache& ModelWeights::cache() const { return state_->cache; }
const std::string& ModelWeights::model_dir() const { return state_->model_dir; }

bool ModelWeights::contains(std::string_view name) const { return state_->index.count(name) != 0; }

Result<ModelWeights> ModelWeights::open(const std::string& model_dir) {
  auto state = std::make_unique<State>();
  state->model_dir = model_dir;
  AAE_ASSIGN_OR_RETURN(state->cache, read_tensor_cache(model_dir));
  const TensorCache& cache = state->cache;
  state->shards.reserve(cache.shards.size());
  for (size_t i = 0; i < cache.shards.size(); ++i) {
    const ShardRecord& shard = cache.shards[i];
    const std::string path =
        (model_dir.empty() || model_dir.back() == '/' ? model_dir : model_dir + "/") +
        shard.data_path;
    auto mapped = MappedFile::open(path);
    if (!mapped.ok()) {
      Error error = std::move(mapped).error();
      error.context("cannot open weight shard " + path,
                    "download every params_shard_*.bin listed in " + cache.file_name +
                        " into the model directory");
      return error;
    }
    if (static_cast<int64_t>(mapped->size()) != shard.nbytes) {
      return Error("weight shard " + path + " has " + std::to_string(mapped->size()) +
                       " bytes, but " + cache.file_name + " says " + std::to_string(shard.nbytes),
                   "the file is truncated or belongs to a different conversion; download it again");
    }
    state->shards.push_back(std::move(mapped).value());
    for (const TensorRecord& record : shard.records) {
      state->index.emplace(record.name, State::Location{&record, i});
    }
  }
  return ModelWeights(std::move(state));
}

Result<TensorView> ModelWeights::get(std::string_view name) const {
  const auto it = state_->index.find(name);
  if (it == state_->index.end()) {
    return Error("tensor \"" + std::string(name) + "\" not found in " + state_->model_dir + "/" +
                     state_->cache.file_name,
                 "the model directory has " + std::to_string(state_->index.size()) +
                     " tensors; check the parameter name and the model type");
  }
  const auto& location = it->second;
  const uint8_t* base = state_->shards[location.shard].data();
  // Offsets were checked against the shard size, and the mapping's size equals it.
  return TensorView{location.record, base + location.record->byte_offset};
}

Result<std::vector<float>> ModelWeights::read_f32(std::string_view name) const {
  AAE_ASSIGN_OR_RETURN(TensorView view, get(name));
  const TensorRecord& record = *view.record;
  const size_t n = static_cast<size_t>(record.numel());
  std::vector<float> out(n);
  auto read_u16 = [&](size_t i) {
    uint16_t bits;
    std::memcpy(&bits, view.data + 2 * i, 2);  // little-endian, like every supported target
    return bits;
  };
  if (record.stored_as_bf16() || record.dtype == DType::kBFloat16) {
    for (size_t i = 0; i < n; ++i) out[i] = bfloat16_to_float(read_u16(i));
  } else if (record.dtype == DType::kFloat16) {
    for (size_t i = 0; i < n; ++i) out[i] = half_to_float(read_u16(i));
  } else if (record.dtype == DType::kFloat32) {
    if (n) std::memcpy(out.data(), view.data, n * sizeof(float));
  } else {
    return Error("tensor \"" + record.name + "\" has dtype " +
                     std::string(dtype_name(record.dtype)) +
                     "; read_f32 decodes float32, float16 and bfloat16 only",
                 "read quantized or integer tensors through get() and decode them explicitly");
  }
  return out;
}

}  // namespace aae
