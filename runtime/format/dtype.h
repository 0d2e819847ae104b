// Element types of tensors in a model directory, named as MLC's tensor cache names them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace aae {

enum class DType : uint8_t { kFloat32, kFloat16, kBFloat16, kUInt32, kInt32, kInt8, kUInt8 };

// "float32", "float16", "bfloat16", "uint32", "int32", "int8", "uint8".
std::string_view dtype_name(DType dtype);
std::optional<DType> parse_dtype(std::string_view name);
size_t dtype_size(DType dtype);

}  // namespace aae
