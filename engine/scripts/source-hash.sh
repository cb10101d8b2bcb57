#!/usr/bin/env bash
# Prints the SHA-256 over the CUDA C sources (engine/src/main/cuda, files in name order, each
# preceded by its name), the value build-ptx.sh records in the PTX header.
set -euo pipefail
src="$(cd "$(dirname "${BASH_SOURCE[0]}")/../src/main/cuda" && pwd)"
cd "$src"
for f in $(LC_ALL=C ls -1 | grep -E '\.(cu|cuh)$'); do
  printf '%s\n' "$f"
  cat "$f"
done | sha256sum | cut -d' ' -f1
