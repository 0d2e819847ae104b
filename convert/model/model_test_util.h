// Test helpers for model definitions: the tensor-cache records a plan becomes under a
// group quantization, and reading the records of a real tensor-cache.json.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "convert/model/model.h"

namespace aae::testing {

struct ExpectedRecord {
  std::string name;
  std::vector<int64_t> shape;
  std::string dtype;
  bool operator==(const ExpectedRecord&) const = default;
};

// Expands each plan entry the way MLC's q4f16_1 does (independently of convert/quantize):
// linear/embedding/lm_head -> <base>.q_weight uint32 [N, ceil(K/32)*4] then <base>.q_scale
// float16 [N, ceil(K/32)]; everything else keeps its name, float16.
std::vector<ExpectedRecord> expand_q4f16_1(const std::vector<ParamPlan>& params);

// Every record of <dir>/tensor-cache.json in file order.
std::vector<ExpectedRecord> read_tensor_cache_records(const std::string& path);

}  // namespace aae::testing
