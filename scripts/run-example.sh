#!/usr/bin/env bash
# The main job, end to end on a fresh machine: install dependencies, build, then package the
# bundled example app (examples/linux-chat) and run it:
#   make the example model locally -> convert_weight (q4f16_1) -> gen_config
#   -> sphere_aae package (model library, runtime library, headers, bundle, app config)
#   -> build examples/linux-chat against dist/ only with CMake -> ask it a prompt
# The model is stories260K (a real tiny Llama trained on children's stories) when
# ../shared/testdata is beside the checkout, else a random-weight example model (its answer is
# gibberish, but every step is the same). Output goes to ./example-output (EXAMPLE_OUT=dir).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh

root="$(pwd)"
out="${EXAMPLE_OUT:-example-output}"
bin="$root/build/tools"
app_dir="$root/examples/linux-chat"
model="$app_dir/models/story"
gguf="${AAE_TESTDATA_DIR:-$root/../shared/testdata}/gguf/stories260K.gguf"
rm -rf "$out" "$model"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

echo "== 1. make the example model =="
if [ -f "$gguf" ]; then
  src="$gguf"
  echo "using stories260K: $gguf"
else
  src="$out/hf-tiny-llama"
  "$bin/make_example_model/sphere_aae_make_example" --arch llama --preset tiny -o "$src"
fi
"$bin/sphere_aae/sphere_aae" convert_weight "$src" --quantization q4f16_1 -o "$model"
"$bin/sphere_aae/sphere_aae" gen_config "$src" --quantization q4f16_1 --conv-template llama-2 \
  -o "$model"

echo "== 2. sphere_aae package (examples/linux-chat/sphere-aae-package-config.json) =="
SPHERE_AAE_SOURCE_DIR="$root" "$bin/sphere_aae/sphere_aae" package \
  --package-config "$app_dir/sphere-aae-package-config.json" -o "$out/dist"

echo "== 3. build examples/linux-chat against dist/ =="
cmake -S "$app_dir" -B "$out/linux-chat" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$out/dist" >/dev/null
cmake --build "$out/linux-chat"

echo "== 4. run it =="
prompt="Once upon a time, there was a little"
echo "prompt: $prompt"
"$out/linux-chat/linux-chat" "$out/dist/bundle" story "$prompt" 120

echo
echo "done: dist/ is $out/dist, the app $out/linux-chat/linux-chat"
