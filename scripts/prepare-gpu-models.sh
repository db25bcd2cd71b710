#!/usr/bin/env bash
# Builds the whole-model part of the GPU suite where qcc is (the GPU machine
# has no MLIR): sm90 model.so files for every scheme of the Llama-style block
# and of MiniLM, the interpreter's outputs on fresh random inputs, and
# onnxruntime's float outputs, packed as one archive per call of the device
# tool (a call carries at most 64 MiB; a MiniLM .so is 55 MB, its f32
# embeddings):
#   bash scripts/prepare-gpu-models.sh OUT_DIR [minilm schemes...]
# writes OUT_DIR/llama.tar.xz and OUT_DIR/minilm-<scheme>.tar.xz; then on the
# GPU machine: bash scripts/gpu-tests.sh BUILD_DIR OUT_DIR models ARCHIVE...
set -euo pipefail
out=$(realpath -m "${1:?output directory}")
shift
minilm_schemes=("${@:-w8a8}")
root=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-$root/.venv/bin/python3}
models=$root/test/models
export PATH=$root/build/bin:$PATH
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out" "$work/llama" "$work/prefill" "$work/minilm"
"$python" "$models/llama_block.py" "$work" >/dev/null
"$python" "$models/reference.py" "$work/llama_block.onnx" "$work/llama" \
  --dims batch=2 seq=5 past_seq=3 total_seq=8 >/dev/null
"$python" "$models/check_gpu_models.py" prepare "$work/llama_block.onnx" \
  "$work/gpu/llama" "$work/llama/inputs.npz" "$work/llama/reference.npz" \
  --schemes float w4a16 w8a8 w4a8 w4a4 fp8 fp4 mxfp4 nvfp4 w4a16+lorc w8a8+lorc \
  2>/dev/null
# A prefill of 2 × 70 rows: the many-row (warpgroup and tiled) qlinear
# kernels, for the schemes that have them.
"$python" "$models/reference.py" "$work/llama_block.onnx" "$work/prefill" \
  --dims batch=2 seq=70 past_seq=3 total_seq=73 >/dev/null
"$python" "$models/check_gpu_models.py" prepare "$work/llama_block.onnx" \
  "$work/gpu/llama-prefill" "$work/prefill/inputs.npz" \
  "$work/prefill/reference.npz" --schemes w4a16 w8a8 w4a8 fp8 mxfp4 \
  2>/dev/null
# The C ABI as a service sees it: the sm90 .so must answer abi_client as the
# x86 one does (test/Target/X86/shared-object.test), but for its target.
cc -std=c11 -O1 -I"$root/include" "$root/test/Target/X86/Inputs/abi_client.c" \
  -o "$work/gpu/llama/abi_client" -ldl -lm
qcc "$work/llama_block.onnx" --scheme=w8a8 -o "$work/w8a8-x86.so" 2>/dev/null
"$work/gpu/llama/abi_client" "$work/w8a8-x86.so" |
  sed 's/target x86/target sm90/' >"$work/gpu/llama/abi_client.expected"
tar -C "$work/gpu" -cJf "$out/llama.tar.xz" llama llama-prefill
"$python" "$models/minilm.py" "$work" >/dev/null
"$python" "$models/reference.py" "$work/minilm.onnx" "$work/minilm" \
  --dims batch_size=3 sequence_length=19 >/dev/null
for scheme in "${minilm_schemes[@]}"; do
  rm -rf "$work/gpu/minilm"
  "$python" "$models/check_gpu_models.py" prepare "$work/minilm.onnx" \
    "$work/gpu/minilm" "$work/minilm/inputs.npz" "$work/minilm/reference.npz" \
    --schemes "$scheme" 2>/dev/null
  tar -C "$work/gpu" -cJf "$out/minilm-$scheme.tar.xz" minilm
done
ls -la "$out"
