#!/usr/bin/env bash
# Runs the CUDA kernels' logic on the host (engine/src/test/cuda/emulate.cpp through emu.h), for
# machines without a GPU: catches indexing, reduction, compaction and GEMM tiling mistakes.
# It does not check the JCuda launch code or device-only behaviour; ./gpu-check does that on a GPU.
set -euo pipefail
engine="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
command -v g++ >/dev/null || { echo "emulate-kernels: g++ not on PATH" >&2; exit 2; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
g++ -std=c++20 -O1 -pthread -w -o "$tmp/emulate" "$engine/src/test/cuda/emulate.cpp"
"$tmp/emulate"
