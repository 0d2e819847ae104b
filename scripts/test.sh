#!/usr/bin/env bash
# The whole test suite: install build dependencies, build, run the runtime's tests under
# AddressSanitizer/UBSan, then every CTest test (its summary is the last thing printed).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
bash scripts/test-sanitizers.sh
cd build
ctest --output-on-failure --parallel "$(nproc)" --timeout 900
