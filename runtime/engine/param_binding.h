// Binding a model library's parameter list to the tensors of a model directory: the pointer
// array the library's entry points take (include/sphere_aae/aae_model_lib.h, "params").
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <vector>

#include "runtime/base/status.h"
#include "runtime/engine/model_lib.h"
#include "runtime/format/weights.h"

namespace aae {

// A heap block aligned to `alignment` bytes (a power of two); zero-filled.
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  AlignedBuffer(size_t bytes, size_t alignment);
  AlignedBuffer(AlignedBuffer&& other) noexcept;
  AlignedBuffer& operator=(AlignedBuffer&& other) noexcept;
  ~AlignedBuffer();

  uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  void release();
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t alignment_ = 0;
};

struct BoundParams {
  std::vector<const void*> pointers;  // one per ModelLibInfo::params entry, library order
  std::vector<AlignedBuffer> owned;   // copies and widened tensors the pointers may point into
  size_t copied = 0;                  // tensors not used in place (misaligned or widened)
};

// Every parameter the library declares must exist in `weights` with the same shape and dtype.
// Tensors whose mapped address is aligned to their element size are used in place (they point
// into the mapping, so `weights` must outlive the result); others are copied into owned
// aligned buffers; float32 records stored as bfloat16 ("f32-to-bf16") are widened to float32.
// Errors (kMismatch): the first mismatch is the message
//   parameter "X": library expects [a, b] float16, tensor-cache.json has [c] uint32
// the others (up to 10) are causes, and the hint names the model the library was built for.
Result<BoundParams> bind_params(const ModelLibInfo& info, const ModelWeights& weights);

}  // namespace aae
