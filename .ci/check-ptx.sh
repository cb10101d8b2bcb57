#!/usr/bin/env bash
# Checks that the committed PTX (engine/src/main/resources/org/tessera/backend/cuda/tessera.ptx)
# matches the CUDA C sources in engine/src/main/cuda.
#   1. Always (no nvcc needed): the source hash recorded in the PTX header equals the hash of
#      the sources now, so an edit to a kernel without regenerating fails here.
#   2. When nvcc is on PATH: the PTX is regenerated into a temporary directory; with the same nvcc
#      release as recorded it must be byte-identical, with another release it must at least build
#      (nvcc's output differs between releases, so only the recording release can be compared).
#   3. When g++ is on PATH: the kernels' logic runs on the host (engine/scripts/emulate-kernels.sh).
# Regenerate with: engine/scripts/build-ptx.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
ptx="$root/engine/src/main/resources/org/tessera/backend/cuda/tessera.ptx"
[ -f "$ptx" ] || { echo "check-ptx: $ptx is missing; run engine/scripts/build-ptx.sh" >&2; exit 1; }

recorded="$(sed -n 's|^// source-sha256: ||p' "$ptx")"
actual="$("$root/engine/scripts/source-hash.sh")"
if [ "$recorded" != "$actual" ]; then
  echo "check-ptx: the CUDA sources changed since tessera.ptx was generated (recorded $recorded, now $actual);" \
       "run engine/scripts/build-ptx.sh and commit the result" >&2
  exit 1
fi
echo "check-ptx: source hash matches ($actual)"

if command -v g++ >/dev/null; then
  "$root/engine/scripts/emulate-kernels.sh"
else
  echo "check-ptx: g++ not on PATH; skipped the host emulation of the kernels"
fi

if ! command -v nvcc >/dev/null; then
  echo "check-ptx: nvcc not on PATH; skipped regenerating the PTX"
  exit 0
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$root/engine/scripts/build-ptx.sh" "$tmp" >/dev/null
recorded_nvcc="$(sed -n 's|^// nvcc: ||p' "$ptx")"
now_nvcc="$(sed -n 's|^// nvcc: ||p' "$tmp/tessera.ptx")"
if [ "$recorded_nvcc" = "$now_nvcc" ]; then
  if ! diff -q "$ptx" "$tmp/tessera.ptx" >/dev/null; then
    echo "check-ptx: regenerating with nvcc $now_nvcc gives a different tessera.ptx; run engine/scripts/build-ptx.sh" >&2
    diff "$ptx" "$tmp/tessera.ptx" | head -20 >&2
    exit 1
  fi
  echo "check-ptx: regenerated PTX is identical (nvcc $now_nvcc)"
else
  echo "check-ptx: sources compile with nvcc $now_nvcc; the committed PTX was made by nvcc $recorded_nvcc," \
       "so only the source hash was compared"
fi
