"""Reference for qcc-quantize-weights: the model with every MatMul weight
quantized by round-to-nearest in numpy and dequantized, run by onnxruntime.

  python3 rtn_reference.py MODEL.onnx INPUTS.npz FORMAT GROUP SYMMETRIC OUT.npz [SCALES]

Formulas as documented in passes/Passes.td, computed in float32 as qcc does:
symmetric scale = max|w| / qmax, asymmetric scale = (max(w,0) - min(w,0)) /
qmax with zero point rne(-min / scale); q = rne(w * (1 / scale)) (+ zero
point), clamped; float formats round through ml_dtypes (nearest even).
SCALES (default float) follows qcc-quantize-weights' scale formats:
two-level (row scale max|w| / 119, integer group scale ceil(max|w| / (7 *
row scale)) in [1, 17], codes in [-7, 7]), e8m0 (2^ceil(log2(max|w| / 6)))
and e4m3 (row scale max|w| / 2688, e4m3 group scale max|w| / (6 * row)).
"""

import sys

import ml_dtypes
import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

QMAX = {("int4", True): 7, ("int4", False): 15, ("int8", True): 127,
        ("int8", False): 255, ("fp8_e4m3", True): 448, ("fp4_e2m1", True): 6}
FLOAT_TYPES = {"fp8_e4m3": ml_dtypes.float8_e4m3fn,
               "fp4_e2m1": ml_dtypes.float4_e2m1fn}


def quantize_row_group(w, fmt, symmetric):
    qmax = np.float32(QMAX[(fmt, symmetric)])
    low = min(np.float32(0), w.min())
    high = max(np.float32(0), w.max())
    span = max(-low, high) if symmetric else high - low
    scale = np.float32(span / qmax) if span > 0 else np.float32(1)
    inverse = np.float32(1) / scale
    scaled = (w * inverse).astype(np.float32)
    if fmt in FLOAT_TYPES:
        return scaled.astype(FLOAT_TYPES[fmt]).astype(np.float32) * scale
    if symmetric:
        q = np.clip(np.rint(scaled), -qmax - 1, qmax)
        return (q * scale).astype(np.float32)
    zero = np.clip(np.rint((-low * inverse).astype(np.float32)), 0, qmax)
    q = np.clip(np.rint(scaled) + zero, 0, qmax)
    return ((q - zero).astype(np.float32) * scale).astype(np.float32)


def quantize_scaled_group(w, fmt, scales, row_max):
    """Two-level, e8m0 and e4m3 group scales."""
    f32 = np.float32
    absmax = np.abs(w).max()
    if scales == "two-level":
        channel = f32(row_max / f32(119)) if row_max > 0 else f32(1)
        scale = f32(np.clip(np.ceil(absmax / (f32(7) * channel)), 1, 17)) \
            if absmax > 0 else f32(1)
        inverse = f32(1) / f32(scale * channel)
        q = np.clip(np.rint((w * inverse).astype(f32)), -7, 7)
        return (q * scale).astype(f32) * channel
    if scales == "e8m0":
        scale = f32(2.0 ** np.clip(np.ceil(np.log2(absmax / f32(6))), -127,
                                   127)) if absmax > 0 else f32(1)
        codes = (w * (f32(1) / scale)).astype(f32).astype(FLOAT_TYPES[fmt])
        return codes.astype(f32) * scale
    channel = f32(row_max / f32(2688)) if row_max > 0 else f32(1)
    scale = f32(f32(absmax / (f32(6) * channel)).astype(
        ml_dtypes.float8_e4m3fn)) if absmax > 0 else f32(0)
    step = f32(scale * channel)
    if step == 0:
        return np.zeros_like(w)
    codes = (w * (f32(1) / step)).astype(f32).astype(FLOAT_TYPES[fmt])
    return codes.astype(f32) * step


def dequantized(weight, fmt, group, symmetric, scales="float"):
    """weight is ONNX's [K, N]; groups run along K for each output n."""
    rows = weight.T.astype(np.float32)
    k = rows.shape[1]
    group = k if group <= 0 else min(group, k)
    out = np.empty_like(rows)
    for n in range(rows.shape[0]):
        row_max = np.abs(rows[n]).max()
        for start in range(0, k, group):
            part = rows[n, start:start + group]
            out[n, start:start + group] = (
                quantize_row_group(part, fmt, symmetric) if scales == "float"
                else quantize_scaled_group(part, fmt, scales, row_max))
    return out.T


def main(model_path, inputs_path, fmt, group, symmetric, out_path,
         scales="float"):
    group, symmetric = int(group), symmetric == "true"
    model = onnx.load(model_path)
    initializers = {t.name: t for t in model.graph.initializer}
    for node in model.graph.node:
        weight = initializers.get(node.input[1]) if node.op_type == "MatMul" else None
        if weight is None or len(weight.dims) != 2:
            continue
        array = numpy_helper.to_array(weight)
        weight.CopyFrom(numpy_helper.from_array(
            dequantized(array, fmt, group, symmetric, scales), weight.name))
    session = ort.InferenceSession(model.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    outputs = session.run(names, dict(np.load(inputs_path)))
    np.savez(out_path, **dict(zip(names, outputs)))


if __name__ == "__main__":
    main(*sys.argv[1:])
