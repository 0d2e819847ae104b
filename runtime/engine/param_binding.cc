#include "runtime/engine/param_binding.h"

#include <cstring>
#include <string>
#include <utility>

namespace aae {
namespace {

constexpr size_t kMaxListedMismatches = 10;

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

// Points into the mapping when aligned, else copies or widens into an owned buffer.
Result<const void*> bind_one(const ModelWeights& weights, const TensorView& view,
                             BoundParams& out) {
  const TensorRecord& record = *view.record;
  const size_t element = dtype_size(record.dtype);
  if (record.stored_as_bf16()) {
    AAE_ASSIGN_OR_RETURN(std::vector<float> wide, weights.read_f32(record.name));
    AlignedBuffer buffer(wide.size() * sizeof(float), 64);
    if (!wide.empty()) std::memcpy(buffer.data(), wide.data(), wide.size() * sizeof(float));
    out.owned.push_back(std::move(buffer));
    ++out.copied;
    return static_cast<const void*>(out.owned.back().data());
  }
  if (reinterpret_cast<uintptr_t>(view.data) % element == 0) {
    return static_cast<const void*>(view.data);
  }
  AlignedBuffer buffer(view.nbytes(), 64);
  if (view.nbytes() != 0) std::memcpy(buffer.data(), view.data, view.nbytes());
  out.owned.push_back(std::move(buffer));
  ++out.copied;
  return static_cast<const void*>(out.owned.back().data());
}

}  // namespace

AlignedBuffer::AlignedBuffer(size_t bytes, size_t alignment) : size_(bytes), alignment_(alignment) {
  // At least one byte so every buffer has a distinct, valid address.
  data_ = static_cast<uint8_t*>(::operator new(bytes ? bytes : 1, std::align_val_t(alignment)));
  std::memset(data_, 0, bytes ? bytes : 1);
}

AlignedBuffer::AlignedBuffer(AlignedBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      alignment_(other.alignment_) {}

AlignedBuffer& AlignedBuffer::operator=(AlignedBuffer&& other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    alignment_ = other.alignment_;
  }
  return *this;
}

AlignedBuffer::~AlignedBuffer() { release(); }

void AlignedBuffer::release() {
  if (data_ != nullptr) ::operator delete(data_, std::align_val_t(alignment_));
  data_ = nullptr;
}

Result<BoundParams> bind_params(const ModelLibInfo& info, const ModelWeights& weights) {
  BoundParams out;
  out.pointers.reserve(info.params.size());
  // Owned buffers are moved into a vector; their data pointers stay put, so growth is safe.
  std::vector<std::string> mismatches;
  const std::string& cache_file = weights.cache().file_name;
  for (const DeclaredParam& p : info.params) {
    const std::string expects = "parameter \"" + p.name + "\": library expects " +
                                shape_string(p.shape) + " " + std::string(dtype_name(p.dtype));
    auto view = weights.get(p.name);
    if (!view.ok()) {
      mismatches.push_back(expects + ", " + cache_file + " has no such tensor");
      continue;
    }
    const TensorRecord& record = *view->record;
    if (record.shape != p.shape || record.dtype != p.dtype) {
      mismatches.push_back(expects + ", " + cache_file + " has " + shape_string(record.shape) +
                           " " + std::string(dtype_name(record.dtype)));
      continue;
    }
    if (!mismatches.empty()) continue;  // nothing will be used; skip the copies
    AAE_ASSIGN_OR_RETURN(const void* pointer, bind_one(weights, *view, out));
    out.pointers.push_back(pointer);
  }
  if (mismatches.empty()) return out;

  Error error(mismatches.front());
  for (size_t i = 1; i < mismatches.size() && i <= kMaxListedMismatches; ++i) {
    error.add_cause(mismatches[i]);
  }
  if (mismatches.size() > kMaxListedMismatches + 1) {
    error.add_cause("... and " + std::to_string(mismatches.size() - kMaxListedMismatches - 1) +
                    " more mismatching parameters");
  }
  error.with_hint("the library was compiled for model_lib " + info.model_lib + " (" +
                  info.architecture + ", " + info.quantization + ") and does not fit " +
                  weights.model_dir() + "; recompile it for this model directory: "
                  "sphere_aae compile " + weights.model_dir() + " --device <device> -o <library>");
  return error.with_code(ErrorCode::kMismatch);
}

}  // namespace aae
