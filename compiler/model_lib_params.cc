#include "compiler/model_lib_params.h"

#include "convert/quantize.h"

namespace aae {

int64_t ModelLibParam::bytes() const {
  int64_t n = static_cast<int64_t>(dtype_size(dtype));
  for (int64_t d : shape) n *= d;
  return n;
}

std::vector<ModelLibParam> model_lib_params(const std::vector<ParamPlan>& plan,
                                            const QuantizationSpec& q) {
  std::vector<ModelLibParam> out;
  out.reserve(plan.size() * 2);
  for (const ParamPlan& p : plan) {
    if (!quantizes_role(q, p.role) || p.shape.size() != 2) {
      out.push_back({p.name, p.shape, p.stored_dtype.value_or(q.model_dtype), p.role});
      continue;
    }
    const std::string suffix = ".weight";
    std::string base = p.name;
    if (base.size() > suffix.size() && base.compare(base.size() - suffix.size(), suffix.size(),
                                                    suffix) == 0) {
      base.resize(base.size() - suffix.size());
    }
    const int64_t n = p.shape[0], k = p.shape[1];
    const int64_t groups = q.num_groups(k);
    const int64_t words = groups * q.words_per_group();
    const bool kn = q.layout == WeightLayout::kKN && p.role != TensorRole::kEmbedding;
    out.push_back({base + ".q_weight", kn ? std::vector<int64_t>{words, n}
                                          : std::vector<int64_t>{n, words},
                   DType::kUInt32, p.role});
    out.push_back({base + ".q_scale", kn ? std::vector<int64_t>{groups, n}
                                         : std::vector<int64_t>{n, groups},
                   q.model_dtype, p.role});
  }
  return out;
}

int64_t total_param_bytes(const std::vector<ModelLibParam>& params) {
  int64_t total = 0;
  for (const auto& p : params) total += p.bytes();
  return total;
}

}  // namespace aae
