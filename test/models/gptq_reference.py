"""Reference for qcc-quantize-weights method=gptq on a one-linear model.

  python3 gptq_reference.py make DIR GROUP ACT_ORDER
  python3 gptq_reference.py check DIR RESULT.npz RTN.npz

`make` writes DIR/linear.onnx (y = x @ W, K = 200, N = 37: neither a
multiple of the group), DIR/calib.npz (16 samples of 64 tokens) and
DIR/eval.npz (fresh tokens) drawn from one correlated distribution
(x = z @ A with A's singular values spread over two decades, so H is far
from diagonal and GPTQ has something to exploit), and DIR/reference.npz:
the outputs of the weight quantized by an independent float64 GPTQ (int4,
symmetric, scales max|w| / 7 per group of the original weight, H = Σ x xᵀ
/ ‖x‖², damping 0.01 of H's mean diagonal, columns in order of decreasing
H_jj with ACT_ORDER, one column at a time, no blocking) and
DIR/float.npz (the float outputs).

`check` compares qcc's outputs RESULT.npz with the reference (relative L2,
bound 2e-3: qcc accumulates H and its factor in f32 and rounds in blocks,
so a few codes whose value lies within f32 noise of a rounding boundary
may round the other way, each moving the output by one step of one weight;
RTN's codes differ from GPTQ's in about a third of the weights and sit
~5e-2 away) and requires GPTQ's error against the float outputs to be at
most 0.8 of round-to-nearest's (RTN.npz) on the held-out tokens.
"""

import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

K, N = 200, 37


def group_scales(w, group):
    """Per row and group: max|w| / 7 of the original weight (float32)."""
    size = group if group > 0 else w.shape[1]
    scales = np.empty((w.shape[0], w.shape[1]), np.float32)
    for start in range(0, w.shape[1], size):
        block = w[:, start:start + size]
        span = np.abs(block).max(axis=1, keepdims=True)
        scale = np.where(span > 0, span / np.float32(7), np.float32(1))
        scales[:, start:start + size] = scale.astype(np.float32)
    return scales


def quantize(w, scales):
    return np.clip(np.rint(w / scales), -8, 7) * scales


def gptq(w, x, group, act_order, damp=0.01):
    w = w.astype(np.float64)
    scales = group_scales(w.astype(np.float32), group).astype(np.float64)
    rows = x.reshape(-1, K).astype(np.float64)
    rows = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    h = rows.T @ rows
    mean_diagonal = np.mean(np.diag(h))
    order = (np.argsort(-np.diag(h), kind="stable") if act_order
             else np.arange(K))
    h = h[np.ix_(order, order)] + damp * mean_diagonal * np.eye(K)
    u = np.linalg.cholesky(np.linalg.inv(h)).T
    work = w[:, order].copy()
    result = np.empty_like(work)
    for j in range(K):
        column = work[:, j]
        q = quantize(column, scales[:, order[j]])
        result[:, j] = q
        error = (column - q) / u[j, j]
        work[:, j + 1:] -= np.outer(error, u[j, j + 1:])
    dequantized = np.empty_like(result)
    dequantized[:, order] = result
    return dequantized


def make(out, group, act_order):
    rng = np.random.default_rng()
    basis, _ = np.linalg.qr(rng.standard_normal((K, K)))
    mixing = basis * np.logspace(0, -2, K)
    mixing = mixing @ np.linalg.qr(rng.standard_normal((K, K)))[0]

    def draw(*shape):
        z = rng.standard_normal(shape + (K,))
        return (z @ mixing * 10).astype(np.float32)

    w = rng.standard_normal((N, K)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="/proj/MatMul")],
        "linear",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                       ["batch", "seq", K])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                       ["batch", "seq", N])],
        [numpy_helper.from_array(np.ascontiguousarray(w.T), "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(model, f"{out}/linear.onnx")
    calib = draw(16, 1, 64)
    held_out = draw(2, 96)
    np.savez(f"{out}/calib.npz", x=calib)
    np.savez(f"{out}/eval.npz", x=held_out)
    reference = gptq(w, calib, group, act_order)
    np.savez(f"{out}/reference.npz",
             y=(held_out.astype(np.float64) @ reference.T).astype(np.float32))
    np.savez(f"{out}/float.npz",
             y=(held_out.astype(np.float64) @ w.T).astype(np.float32))


def relative(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def check(out, result_path, rtn_path):
    result = np.load(result_path)["y"]
    reference = np.load(f"{out}/reference.npz")["y"]
    exact = np.load(f"{out}/float.npz")["y"]
    rtn = np.load(rtn_path)["y"]
    mismatch = relative(result, reference)
    ours, theirs = relative(result, exact), relative(rtn, exact)
    print(f"vs reference {mismatch:.3g}; error gptq {ours:.4g} "
          f"rtn {theirs:.4g} ratio {ours / theirs:.3f}")
    assert mismatch <= 2e-3, mismatch
    assert ours <= 0.8 * theirs, (ours, theirs)
    print("gptq matches")


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], int(sys.argv[3]), sys.argv[4] == "true")
    else:
        check(*sys.argv[2:5])
