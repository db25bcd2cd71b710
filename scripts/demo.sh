#!/usr/bin/env bash
# `make demo`: compiles the bundled example model (a Llama-style decoder layer
# with a KV cache in SmolLM2-135M's sizes, generated with random weights by
# test/models/llama_block.py) to an x86 model.so
# per scheme, runs each through its C ABI, and reports its error against the
# float model (onnxruntime), its size against the float model's, and its
# speed against onnxruntime on the same inputs.
set -euo pipefail
build=${1:-build}
python=${PYTHON:-python3}
here=$(cd "$(dirname "$0")/.." && pwd)
out="$build/demo"
rm -rf "$out" && mkdir -p "$out"
export PATH="$here/$build/bin:$PATH"

"$python" "$here/test/models/llama_block.py" "$out" \
  --hidden 576 --intermediate 1536 --heads 9 --kv-heads 3
model="$out/llama_block.onnx"
"$python" "$here/test/models/reference.py" "$model" "$out" \
  --dims batch=1 seq=32 past_seq=96 total_seq=128 > /dev/null

echo "== the Llama block in qcc IR (weights elided):"
qcc "$model" --emit=mlir -o "$out/llama_block.mlir"
qcc-opt "$out/llama_block.mlir" --mlir-elide-resource-strings-if-larger=16 \
  | grep -v "arith.constant" | head -40

for scheme in w8a8 w4a16 w4a8; do
  echo "== qcc $model --scheme=$scheme -o $out/llama_block-$scheme.so"
  qcc "$model" --scheme="$scheme" -o "$out/llama_block-$scheme.so" 2>&1 \
    | grep -v "remark: no --calibration-data" || true
  "$python" "$here/scripts/demo_report.py" "$model" \
    "$out/llama_block-$scheme.so" "$out/inputs.npz" "$out/reference.npz"
done
echo "demo: done; files in $out"
