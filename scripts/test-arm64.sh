#!/usr/bin/env bash
# Cross-builds the runtime (and the header-only modellib) for aarch64-linux-gnu with Debian's
# cross toolchain and runs every test under qemu-aarch64 through ctest.
#   scripts/test-arm64.sh [BUILD_DIR]       (default: build-arm64)
# Then it converts stories260K with the host CLI (AAE_HOST_BUILD_DIR, default build; brought up
# to date here), compiles it with --device linux-arm64, runs tools/runtime_smoke's
# aae_runtime_smoke (arm64) under qemu and requires the greedy ids and text to equal
# ../shared/testdata/expected (AAE_TESTDATA_DIR). That step skips when either is absent.
# AAE_JOBS sets the build parallelism (default 2).
# Exits 0 with a "skip:" line when the cross compiler or qemu is missing (scripts/setup.sh
# installs both: g++-aarch64-linux-gnu, qemu-user).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${1:-build-arm64}"
jobs="${AAE_JOBS:-2}"

missing=()
command -v aarch64-linux-gnu-g++ >/dev/null 2>&1 || missing+=("aarch64-linux-gnu-g++ (g++-aarch64-linux-gnu)")
command -v qemu-aarch64 >/dev/null 2>&1 || missing+=("qemu-aarch64 (qemu-user)")
[ -d /usr/aarch64-linux-gnu/lib ] || missing+=("/usr/aarch64-linux-gnu (libc6-dev-arm64-cross)")
[ -f /usr/src/googletest/CMakeLists.txt ] || missing+=("/usr/src/googletest (googletest)")
if [ ${#missing[@]} -gt 0 ]; then
  echo "skip: arm64 cross tests need ${missing[*]}; run scripts/setup.sh as root"
  exit 0
fi

start=$(date +%s)
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/toolchains/aarch64-linux-gnu.cmake" \
  -DAAE_RUNTIME_ONLY=ON >/dev/null
cmake --build "$build_dir" --parallel "$jobs"
built=$(date +%s)
(cd "$build_dir" && ctest --output-on-failure --parallel "$jobs" --timeout 900)
tested=$(date +%s)
echo "arm64: build $((built - start)) s, tests under qemu $((tested - built)) s"

# --- stories260K on arm64: host CLI converts + compiles for linux-arm64, qemu generates ---
smoke="$build_dir/tools/runtime_smoke/aae_runtime_smoke"
host_build="${AAE_HOST_BUILD_DIR:-build}"
cli="$host_build/tools/sphere_aae/sphere_aae"
testdata="${AAE_TESTDATA_DIR:-$PWD/../shared/testdata}"
gguf="$testdata/gguf/stories260K.gguf"
expected_json="$testdata/expected/stories260K_greedy_bos_200.json"
expected_text="$testdata/expected/stories260K_bos_200_expected_stdout.txt"
if [ ! -x "$smoke" ]; then
  echo "skip: stories260K on arm64: $smoke was not built"
  exit 0
fi
if [ ! -f "$gguf" ] || [ ! -f "$expected_json" ] || [ ! -f "$expected_text" ]; then
  echo "skip: stories260K on arm64: testdata not found under $testdata (set AAE_TESTDATA_DIR)"
  exit 0
fi
if [ -f "$host_build/build.ninja" ]; then  # bring the host CLI up to date with the sources
  cmake --build "$host_build" --parallel "$jobs" --target sphere_aae
fi
if [ ! -x "$cli" ]; then
  echo "skip: stories260K on arm64: no host CLI at $cli (run scripts/build.sh first)"
  exit 0
fi

work="$build_dir/stories260K-smoke"
rm -rf "$work"
mkdir -p "$work"
"$cli" convert_weight "$gguf" --quantization q0f32 -o "$work/model" >"$work/convert.log" 2>&1
"$cli" gen_config "$gguf" --quantization q0f32 --conv-template llama-2 -o "$work/model" \
  >"$work/gen_config.log" 2>&1
SPHERE_AAE_SOURCE_DIR="$PWD" "$cli" compile "$work/model" --device linux-arm64 \
  -o "$work/lib.so" >"$work/compile.log" 2>&1

qemu=(qemu-aarch64 -L /usr/aarch64-linux-gnu)
smoke_start=$(date +%s)
"${qemu[@]}" "$smoke" "$work/model" "$work/lib.so" --steps 200 --ids >"$work/ids.txt"
"${qemu[@]}" "$smoke" "$work/model" "$work/lib.so" --steps 200 >"$work/text.txt"
smoke_end=$(date +%s)

# The expected ids: the "ids" array of the JSON, as one space-separated line.
grep -o '"ids": *\[[^]]*\]' "$expected_json" | sed -e 's/.*\[//' -e 's/\]//' -e 's/, */ /g' \
  >"$work/expected_ids.txt"
passed=0
failed=0
if cmp -s "$work/ids.txt" "$work/expected_ids.txt"; then
  echo "arm64 stories260K: 200 greedy ids match llama2.c/llama.cpp"
  passed=$((passed + 1))
else
  echo "arm64 stories260K: greedy ids differ from $expected_json" >&2
  diff "$work/expected_ids.txt" "$work/ids.txt" >&2 || true
  failed=$((failed + 1))
fi
if cmp -s "$work/text.txt" "$expected_text"; then
  echo "arm64 stories260K: text matches $(basename "$expected_text") ($(wc -c <"$work/text.txt") bytes)"
  passed=$((passed + 1))
else
  echo "arm64 stories260K: text differs from $expected_text (got $work/text.txt)" >&2
  failed=$((failed + 1))
fi
echo "arm64 stories260K under qemu: $((smoke_end - smoke_start)) s for two 200-token runs"
echo "stories260K-arm64: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
