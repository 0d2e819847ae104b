#!/usr/bin/env bash
# Installs the Debian 12 packages needed to build and test Astro Agent Edge. Run as root.
# Skips apt entirely when everything is already installed.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  clang lld llvm
  nlohmann-json3-dev libcli11-dev libfmt-dev libssl-dev libcurl4-openssl-dev libpcre2-dev
  libcpp-httplib-dev
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  unicode-data
  openjdk-17-jdk-headless
  qemu-user gcc-aarch64-linux-gnu g++-aarch64-linux-gnu
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: needs root to install packages (run as root or with sudo)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
