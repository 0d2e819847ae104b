#!/bin/sh
# Runs ai.sphereaae.EngineTest on stories260K converted and compiled by the real CLI (as
# tests/stories260k_model.h does for the C++ suites).
# Usage: run_java_test.sh CLI TESTDATA_DIR JAVA CLASSPATH JNI_LIBRARY_DIR
# Exit status: EngineTest's; 77 (CTest: skipped) when the testdata is absent.
set -eu
cli=$1 testdata=$2 java=$3 classpath=$4 jni_dir=$5
# CTest passes the configured AAE_TESTDATA_DIR; the environment variable wins, as in C++ tests.
testdata=${AAE_TESTDATA_DIR:-$testdata}
gguf=$testdata/gguf/stories260K.gguf
if [ ! -f "$gguf" ]; then
  echo "skipped: $gguf is absent (set AAE_TESTDATA_DIR)"
  exit 77
fi
scratch=$(mktemp -d "${TMPDIR:-/tmp}/sphere_aae_java_test.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
trap 'exit 1' INT TERM
model=$scratch/stories260K-q0f32
"$cli" convert_weight "$gguf" --quantization q0f32 -o "$model" >"$scratch/log" 2>&1 &&
  "$cli" gen_config "$gguf" --quantization q0f32 --conv-template llama-2 -o "$model" \
    >>"$scratch/log" 2>&1 &&
  "$cli" compile "$model" --device linux -o "$scratch/lib.so" >>"$scratch/log" 2>&1 || {
  cat "$scratch/log"
  echo "FAIL: could not make the test model"
  exit 1
}
"$java" -Xcheck:jni -Djava.library.path="$jni_dir" -cp "$classpath" ai.sphereaae.EngineTest \
  "$model" "$scratch/lib.so"
