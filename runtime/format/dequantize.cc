#include "runtime/format/dequantize.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

#include "runtime/base/half.h"

namespace aae {
namespace {

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(shape[i]);
  }
  return out + "]";
}

template <typename T>
T load(const void* base, size_t index) {
  T value;
  std::memcpy(&value, static_cast<const uint8_t*>(base) + index * sizeof(T), sizeof(T));
  return value;
}

// Scale element `index` of q_scale, widened to float (exact).
float load_scale(DType dtype, const void* q_scale, size_t index) {
  switch (dtype) {
    case DType::kFloat16: return half_to_float(load<uint16_t>(q_scale, index));
    case DType::kBFloat16: return bfloat16_to_float(load<uint16_t>(q_scale, index));
    default: return load<float>(q_scale, index);
  }
}

// Rounds an exact fp32 product to the model dtype, as MLC's model-dtype multiply does.
float round_to_model_dtype(DType dtype, float value) {
  switch (dtype) {
    case DType::kFloat16: return round_to_half(value);
    case DType::kBFloat16: return bfloat16_to_float(float_to_bfloat16(value));
    default: return value;
  }
}

Status check_shape(const char* tensor, const std::vector<int64_t>& found,
                   const std::vector<int64_t>& expected, const std::string& why) {
  if (found == expected) return ok_status();
  return Error(std::string(tensor) + " shape mismatch: expected " + shape_string(expected) +
                   ", found " + shape_string(found),
               why);
}

}  // namespace

Result<std::vector<float>> dequantize_group(const QuantizationSpec& spec, const uint32_t* q_weight,
                                            const void* q_scale,
                                            std::vector<int64_t> q_weight_shape,
                                            std::vector<int64_t> q_scale_shape, int64_t k,
                                            bool kn_layout) {
  const std::string name(spec.name);
  if (spec.kind != QuantizationKind::kGroup) {
    return Error("cannot dequantize with " + name + ": it is not a group quantization");
  }
  if (spec.model_dtype != DType::kFloat16 && spec.model_dtype != DType::kFloat32 &&
      spec.model_dtype != DType::kBFloat16) {
    return Error("cannot dequantize with " + name + ": unsupported scale dtype " +
                 std::string(dtype_name(spec.model_dtype)));
  }
  if (k <= 0) return Error("cannot dequantize: input size K must be positive, found " +
                           std::to_string(k));
  if (q_weight_shape.size() != 2 || q_scale_shape.size() != 2) {
    return Error("cannot dequantize: q_weight and q_scale must be 2-D, found q_weight " +
                 shape_string(q_weight_shape) + " and q_scale " + shape_string(q_scale_shape));
  }
  const int64_t groups = spec.num_groups(k);
  const int64_t words_per_group = spec.words_per_group();
  // N is the one dimension K does not determine; take it from q_weight and check the rest.
  const int64_t n = kn_layout ? q_weight_shape[1] : q_weight_shape[0];
  if (n < 0) return Error("cannot dequantize: negative dimension in q_weight " +
                          shape_string(q_weight_shape));
  // Guard the output element count (and the index arithmetic below) against overflow from
  // corrupt shapes, also where size_t is 32 bits.
  const uint64_t limit =
      std::min<uint64_t>(std::numeric_limits<int64_t>::max(), std::numeric_limits<size_t>::max()) /
      sizeof(float);
  if (static_cast<uint64_t>(k) > limit ||
      (n > 0 && static_cast<uint64_t>(k) > limit / static_cast<uint64_t>(n))) {
    return Error("cannot dequantize: output [" + std::to_string(n) + ", " + std::to_string(k) +
                 "] is too large");
  }
  const std::string why = "K=" + std::to_string(k) + " gives " + std::to_string(groups) +
                          " groups of " + std::to_string(spec.group_size) + " for " + name +
                          (kn_layout ? " (KN layout)" : " (NK layout)");
  if (kn_layout) {
    AAE_TRY(check_shape("q_weight", q_weight_shape, {groups * words_per_group, n}, why));
    AAE_TRY(check_shape("q_scale", q_scale_shape, {groups, n}, why));
  } else {
    AAE_TRY(check_shape("q_weight", q_weight_shape, {n, groups * words_per_group}, why));
    AAE_TRY(check_shape("q_scale", q_scale_shape, {n, groups}, why));
  }

  const int bits = spec.bits;
  const int per_word = spec.elements_per_word();
  const uint32_t mask = (1u << bits) - 1;
  const int max_int = spec.max_int();
  const size_t rows = static_cast<size_t>(n);
  const size_t cols = static_cast<size_t>(k);
  const size_t group_size = static_cast<size_t>(spec.group_size);
  std::vector<float> out(rows * cols);
  auto value = [&](uint32_t word, size_t i, float scale) {
    const int q = static_cast<int>((word >> (bits * (i % per_word))) & mask);
    return round_to_model_dtype(spec.model_dtype, static_cast<float>(q - max_int) * scale);
  };

  if (!kn_layout) {
    const size_t row_words = static_cast<size_t>(groups * words_per_group);
    const size_t row_groups = static_cast<size_t>(groups);
    for (size_t r = 0; r < rows; ++r) {
      const uint32_t* words = q_weight + r * row_words;
      float* dst = out.data() + r * cols;
      for (size_t g = 0; g < row_groups; ++g) {
        const float scale = load_scale(spec.model_dtype, q_scale, r * row_groups + g);
        const size_t end = std::min(cols, (g + 1) * group_size);
        for (size_t i = g * group_size; i < end; ++i) dst[i] = value(words[i / per_word], i, scale);
      }
    }
  } else {
    for (size_t i = 0; i < cols; ++i) {
      const uint32_t* words = q_weight + (i / per_word) * rows;
      const size_t scale_row = (i / group_size) * rows;
      float* dst = out.data() + i * rows;
      for (size_t c = 0; c < rows; ++c) {
        dst[c] = value(words[c], i, load_scale(spec.model_dtype, q_scale, scale_row + c));
      }
    }
  }
  return out;
}

std::vector<float> decode_plain(DType dtype, const void* data, size_t count) {
  std::vector<float> out(count);
  auto widen = [&](auto convert) {
    for (size_t i = 0; i < count; ++i) out[i] = convert(i);
  };
  switch (dtype) {
    case DType::kFloat32: widen([&](size_t i) { return load<float>(data, i); }); break;
    case DType::kFloat16:
      widen([&](size_t i) { return half_to_float(load<uint16_t>(data, i)); });
      break;
    case DType::kBFloat16:
      widen([&](size_t i) { return bfloat16_to_float(load<uint16_t>(data, i)); });
      break;
    case DType::kUInt32:
      widen([&](size_t i) { return static_cast<float>(load<uint32_t>(data, i)); });
      break;
    case DType::kInt32:
      widen([&](size_t i) { return static_cast<float>(load<int32_t>(data, i)); });
      break;
    case DType::kInt8:
      widen([&](size_t i) { return static_cast<float>(load<int8_t>(data, i)); });
      break;
    case DType::kUInt8:
      widen([&](size_t i) { return static_cast<float>(load<uint8_t>(data, i)); });
      break;
  }
  return out;
}

}  // namespace aae
