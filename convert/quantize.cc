#include "convert/quantize.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string_view>

#include "runtime/base/half.h"

namespace aae {
namespace {

constexpr std::string_view kWeightSuffix = ".weight";

// Rounds a float to the nearest value of the model dtype (ties to even), returned as float.
// Computing one model-dtype operation as a correctly rounded float32 operation and then
// rounding once with this function gives exactly the correctly rounded model-dtype result:
// float32 carries 24 significand bits, at least 2p+2 for float16 (p = 11) and bfloat16
// (p = 8), which makes the double rounding innocuous for +, -, * and /.
float round_to_model(DType model_dtype, float x) {
  switch (model_dtype) {
    case DType::kFloat16:
      return round_to_half(x);
    case DType::kBFloat16:
      return bfloat16_to_float(float_to_bfloat16(x));
    default:
      return x;
  }
}

// Round half to even for a finite float (the CUDA behaviour of MLC's quantizer; see
// docs/quantization.md for why not half away from zero).
float round_half_to_even(float t) {
  const float lower = std::floor(t);
  // Exact for t >= 0 (lower is 0 or within a factor 2 of t); for negative t a rounded fraction
  // still picks the nearest integer, and the caller clamps negatives to 0 anyway.
  const float fraction = t - lower;
  if (fraction > 0.5f) return lower + 1.0f;
  if (fraction < 0.5f) return lower;
  return std::fmod(lower, 2.0f) == 0.0f ? lower : lower + 1.0f;
}

// q = clamp(round(model(model(w / scale) + max_int)), 0, 2*max_int) for one element whose
// value w and group scale are already model-dtype values.
uint32_t quantize_element(DType model_dtype, float w, float scale, float max_int) {
  const float top = 2.0f * max_int;
  if (scale == 0.0f) {
    // MLC divides anyway: w/0 is +inf (clamps to top), -inf (clamps to 0) or, for w == 0,
    // NaN, which its clamp (max with 0, then min with top) turns into 0.
    return w > 0.0f ? static_cast<uint32_t>(top) : 0u;
  }
  const float ratio = round_to_model(model_dtype, w / scale);
  const float t = round_to_model(model_dtype, ratio + max_int);
  if (!std::isfinite(t)) return t > 0.0f ? static_cast<uint32_t>(top) : 0u;
  return static_cast<uint32_t>(std::clamp(round_half_to_even(t), 0.0f, top));
}

// Group quantization of a row-major [n, k] matrix along k, in the NK form.
struct GroupQuantized {
  std::vector<uint32_t> words;  // [n, groups * words_per_group]
  std::vector<float> scales;    // [n, groups], model-dtype values held as float
  int64_t groups = 0;
  int64_t words_per_row = 0;
};

GroupQuantized group_quantize(const QuantizationSpec& spec, int64_t n, int64_t k,
                              const float* values) {
  const DType dtype = spec.model_dtype;
  const int64_t group_size = spec.group_size;
  const int64_t per_word = spec.elements_per_word();
  const int bits = spec.bits;
  const float max_int = static_cast<float>(spec.max_int());

  GroupQuantized out;
  out.groups = spec.num_groups(k);
  out.words_per_row = out.groups * spec.words_per_group();
  // Zero-initialised, so padding positions (k' >= k) and int3's bits 30-31 stay 0.
  out.words.assign(static_cast<size_t>(n * out.words_per_row), 0u);
  out.scales.assign(static_cast<size_t>(n * out.groups), 0.0f);

  // MLC casts the checkpoint tensor to the model dtype before quantizing.
  std::vector<float> row(static_cast<size_t>(k));
  for (int64_t r = 0; r < n; ++r) {
    const float* source = values + r * k;
    for (int64_t i = 0; i < k; ++i) row[i] = round_to_model(dtype, source[i]);
    uint32_t* row_words = out.words.data() + r * out.words_per_row;
    for (int64_t g = 0; g < out.groups; ++g) {
      const int64_t begin = g * group_size;
      const int64_t end = std::min(k, begin + group_size);
      float max_abs = 0.0f;  // exact: abs and max do not round
      for (int64_t i = begin; i < end; ++i) max_abs = std::max(max_abs, std::fabs(row[i]));
      const float scale = round_to_model(dtype, max_abs / max_int);
      out.scales[r * out.groups + g] = scale;
      for (int64_t i = begin; i < end; ++i) {
        const uint32_t q = quantize_element(dtype, row[i], scale, max_int);
        row_words[i / per_word] |= q << (bits * (i % per_word));
      }
    }
  }
  return out;
}

// [rows, cols] row-major -> [cols, rows] row-major.
template <typename T>
std::vector<T> transpose(const std::vector<T>& in, int64_t rows, int64_t cols) {
  std::vector<T> out(in.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) out[c * rows + r] = in[r * cols + c];
  return out;
}

std::vector<uint8_t> words_to_bytes(const std::vector<uint32_t>& words) {
  std::vector<uint8_t> bytes(words.size() * 4);
  for (size_t i = 0; i < words.size(); ++i)
    for (int b = 0; b < 4; ++b) bytes[4 * i + b] = static_cast<uint8_t>(words[i] >> (8 * b));
  return bytes;
}

// Little-endian bytes of `count` floats in `dtype` (float32 raw; float16/bfloat16 rounded to
// nearest even, which is exact for values that are already model-dtype values).
std::vector<uint8_t> floats_to_bytes(DType dtype, const float* values, size_t count) {
  std::vector<uint8_t> bytes(count * dtype_size(dtype));
  for (size_t i = 0; i < count; ++i) {
    if (dtype == DType::kFloat32) {
      const uint32_t u = float_bits(values[i]);
      for (int b = 0; b < 4; ++b) bytes[4 * i + b] = static_cast<uint8_t>(u >> (8 * b));
    } else {
      const uint16_t h = dtype == DType::kFloat16 ? float_to_half(values[i])
                                                  : float_to_bfloat16(values[i]);
      bytes[2 * i] = static_cast<uint8_t>(h);
      bytes[2 * i + 1] = static_cast<uint8_t>(h >> 8);
    }
  }
  return bytes;
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

// The multi-index of flat element `flat` in `shape`, for error messages.
std::string index_string(const std::vector<int64_t>& shape, int64_t flat) {
  std::vector<int64_t> index(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    index[d] = flat % shape[d];
    flat /= shape[d];
  }
  return shape_string(index);
}

std::string value_string(float v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", static_cast<double>(v));
  return buffer;
}

Error tensor_error(const std::string& name, const std::string& what, std::string hint = {}) {
  return Error("tensor \"" + name + "\": " + what, std::move(hint));
}

// Checks rank and dimensions; returns the element count.
Result<int64_t> checked_element_count(const std::string& name, TensorRole role,
                                      const std::vector<int64_t>& shape) {
  if (role != TensorRole::kOther && shape.size() != 2) {
    return tensor_error(name, "expected a 2-d weight [out, in], found shape " +
                                  shape_string(shape),
                        "linear, embedding and lm_head weights are matrices; check the "
                        "checkpoint's tensor shape or the role given to this tensor");
  }
  if (shape.empty()) {
    return tensor_error(name, "expected at least 1 dimension, found a scalar",
                        "parameters are stored with at least one dimension");
  }
  int64_t count = 1;
  for (int64_t dim : shape) {
    if (dim <= 0) {
      return tensor_error(name, "expected every dimension > 0, found shape " + shape_string(shape),
                          "the checkpoint holds an empty tensor; it is likely truncated");
    }
    if (count > std::numeric_limits<int64_t>::max() / dim) {
      return tensor_error(name, "shape " + shape_string(shape) + " has too many elements");
    }
    count *= dim;
  }
  return count;
}

// Rejects NaN and Inf, and values that overflow the model dtype (they would become Inf).
Status check_values(const QuantizationSpec& spec, const std::string& name,
                    const std::vector<int64_t>& shape, const float* values, int64_t count) {
  for (int64_t i = 0; i < count; ++i) {
    const float v = values[i];
    if (!std::isfinite(v)) {
      return tensor_error(name, "value " + value_string(v) + " at index " +
                                    index_string(shape, i) + " is not finite",
                          "the checkpoint is corrupt or came from a diverged run; "
                          "re-download or re-export it");
    }
    if (!std::isfinite(round_to_model(spec.model_dtype, v))) {
      return tensor_error(name, "value " + value_string(v) + " at index " +
                                    index_string(shape, i) + " overflows " +
                                    std::string(dtype_name(spec.model_dtype)),
                          "choose a quantization with a wider model dtype, e.g. q0f32 or "
                          "q0bf16");
    }
  }
  return ok_status();
}

}  // namespace

bool quantizes_role(const QuantizationSpec& spec, TensorRole role) {
  if (spec.kind != QuantizationKind::kGroup) return false;
  switch (role) {
    case TensorRole::kLinear:
      return true;
    case TensorRole::kEmbedding:
      return spec.quantize_embedding;
    case TensorRole::kLmHead:
      return spec.quantize_final_fc;
    case TensorRole::kOther:
      return false;
  }
  return false;
}

Result<std::vector<EncodedTensor>> encode_parameter(const QuantizationSpec& spec,
                                                    const std::string& name, TensorRole role,
                                                    const std::vector<int64_t>& shape,
                                                    const float* values) {
  AAE_ASSIGN_OR_RETURN(const int64_t count, checked_element_count(name, role, shape));
  AAE_TRY(check_values(spec, name, shape, values, count));
  const DType dtype = spec.model_dtype;

  std::vector<EncodedTensor> out;
  if (!quantizes_role(spec, role)) {
    // Casting each value to the model dtype is all MLC does to unquantized parameters.
    out.push_back({name, dtype, shape, floats_to_bytes(dtype, values, static_cast<size_t>(count))});
    return out;
  }

  const bool has_suffix = name.size() > kWeightSuffix.size() &&
                          std::string_view(name).substr(name.size() - kWeightSuffix.size()) ==
                              kWeightSuffix;
  if (!has_suffix) {
    return tensor_error(name, "expected a name ending in \".weight\" for a quantized parameter",
                        "quantized parameters are stored as <layer>.q_weight and "
                        "<layer>.q_scale in place of <layer>.weight");
  }
  const std::string base = name.substr(0, name.size() - kWeightSuffix.size());
  const int64_t n = shape[0];
  const int64_t k = shape[1];
  GroupQuantized q = group_quantize(spec, n, k, values);

  std::vector<int64_t> weight_shape = {n, q.words_per_row};
  std::vector<int64_t> scale_shape = {n, q.groups};
  // MLC quantizes every nn.Linear (the lm_head included) with output_transpose when the
  // layout is KN; embeddings are never transposed.
  if (spec.layout == WeightLayout::kKN && role != TensorRole::kEmbedding) {
    q.words = transpose(q.words, n, q.words_per_row);
    q.scales = transpose(q.scales, n, q.groups);
    weight_shape = {q.words_per_row, n};
    scale_shape = {q.groups, n};
  }
  out.push_back({base + ".q_weight", DType::kUInt32, weight_shape, words_to_bytes(q.words)});
  out.push_back({base + ".q_scale", dtype, scale_shape,
                 floats_to_bytes(dtype, q.scales.data(), q.scales.size())});
  return out;
}

}  // namespace aae
