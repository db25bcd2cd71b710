"""Independent numpy reference for the quantized ops' stated semantics.

  python3 qlinear_cases.py OUTDIR

Writes, for each case, CASE.mlir (one function with random quantized
constants), CASE_inputs.npz and CASE_expected.npz. The reference follows the
op descriptions in dialects/qcc/QccQuantOps.td: activation codes are made in
float32 exactly as described (x * (1 / scale), round half to even, clamp),
integer block sums in int64, and everything after in float64, so qcc-run
must agree to f32 rounding (relative L2 <= 1e-6). Shapes are ragged: M = 17
rows, K = 200 (a partial last group), N = 37. Values are drawn fresh each
run (the seed is printed).
"""

import random
import sys

import ml_dtypes
import numpy as np

from builder import output_dir

M, K, N = 17, 200, 37
E4M3 = ml_dtypes.float8_e4m3fn
E2M1 = ml_dtypes.float4_e2m1fn
E8M0 = ml_dtypes.float8_e8m0fnu
QMAX = {"int8": 127, "int4": 7, "fp8_e4m3": 448}


def mlir_tensor(values, element):
    """A dense constant; floats printed with repr, exact for these types."""
    shape = "x".join(str(d) for d in values.shape)
    if element.startswith("i") or element.startswith("ui"):
        body = np.array2string(values.astype(np.int64), separator=", ",
                               threshold=10**9, max_line_width=10**9)
    else:
        body = "[" + ", ".join(
            "[" + ", ".join(repr(float(v)) for v in row) + "]"
            for row in np.asarray(values, np.float64).reshape(values.shape[0], -1)) + "]"
        if values.ndim == 1:
            body = "[" + ", ".join(repr(float(v)) for v in values) + "]"
    return f"dense<{body}> : tensor<{shape}x{element}>"


def quantize_rows(x, fmt):
    """qcc.quantize in float32."""
    qmax = np.float32(QMAX[fmt])
    absmax = np.abs(x).max(axis=-1, keepdims=True)
    scale = np.where(absmax > 0, (absmax / qmax).astype(np.float32),
                     np.float32(1))
    scaled = (x * (np.float32(1) / scale)).astype(np.float32)
    if fmt == "fp8_e4m3":
        codes = scaled.astype(E4M3).astype(np.float32)
    else:
        codes = np.clip(np.rint(scaled), -qmax, qmax)
    return codes.astype(np.float64), scale.astype(np.float64)


def product(x, codes, group_scales, group, fmt, channel=None, smooth=None,
            block=None):
    """The quantized-activation product: block sums, then scales."""
    x = x.astype(np.float32)
    k = x.shape[-1]
    block = block or group
    maxima = None
    if smooth:
        maxima = np.array([max(np.abs(x[:, s:s + smooth]).max(), 0) or 1
                           for s in range(0, k, smooth)], np.float32)
        inverse = (np.float32(1) / maxima).astype(np.float32)
        x = (x * np.repeat(inverse, smooth)[:k]).astype(np.float32)
    q, token_scale = quantize_rows(x, fmt)
    y = np.zeros((x.shape[0], codes.shape[0]))
    for start in range(0, k, block):
        part = q[:, start:start + block] @ codes[:, start:start + block].T
        scale = group_scales[:, start // group].astype(np.float64)
        if smooth:
            scale = scale * maxima[start // smooth]
        y += part * scale
    y *= token_scale
    if channel is not None:
        y *= channel
    return y


def symmetric_int(w, qmax, group):
    """Group-wise symmetric codes and f32 scales of w [N, K]."""
    codes = np.empty_like(w)
    scales = []
    for start in range(0, w.shape[1], group):
        part = w[:, start:start + group]
        scale = (np.abs(part).max(axis=1) / qmax).astype(np.float32)
        codes[:, start:start + group] = np.clip(
            np.rint(part / scale[:, None]), -qmax, qmax)
        scales.append(scale)
    return codes, np.stack(scales, axis=1)


def cases(rng):
    x = rng.standard_normal((M, K)).astype(np.float32)
    x[:, 7] *= 30  # an outlier channel, so smoothing matters
    w = rng.standard_normal((N, K)).astype(np.float32)
    bias = rng.standard_normal(N).astype(np.float32)

    # int4 g64 f32 scales, int8 activations, bias.
    codes, scales = symmetric_int(w, 7, 64)
    yield ("int4_a8", x, [("w", codes, "i4"), ("s", scales, "f32"),
                          ("b", bias, "f32")],
           'bias %b {activation_format = "int8", group_size = 64 : i64, weight_format = "int4"}',
           product(x, codes, scales, 64, "int8") + bias)

    # Asymmetric uint4 with zero points, float activations.
    zeros = rng.integers(0, 16, (N, 4))
    ucodes = rng.integers(0, 16, (N, K))
    yield ("uint4_float", x, [("w", ucodes, "ui4"), ("s", scales, "f32"),
                              ("z", zeros, "ui4")],
           'zero_points %z {group_size = 64 : i64, weight_format = "int4"}',
           x.astype(np.float64) @ ((ucodes - np.repeat(zeros, 64, 1)[:, :K])
                                    * np.repeat(scales, 64, 1)[:, :K]).astype(np.float32).T)

    # Two-level int4 (ui8 group scales x f32 channel scales), int8
    # activations, Runtime Smooth over groups of 50.
    small = rng.integers(-7, 8, (N, K))
    level2 = rng.integers(1, 18, (N, 4))
    channel = (rng.random(N) * 0.01 + 0.001).astype(np.float32)
    effective = small * np.repeat(level2, 64, 1)[:, :K]
    yield ("two_level_rs", x, [("w", small, "i4"), ("s", level2, "ui8"),
                               ("c", channel, "f32")],
           'channel_scales %c {activation_format = "int8", group_size = 64 : i64, runtime_smooth_group = 50 : i64, weight_format = "int4"}',
           product(x, effective, np.ones((N, 1)), K, "int8", channel, 50, 50))

    # int8 per channel, int8 activations: one block of all K.
    codes8, scales8 = symmetric_int(w, 127, K)
    yield ("int8_a8", x, [("w", codes8, "i8"), ("s", scales8, "f32")],
           '{activation_format = "int8", group_size = 200 : i64, weight_format = "int8"}',
           product(x, codes8, scales8, K, "int8"))

    # int4 g32 with int4 activations and Runtime Smooth over 32.
    codes4, scales4 = symmetric_int(w, 7, 32)
    yield ("int4_a4_rs", x, [("w", codes4, "i4"), ("s", scales4, "f32")],
           '{activation_format = "int4", group_size = 32 : i64, runtime_smooth_group = 32 : i64, weight_format = "int4"}',
           product(x, codes4, scales4, 32, "int4", None, 32))

    # fp8 per channel x fp8 activations.
    # Saturated first: ml_dtypes turns values past 448 into NaN.
    f8 = np.clip(w / 0.01, -448, 448).astype(E4M3).astype(np.float32)
    s8 = np.full((N, 1), 0.01, np.float32)
    yield ("fp8_a8", x, [("w", f8, "f8E4M3FN"), ("s", s8, "f32")],
           '{activation_format = "fp8_e4m3", group_size = 200 : i64, weight_format = "fp8_e4m3"}',
           product(x, f8.astype(np.float64), s8, K, "fp8_e4m3"))

    # mxfp4: e2m1 codes with e8m0 scales per 32, float activations.
    f4 = w.astype(E2M1).astype(np.float32)
    mx = (2.0 ** rng.integers(-8, 2, (N, 7))).astype(np.float32)
    deq = f4 * np.repeat(mx, 32, 1)[:, :K]
    yield ("mxfp4", x, [("w", f4, "f4E2M1FN"), ("s", mx, "f8E8M0FNU")],
           '{group_size = 32 : i64, weight_format = "fp4_e2m1"}',
           x.astype(np.float64) @ deq.astype(np.float64).T)

    # nvfp4: e2m1 codes, e4m3 scales per 16 times channel scales, fp8
    # activations.
    nv = (rng.random((N, 13)) * 4 + 0.1).astype(E4M3).astype(np.float32)
    nvc = (rng.random(N) * 0.1 + 0.01).astype(np.float32)
    yield ("nvfp4_a8", x, [("w", f4, "f4E2M1FN"), ("s", nv, "f8E4M3FN"),
                           ("c", nvc, "f32")],
           'channel_scales %c {activation_format = "fp8_e4m3", group_size = 16 : i64, weight_format = "fp4_e2m1"}',
           product(x, f4.astype(np.float64), nv, 16, "fp8_e4m3", nvc))

    # int8 weights, int8 activations and int8 LoRC factors of rank 5.
    u = rng.integers(-127, 128, (N, 5))
    v = rng.integers(-127, 128, (5, K))
    us = (rng.random(N) * 1e-3).astype(np.float32)
    vs = (rng.random(5) * 1e-3).astype(np.float32)
    lorc = (x.astype(np.float64) @ (v * vs[:, None]).T) @ (u * us[:, None]).T
    yield ("int8_lorc", x, [("w", codes8, "i8"), ("s", scales8, "f32"),
                            ("u", u, "i8"), ("v", v, "i8"), ("us", us, "f32"),
                            ("vs", vs, "f32")],
           'lorc %u, %v lorc_scales %us, %vs {activation_format = "int8", group_size = 200 : i64, weight_format = "int8"}',
           product(x, codes8, scales8, K, "int8") + lorc)


def write_case(out, name, x, constants, tail, expected):
    decls = []
    for cname, values, element in constants:
        decls.append(f"    %{cname} = arith.constant {mlir_tensor(np.asarray(values), element)}")
    types = ", ".join(f"tensor<{'x'.join(map(str, np.asarray(v).shape))}x{e}>"
                      for _, v, e in constants)
    mlir = "\n".join([
        "func.func @main(%x: tensor<?x200xf32> {qcc.onnx_name = \"x\"}) -> tensor<?x37xf32> {",
        *decls,
        f"    %y = qcc.qlinear %x, %w, %s {tail}",
        f"      : (tensor<?x200xf32>, {types}) -> tensor<?x37xf32>",
        "    return %y : tensor<?x37xf32>",
        "}"])
    (out / f"{name}.mlir").write_text(mlir + "\n")
    np.savez(out / f"{name}_inputs.npz", x=x)
    np.savez(out / f"{name}_expected.npz", result0=expected.astype(np.float32))


def paley12():
    """H_12 by Paley's first construction with q = 11 (written here
    independently of qcc's)."""
    q = 11
    squares = {(i * i) % q for i in range(1, q)}
    chi = lambda a: 0 if a % q == 0 else (1 if a % q in squares else -1)
    s = np.zeros((12, 12))
    s[0, 1:] = 1
    s[1:, 0] = -1
    for i in range(q):
        for j in range(q):
            s[i + 1, j + 1] = chi(j - i)
    return np.eye(12) + s


def write_rotation_case(out, rng):
    """hadamard (12 ⊗ 2, block-diagonal over 48), then quantize/dequantize."""
    x = rng.standard_normal((M, 48)).astype(np.float32)
    h = np.kron(paley12(), np.array([[1, 1], [1, -1]])) / np.sqrt(24)
    rotated = (x.astype(np.float64).reshape(M, 2, 24) @ h).reshape(M, 48)
    codes, scale = quantize_rows(rotated.astype(np.float32), "int8")
    mlir = """func.func @main(%x: tensor<?x48xf32> {qcc.onnx_name = "x"}) -> tensor<?x48xf32> {
    %r = qcc.hadamard %x {block_size = 24 : i64} : tensor<?x48xf32>
    %q, %s = qcc.quantize %r {format = "int8"} : (tensor<?x48xf32>) -> (tensor<?x48xi8>, tensor<?x1xf32>)
    %y = qcc.dequantize %q, %s : (tensor<?x48xi8>, tensor<?x1xf32>) -> tensor<?x48xf32>
    return %y : tensor<?x48xf32>
}
"""
    (out / "rotate_quantize.mlir").write_text(mlir)
    np.savez(out / "rotate_quantize_inputs.npz", x=x)
    np.savez(out / "rotate_quantize_expected.npz",
             result0=(codes * scale).astype(np.float32))


def main(argv):
    out = output_dir(argv)
    seed = random.SystemRandom().randrange(2**31)
    print(f"seed {seed}")
    rng = np.random.default_rng(seed)
    for case in cases(rng):
        write_case(out, *case)
        print(case[0])
    write_rotation_case(out, rng)


if __name__ == "__main__":
    main(sys.argv)
