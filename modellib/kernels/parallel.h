// Splitting work through the host's parallel_for (threads live in the runtime; the library
// has none). Falls back to running inline when the host gives no parallel_for.
#pragma once

#include "sphere_aae/aae_model_lib.h"
#include "modellib/support/base.h"

AAE_MODELLIB_BEGIN

// body(begin, end) over [0, n); F is any callable, called from the host's worker threads.
template <typename F>
inline void parallel_for(const AaeHostApi* host, int64_t n, F& body) {
  if (n <= 0) return;
  if (host == nullptr || host->parallel_for == nullptr || n == 1) {
    body(static_cast<int64_t>(0), n);
    return;
  }
  host->parallel_for(
      host->user, n, [](void* ctx, int64_t begin, int64_t end) { (*static_cast<F*>(ctx))(begin, end); },
      &body);
}

AAE_MODELLIB_END
