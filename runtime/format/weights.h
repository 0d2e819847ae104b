// The weights of a model directory: the tensor cache plus a read-only memory mapping of every
// shard, so tensors are read in place (no copies of multi-gigabyte files into the heap).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/base/status.h"
#include "runtime/format/tensor_cache.h"

namespace aae {

// A tensor's bytes inside a shard mapping. Both pointers are owned by the ModelWeights they
// came from and stay valid while it lives (also across moves of it). `data` has no alignment
// guarantee (MLC packs tensors without padding): read elements with memcpy.
struct TensorView {
  const TensorRecord* record;
  const uint8_t* data;  // record->nbytes bytes, points into the mapping

  size_t nbytes() const { return static_cast<size_t>(record->nbytes); }
};

class ModelWeights {
 public:
  // read_tensor_cache(model_dir), then maps every shard and checks its size equals the
  // shard's nbytes. Errors name the shard file.
  static Result<ModelWeights> open(const std::string& model_dir);

  ModelWeights(ModelWeights&&) noexcept;
  ModelWeights& operator=(ModelWeights&&) noexcept;
  ~ModelWeights();

  const TensorCache& cache() const;
  const std::string& model_dir() const;
  bool contains(std::string_view name) const;

  // The tensor called `name` (hash lookup); an error naming it when absent.
  Result<TensorView> get(std::string_view name) const;

  // The tensor widened to float32, row-major, numel() values: float32 (raw, or stored as
  // bfloat16 by "f32-to-bf16"), float16 and bfloat16 are decoded; other dtypes are an error.
  Result<std::vector<float>> read_f32(std::string_view name) const;

 private:
  struct State;
  explicit ModelWeights(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;  // heap-held so TensorView pointers survive moves
};

}  // namespace aae
