#!/usr/bin/env bash
# The main job, end to end on a fresh machine: install dependencies, build, then run the longest
# pipeline that exists today on the bundled example model:
#   make a tiny Llama-shaped Hugging Face model -> convert_weight (q4f16_1) -> gen_config
#   -> inspect --verify -> tokenize a prompt -> compile the model library for this machine
# Output goes to ./example-output (override with EXAMPLE_OUT=dir).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh

out="${EXAMPLE_OUT:-example-output}"
bin=build/tools
rm -rf "$out"
mkdir -p "$out"

echo "== 1. make the example model (Hugging Face layout) =="
"$bin/make_example_model/sphere_aae_make_example" --arch llama --preset tiny -o "$out/hf-tiny-llama"

echo "== 2. convert_weight -> q4f16_1 =="
"$bin/sphere_aae/sphere_aae" convert_weight "$out/hf-tiny-llama" --quantization q4f16_1 \
  -o "$out/tiny-llama-q4f16_1"

echo "== 3. gen_config =="
"$bin/sphere_aae/sphere_aae" gen_config "$out/hf-tiny-llama" --quantization q4f16_1 \
  --conv-template llama-3 -o "$out/tiny-llama-q4f16_1"

echo "== 4. inspect --verify =="
"$bin/sphere_aae/sphere_aae" inspect "$out/tiny-llama-q4f16_1" --verify

echo "== 5. tokenize =="
"$bin/sphere_aae/sphere_aae" tokenize "$out/tiny-llama-q4f16_1" --text "Once upon a time, a small model ran on a phone."

echo "== 6. compile the model library (linux) =="
"$bin/sphere_aae/sphere_aae" compile "$out/tiny-llama-q4f16_1" --device linux \
  -o "$out/tiny-llama-q4f16_1-linux.so"

echo
echo "done: the converted model is in $out/tiny-llama-q4f16_1, its library in $out/tiny-llama-q4f16_1-linux.so"
