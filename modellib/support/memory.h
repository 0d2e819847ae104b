// memcpy/memset for freestanding builds. Clang may emit calls to them even with
// -ffreestanding (large aggregate copies on x86). The library's code avoids such copies (a test
// asserts `llvm-nm -u` is empty), so these definitions are OPT-IN with
// -DAAE_MODELLIB_DEFINE_MEM_FUNCTIONS: a definition linked statically into an app would become
// the app's memcpy (a slow byte loop), so the default is to define nothing. When defined they
// are weak and hidden, so several libraries merge instead of clashing. no_builtin keeps clang
// from turning the loops back into calls to themselves.
#pragma once

#include "modellib/support/base.h"

#if defined(AAE_MODELLIB_DEFINE_MEM_FUNCTIONS)
extern "C" {
__attribute__((weak, visibility("hidden"), no_builtin("memcpy"))) void* memcpy(
    void* dst, const void* src, size_t n) {
  unsigned char* d = static_cast<unsigned char*>(dst);
  const unsigned char* s = static_cast<const unsigned char*>(src);
  for (size_t i = 0; i < n; ++i) d[i] = s[i];
  return dst;
}
__attribute__((weak, visibility("hidden"), no_builtin("memset"))) void* memset(void* dst, int c,
                                                                                size_t n) {
  unsigned char* d = static_cast<unsigned char*>(dst);
  for (size_t i = 0; i < n; ++i) d[i] = static_cast<unsigned char>(c);
  return dst;
}
}
#endif

AAE_MODELLIB_BEGIN

inline void zero_bytes(void* dst, size_t n) {
  unsigned char* d = static_cast<unsigned char*>(dst);
  for (size_t i = 0; i < n; ++i) d[i] = 0;
}

AAE_MODELLIB_END
