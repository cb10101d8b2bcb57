#!/usr/bin/env bash
# GPU discovery for Spark's resource scheduling (spark.{driver,executor}.resource.gpu.discoveryScript).
# Prints the JSON that Spark expects: {"name": "gpu", "addresses": ["0", "1", ...]}.
# Honours CUDA_VISIBLE_DEVICES when set; prints an empty address list when no GPU or driver is found.
set -u
addresses=()
if [ -n "${CUDA_VISIBLE_DEVICES:-}" ]; then
  IFS=',' read -r -a addresses <<< "$CUDA_VISIBLE_DEVICES"
elif command -v nvidia-smi >/dev/null 2>&1; then
  while IFS= read -r idx; do
    idx="${idx//[[:space:]]/}"
    [ -n "$idx" ] && addresses+=("$idx")
  done < <(nvidia-smi --query-gpu=index --format=csv,noheader 2>/dev/null)
fi
json=""
for a in "${addresses[@]+"${addresses[@]}"}"; do
  json="${json:+$json, }\"$a\""
done
printf '{"name": "gpu", "addresses": [%s]}\n' "$json"
