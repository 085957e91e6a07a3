#!/bin/sh
# A light stand-in build for the benchmark: the same outputs the Node stand-in writes for an
# ESP32 (native ESP-IDF layout + ESPHome's storage JSON, found by the worker the way it finds
# real ESPHome output), but costing a shell and a sleep instead of a Node start, so that on a
# 2-core machine the measured times are the set build durations, not CPU contention.
#   FORGE_STANDIN_CLEAN_MS / FORGE_STANDIN_INCREMENTAL_MS   compile time (clean: no earlier output)
set -eu
case "${FORGE_PHASE:-}" in
  version) echo "Version: 2026.10.0"; exit 0 ;;
  validate) echo "INFO Configuration is valid!"; exit 0 ;;
  upload) echo "INFO Uploading (stand-in)"; exit 0 ;;
  compile) ;;
  *) echo "unknown FORGE_PHASE ${FORGE_PHASE:-}" >&2; exit 2 ;;
esac
name="${FORGE_DEVICE_NAME:-$FORGE_DEVICE_ID}"
data="${ESPHOME_DATA_DIR:-$(dirname "$FORGE_CONFIG")/.esphome}"
out="$data/build/$name/build"
if [ -f "$out/$name.bin" ]; then ms="${FORGE_STANDIN_INCREMENTAL_MS:-50}"; kind=incremental; else ms="${FORGE_STANDIN_CLEAN_MS:-200}"; kind=clean; fi
printf '\033[32mINFO Compiling app... (%s build)\033[0m\n' "$kind"
sleep "$(awk "BEGIN { printf \"%.3f\", $ms / 1000 }")"
mkdir -p "$out" "$data/storage"
# Deterministic bytes per config: the config's own text, repeated, padded past the ESP32 image floor
# (firmware/image-floor.ts refuses implausibly small images).
{ for i in 1 2 3 4 5 6 7 8; do cat "$FORGE_CONFIG"; done; head -c 40960 /dev/zero; } > "$out/$name.bin"
cp "$out/$name.bin" "$out/firmware.ota.bin"
cat "$out/$name.bin" "$out/$name.bin" > "$out/firmware.factory.bin"
cat > "$data/storage/$(basename "$FORGE_CONFIG").json" <<JSON
{"storage_version": 1, "name": "$name", "esphome_version": "2026.10.0", "target_platform": "esp32",
 "build_path": "$data/build/$name", "firmware_bin_path": "$out/$name.bin", "loaded_integrations": ["esp32"]}
JSON
printf '\033[32mINFO Successfully compiled program.\033[0m\n'
