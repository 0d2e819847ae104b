#!/usr/bin/env bash
# The runtime (format readers, JSON, tokenizer, regex engine) under AddressSanitizer and
# UndefinedBehaviorSanitizer: it parses untrusted bytes, so memory errors and UB must fail CI.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
cmake --build build-sanitize --parallel "$(nproc)" --target aae_runtime_tests
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  AAE_TESTDATA_DIR="${AAE_TESTDATA_DIR:-$PWD/../shared/testdata}" \
  build-sanitize/runtime/aae_runtime_tests --gtest_brief=1
