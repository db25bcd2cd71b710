"""Writes OUTDIR/llama_block.onnx: one Llama decoder layer with a KV cache.

Opset 18 (ReduceMean takes its axes as an input), IR 10. Hidden 64, 4 query
heads and 2 KV heads (grouped-query attention), head_dim 16, intermediate 172.
The ops are those a Hugging Face export contains: RMSNorm decomposed twice
(Pow/ReduceMean/Add/Sqrt/Reciprocal/Mul, then the Sqrt/Div form), RoPE from
position_ids (Cos/Sin, rotate_half as Slice/Neg/Concat), the cache Concat,
repeat_kv as Unsqueeze/Expand/Reshape, additive-mask attention and a SwiGLU
MLP with SiLU as x * Sigmoid(x).

Inputs: hidden_states [batch, seq, 64], position_ids int64 [batch, seq],
past_key/past_value [batch, 2, past_seq, 16], attention_mask (additive)
[batch, 1, seq, total_seq]. Outputs: output [batch, seq, 64],
present_key/present_value [batch, 2, total_seq, 16].

Usage: python3 llama_block.py OUTDIR
"""

import sys

import numpy as np
from onnx import TensorProto, helper

from builder import GraphBuilder, output_dir, save_checked

HIDDEN = 64
HEADS = 4
KV_HEADS = 2
HEAD_DIM = HIDDEN // HEADS
INTERMEDIATE = 172
RMS_EPS = 1e-5
ROPE_THETA = 10000.0
INT64_MAX = np.iinfo(np.int64).max
LAYER = "model.layers.0"  # weight-name prefix
SCOPE = "/model/layers.0"  # node-name prefix


def matmul(g, scope, x, name, n_in, n_out):
    """A bias-free projection: MatMul with a constant [n_in, n_out] weight."""
    return g.op("MatMul", scope, [x, g.param(f"{name}.weight", (n_in, n_out))])


def rms_norm(g, scope, x, name, use_div):
    """weight * x / sqrt(mean(x^2) + eps), as Reciprocal+Mul or as Div."""
    weight = g.param(f"{name}.weight", (HIDDEN,), mean=1.0, std=0.1)
    square = g.op("Pow", scope, [x, g.const(scope, 2.0, np.float32)])
    mean = g.op("ReduceMean", scope, [square, g.const(scope, [-1])],
                keepdims=1)
    rms = g.op("Sqrt", scope, [g.op("Add", scope, [
        mean, g.const(scope, RMS_EPS, np.float32)])])
    if use_div:
        normed = g.op("Div", scope, [x, rms])
    else:
        normed = g.op("Mul", scope, [x, g.op("Reciprocal", scope, [rms])])
    return g.op("Mul", scope, [weight, normed])


def rotary_tables(g, position_ids):
    """cos and sin of the rotary angles, both [batch, seq, HEAD_DIM]."""
    scope = "/model/rotary_emb"
    inv_freq = 1.0 / ROPE_THETA ** (np.arange(0, HEAD_DIM, 2) / HEAD_DIM)
    inv_freq = g.initializer("model.rotary_emb.inv_freq",
                             inv_freq.astype(np.float32))
    positions = g.op("Cast", scope, [position_ids], to=TensorProto.FLOAT)
    positions = g.op("Unsqueeze", scope, [positions, g.const(scope, [-1])])
    freqs = g.op("Mul", scope, [positions, inv_freq])
    angles = g.op("Concat", scope, [freqs, freqs], axis=-1)
    return g.op("Cos", scope, [angles]), g.op("Sin", scope, [angles])


def rotate_half(g, scope, x):
    """Concat(-x[..., 8:], x[..., :8])."""
    half = HEAD_DIM // 2
    axes, steps = g.const(scope, [-1]), g.const(scope, [1])
    first = g.op("Slice", scope, [x, g.const(scope, [0]),
                                  g.const(scope, [half]), axes, steps])
    second = g.op("Slice", scope, [x, g.const(scope, [half]),
                                   g.const(scope, [INT64_MAX]), axes, steps])
    return g.op("Concat", scope, [g.op("Neg", scope, [second]), first],
                axis=-1)


def apply_rope(g, scope, x, cos, sin):
    """x * cos + rotate_half(x) * sin."""
    return g.op("Add", scope, [
        g.op("Mul", scope, [x, cos]),
        g.op("Mul", scope, [rotate_half(g, scope, x), sin])])


def repeat_kv(g, scope, x):
    """[b, 2, t, d] -> [b, 4, t, d]: Unsqueeze(2) -> Expand -> Reshape."""
    n_rep = HEADS // KV_HEADS
    batch, total = g.dim(scope, x, 0), g.dim(scope, x, 2)
    x = g.op("Unsqueeze", scope, [x, g.const(scope, [2])])
    x = g.op("Expand", scope, [x, g.shape(
        scope, [batch, KV_HEADS, n_rep, total, HEAD_DIM])])
    return g.op("Reshape", scope, [x, g.shape(
        scope, [batch, HEADS, total, HEAD_DIM])])


def attention(g, x, cos, sin):
    scope = f"{SCOPE}/self_attn"
    name = f"{LAYER}.self_attn"
    batch, seq = g.dim(scope, x, 0), g.dim(scope, x, 1)
    heads_shape = g.shape(scope, [batch, seq, -1, HEAD_DIM])

    def project(proj, n_out):
        h = matmul(g, f"{scope}/{proj}", x, f"{name}.{proj}", HIDDEN, n_out)
        h = g.op("Reshape", scope, [h, heads_shape])
        return g.op("Transpose", scope, [h], perm=[0, 2, 1, 3])

    q = project("q_proj", HEADS * HEAD_DIM)
    k = project("k_proj", KV_HEADS * HEAD_DIM)
    v = project("v_proj", KV_HEADS * HEAD_DIM)
    cos = g.op("Unsqueeze", scope, [cos, g.const(scope, [1])])
    sin = g.op("Unsqueeze", scope, [sin, g.const(scope, [1])])
    q = apply_rope(g, scope, q, cos, sin)
    k = apply_rope(g, scope, k, cos, sin)

    k = g.op("Concat", scope, ["past_key", k], outputs=["present_key"],
             axis=2)
    v = g.op("Concat", scope, ["past_value", v], outputs=["present_value"],
             axis=2)
    k = repeat_kv(g, scope, k)
    v = repeat_kv(g, scope, v)

    k_t = g.op("Transpose", scope, [k], perm=[0, 1, 3, 2])
    scores = g.op("MatMul", scope, [q, k_t])
    scores = g.op("Mul", scope, [scores, g.const(
        scope, HEAD_DIM ** -0.5, np.float32)])
    scores = g.op("Add", scope, [scores, "attention_mask"])
    probs = g.op("Softmax", scope, [scores], axis=-1)
    out = g.op("Transpose", scope, [g.op("MatMul", scope, [probs, v])],
               perm=[0, 2, 1, 3])
    out = g.op("Reshape", scope, [out, g.shape(scope, [batch, seq, -1])])
    return matmul(g, f"{scope}/o_proj", out, f"{name}.o_proj", HIDDEN,
                  HIDDEN)


def mlp(g, x):
    """down(silu(gate(x)) * up(x)), SiLU written as g * Sigmoid(g)."""
    scope = f"{SCOPE}/mlp"
    name = f"{LAYER}.mlp"
    gate = matmul(g, f"{scope}/gate_proj", x, f"{name}.gate_proj", HIDDEN,
                  INTERMEDIATE)
    up = matmul(g, f"{scope}/up_proj", x, f"{name}.up_proj", HIDDEN,
                INTERMEDIATE)
    act_scope = f"{scope}/act_fn"
    act = g.op("Mul", act_scope, [gate, g.op("Sigmoid", act_scope, [gate])])
    h = g.op("Mul", scope, [act, up])
    return matmul(g, f"{scope}/down_proj", h, f"{name}.down_proj",
                  INTERMEDIATE, HIDDEN)


def build_model():
    """Returns the Llama decoder layer as an onnx.ModelProto."""
    g = GraphBuilder(seed=0)
    x = "hidden_states"
    cos, sin = rotary_tables(g, "position_ids")
    h = rms_norm(g, f"{SCOPE}/input_layernorm", x,
                 f"{LAYER}.input_layernorm", use_div=False)
    x = g.op("Add", SCOPE, [x, attention(g, h, cos, sin)])
    h = rms_norm(g, f"{SCOPE}/post_attention_layernorm", x,
                 f"{LAYER}.post_attention_layernorm", use_div=True)
    g.op("Add", SCOPE, [x, mlp(g, h)], outputs=["output"])

    value = helper.make_tensor_value_info
    f32, i64 = TensorProto.FLOAT, TensorProto.INT64
    cache_in = ["batch", KV_HEADS, "past_seq", HEAD_DIM]
    cache_out = ["batch", KV_HEADS, "total_seq", HEAD_DIM]
    return g.model(
        "llama_block",
        [value("hidden_states", f32, ["batch", "seq", HIDDEN]),
         value("position_ids", i64, ["batch", "seq"]),
         value("past_key", f32, cache_in),
         value("past_value", f32, cache_in),
         value("attention_mask", f32, ["batch", 1, "seq", "total_seq"])],
        [value("output", f32, ["batch", "seq", HIDDEN]),
         value("present_key", f32, cache_out),
         value("present_value", f32, cache_out)],
        opset=18, ir_version=10)


def main(argv):
    """OUTDIR [--hidden H --intermediate I --heads N --kv-heads N]: other
    sizes (head_dim = H / N) for tests of dimension-dependent passes."""
    global HIDDEN, INTERMEDIATE, HEADS, KV_HEADS, HEAD_DIM
    options = dict(zip(argv[2::2], argv[3::2]))
    HIDDEN = int(options.get("--hidden", HIDDEN))
    INTERMEDIATE = int(options.get("--intermediate", INTERMEDIATE))
    HEADS = int(options.get("--heads", HEADS))
    KV_HEADS = int(options.get("--kv-heads", KV_HEADS))
    HEAD_DIM = HIDDEN // HEADS
    save_checked(build_model(), output_dir(argv[:2]) / "llama_block.onnx")


if __name__ == "__main__":
    main(sys.argv)
