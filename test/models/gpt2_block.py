"""Writes OUTDIR/gpt2_block.onnx: one GPT-2 block as torch.onnx exports it.

Opset 17, IR 8. Input `input_ids` int64 [batch, seq]; output `hidden` float32
[batch, seq, 64]. Token + position embeddings (Gather, positions from Range),
LayerNormalization, 4-head causal self-attention (fused qkv MatMul + Split,
Reshapes built from Shape/Gather/Unsqueeze/Concat, Trilu causal mask with
Where), and an MLP whose GELU is the erf decomposition torch writes.

Usage: python3 gpt2_block.py OUTDIR
"""

import sys

import numpy as np
from onnx import TensorProto, helper

from builder import GraphBuilder, output_dir, save_checked

VOCAB = 100
MAX_POSITIONS = 64
HIDDEN = 64
HEADS = 4
HEAD_DIM = HIDDEN // HEADS
MLP_DIM = 4 * HIDDEN
LN_EPS = 1e-5
BLOCK = "h.0"


def linear(g, scope, x, name, n_in, n_out):
    """MatMul with a constant [n_in, n_out] weight, then Add of the bias."""
    w = g.param(f"{name}.weight", (n_in, n_out))
    b = g.param(f"{name}.bias", (n_out,))
    return g.op("Add", scope, [b, g.op("MatMul", scope, [x, w])])


def layer_norm(g, scope, x, name):
    scale = g.param(f"{name}.weight", (HIDDEN,), mean=1.0, std=0.1)
    bias = g.param(f"{name}.bias", (HIDDEN,))
    return g.op("LayerNormalization", scope, [x, scale, bias], axis=-1,
                epsilon=LN_EPS)


def embeddings(g, input_ids):
    """wte(input_ids) + wpe(arange(seq)[None])."""
    wte = g.param("wte.weight", (VOCAB, HIDDEN))
    wpe = g.param("wpe.weight", (MAX_POSITIONS, HIDDEN))
    seq = g.op("Gather", "", [g.op("Shape", "", [input_ids]),
                              g.const("", 1)], axis=0)
    positions = g.op("Range", "", [g.const("", 0), seq, g.const("", 1)])
    positions = g.op("Unsqueeze", "", [positions, g.const("", [0])])
    tokens = g.op("Gather", "/wte", [wte, input_ids])
    return g.op("Add", "", [tokens, g.op("Gather", "/wpe", [wpe, positions])])


def causal_mask(g, scope, seq):
    """Lower-triangular bool [seq, seq]: ConstantOfShape -> Trilu."""
    ones = g.op("ConstantOfShape", scope, [g.shape(scope, [seq, seq])],
                value=helper.make_tensor("value", TensorProto.BOOL, [1],
                                         [True]))
    return g.op("Trilu", scope, [ones], upper=0)


def attention(g, x):
    scope = f"/{BLOCK}/attn"
    name = f"{BLOCK}.attn"
    batch, seq = g.dim(scope, x, 0), g.dim(scope, x, 1)
    heads_shape = g.shape(scope, [batch, seq, HEADS, HEAD_DIM])

    qkv = linear(g, f"{scope}/c_attn", x, f"{name}.c_attn", HIDDEN,
                 3 * HIDDEN)
    q, k, v = g.op("Split", scope, [qkv, g.const(scope, [HIDDEN] * 3)],
                   outputs=3, axis=2)
    q, k, v = (g.op("Transpose", scope,
                    [g.op("Reshape", scope, [t, heads_shape])],
                    perm=[0, 2, 1, 3])
               for t in (q, k, v))

    k_t = g.op("Transpose", scope, [k], perm=[0, 1, 3, 2])
    scores = g.op("MatMul", scope, [q, k_t])
    scores = g.op("Div", scope, [scores, g.const(scope, np.sqrt(HEAD_DIM),
                                                 np.float32)])
    min_value = g.const(scope, np.finfo(np.float32).min, np.float32)
    scores = g.op("Where", scope,
                  [causal_mask(g, scope, seq), scores, min_value])
    probs = g.op("Softmax", scope, [scores], axis=-1)

    out = g.op("Transpose", scope, [g.op("MatMul", scope, [probs, v])],
               perm=[0, 2, 1, 3])
    out = g.op("Reshape", scope,
               [out, g.shape(scope, [batch, seq, HIDDEN])])
    return linear(g, f"{scope}/c_proj", out, f"{name}.c_proj", HIDDEN,
                  HIDDEN)


def gelu(g, scope, x):
    """x * 0.5 * (1 + erf(x / sqrt(2))), as torch exports nn.GELU()."""
    scaled = g.op("Div", scope, [x, g.const(scope, 1.4142135, np.float32)])
    cdf = g.op("Add", scope, [g.op("Erf", scope, [scaled]),
                              g.const(scope, 1.0, np.float32)])
    return g.op("Mul", scope, [g.op("Mul", scope, [x, cdf]),
                               g.const(scope, 0.5, np.float32)])


def mlp(g, x):
    scope = f"/{BLOCK}/mlp"
    name = f"{BLOCK}.mlp"
    h = linear(g, f"{scope}/c_fc", x, f"{name}.c_fc", HIDDEN, MLP_DIM)
    h = gelu(g, f"{scope}/act", h)
    return linear(g, f"{scope}/c_proj", h, f"{name}.c_proj", MLP_DIM, HIDDEN)


def build_model():
    """Returns the GPT-2 block as an onnx.ModelProto."""
    g = GraphBuilder(seed=0)
    scope = f"/{BLOCK}"
    x = embeddings(g, "input_ids")
    attn = attention(g, layer_norm(g, f"{scope}/ln_1", x, f"{BLOCK}.ln_1"))
    x = g.op("Add", scope, [x, attn])
    ff = mlp(g, layer_norm(g, f"{scope}/ln_2", x, f"{BLOCK}.ln_2"))
    g.op("Add", scope, [x, ff], outputs=["hidden"])
    return g.model(
        "gpt2_block",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64,
                                       ["batch", "seq"])],
        [helper.make_tensor_value_info("hidden", TensorProto.FLOAT,
                                       ["batch", "seq", HIDDEN])],
        opset=17, ir_version=8)


def main(argv):
    save_checked(build_model(), output_dir(argv) / "gpt2_block.onnx")


if __name__ == "__main__":
    main(sys.argv)
