"""SmolLM2-135M as sm90 model.so files on the GPU machine (no MLIR there).

  python3 smollm2_gpu.py perplexity MODEL.so WINDOWS.npz [--json OUT]
  python3 smollm2_gpu.py latency PREFILL.so DECODE_KV.so [--json OUT] [--profile]

`perplexity` scores the accuracy protocol's windows (bench/eval/run.py:
input_ids, position_ids and a float attention mask per 512-token window) as
qcc-eval does: exp of the mean NLL of each next token, log-softmax in
float64; compare with the simulated perplexity of the same quantized IR.

`latency` times, with inputs and outputs in device memory (what a service
pays per call), a 512-token prefill of PREFILL.so and one decode step over
a 512-token KV cache of DECODE_KV.so (qcc_model_run until the outputs are
written), against PyTorch bf16 eager on the same GPU in the same process:
a Llama module of SmolLM2-135M's configuration (30 layers, hidden 576, 9
query and 3 key/value heads of 64, MLP 1536, vocabulary 49152, tied
embeddings) with torch's scaled_dot_product_attention, as transformers
runs it. Its weights are random: timing does not depend on their values.
"""

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "test", "models"))
from qcc_abi import Model  # noqa: E402

HIDDEN, LAYERS, HEADS, KV_HEADS, HEAD_DIM = 576, 30, 9, 3, 64
MLP, VOCABULARY, THETA, EPSILON = 1536, 49152, 100000.0, 1e-5


def log_softmax(logits):
    logits = logits.astype(np.float64)
    peak = logits.max(axis=-1, keepdims=True)
    return logits - peak - np.log(np.exp(logits - peak).sum(axis=-1, keepdims=True))


def perplexity(args):
    windows = np.load(args.windows)
    model = Model(args.model)
    nll, tokens, seconds = 0.0, 0, 0.0
    count = windows["input_ids"].shape[0]
    for w in range(count):
        feeds = {name: windows[name][w] for name in windows.files}
        start = time.perf_counter()
        logits = model.run(feeds)[model.outputs[0][0]]
        seconds += time.perf_counter() - start
        ids = feeds["input_ids"].reshape(-1)
        scores = log_softmax(logits.reshape(-1, logits.shape[-1]))
        nll -= scores[np.arange(len(ids) - 1), ids[1:]].sum()
        tokens += len(ids) - 1
    result = {"model": args.model, "windows": count, "tokens": tokens,
              "perplexity": float(np.exp(nll / tokens)), "seconds": seconds}
    print(json.dumps(result))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)


def median_seconds(step, repeats, torch):
    for _ in range(3):
        step()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def kernel_profile(step, torch, top=12):
    """The GPU time of one call by kernel (CUPTI sees the .so's kernels),
    largest first: {name: [calls, total µs]}, and the call's wall time."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CUDA, ProfilerActivity.CPU]) as trace:
        step()
        torch.cuda.synchronize()
    kernels = {}
    for event in trace.events():
        if event.device_type.name != "CUDA":
            continue
        calls, micros = kernels.get(event.name[:90], (0, 0.0))
        kernels[event.name[:90]] = (calls + 1, micros + event.device_time_total)
    ranked = sorted(kernels.items(), key=lambda item: -item[1][1])
    return {"gpu_us": sum(m for _, m in kernels.values()),
            "launches": sum(c for c, _ in kernels.values()),
            "top": {name: [calls, round(micros, 1)] for name, (calls, micros) in ranked[:top]}}


def torch_llama(torch):
    """SmolLM2-135M's architecture in bf16 eager, random weights."""
    F = torch.nn.functional

    def rms(x, w):
        v = x.float().pow(2).mean(-1, keepdim=True)
        return (x.float() * torch.rsqrt(v + EPSILON)).to(x.dtype) * w

    def rotate(x, cos, sin):
        half = x.shape[-1] // 2
        rotated = torch.cat((-x[..., half:], x[..., :half]), dim=-1)
        return x * cos + rotated * sin

    g = torch.Generator(device="cuda").manual_seed(0)

    def weight(*shape):
        return (torch.randn(*shape, device="cuda", generator=g) * 0.02).to(torch.bfloat16)

    layers = [{"q": weight(HEADS * HEAD_DIM, HIDDEN), "k": weight(KV_HEADS * HEAD_DIM, HIDDEN),
               "v": weight(KV_HEADS * HEAD_DIM, HIDDEN), "o": weight(HIDDEN, HEADS * HEAD_DIM),
               "gate": weight(MLP, HIDDEN), "up": weight(MLP, HIDDEN), "down": weight(HIDDEN, MLP),
               "n1": torch.ones(HIDDEN, device="cuda", dtype=torch.bfloat16),
               "n2": torch.ones(HIDDEN, device="cuda", dtype=torch.bfloat16)}
              for _ in range(LAYERS)]
    embedding = weight(VOCABULARY, HIDDEN)
    final = torch.ones(HIDDEN, device="cuda", dtype=torch.bfloat16)
    inverse = 1.0 / THETA ** (torch.arange(0, HEAD_DIM, 2, device="cuda").float() / HEAD_DIM)

    def forward(ids, positions, cache):
        b, s = ids.shape
        angles = positions.float()[..., None] * inverse
        angles = torch.cat((angles, angles), dim=-1)
        cos, sin = angles.cos().to(torch.bfloat16)[:, None], angles.sin().to(torch.bfloat16)[:, None]
        h = F.embedding(ids, embedding)
        present = []
        for layer, (past_k, past_v) in zip(layers, cache):
            x = rms(h, layer["n1"])
            q = F.linear(x, layer["q"]).view(b, s, HEADS, HEAD_DIM).transpose(1, 2)
            k = F.linear(x, layer["k"]).view(b, s, KV_HEADS, HEAD_DIM).transpose(1, 2)
            v = F.linear(x, layer["v"]).view(b, s, KV_HEADS, HEAD_DIM).transpose(1, 2)
            q, k = rotate(q, cos, sin), rotate(k, cos, sin)
            k, v = torch.cat((past_k, k), dim=2), torch.cat((past_v, v), dim=2)
            present.append((k, v))
            groups = HEADS // KV_HEADS
            attention = F.scaled_dot_product_attention(
                q, k.repeat_interleave(groups, 1), v.repeat_interleave(groups, 1),
                is_causal=past_k.shape[2] == 0 and s > 1)
            h = h + F.linear(attention.transpose(1, 2).reshape(b, s, -1), layer["o"])
            x = rms(h, layer["n2"])
            h = h + F.linear(F.silu(F.linear(x, layer["gate"])) * F.linear(x, layer["up"]),
                             layer["down"])
        return F.linear(rms(h, final), embedding), present

    return forward


def latency(args):
    import torch

    def kv_feeds(past, seq):
        feeds = {"input_ids": np.random.randint(0, VOCABULARY, (1, seq), dtype=np.int64),
                 "position_ids": np.arange(past, past + seq, dtype=np.int64)[None],
                 "attention_mask": np.triu(np.full((seq, past + seq), -1e9, np.float32),
                                           past + 1)[None, None]}
        for i in range(LAYERS):
            for kind in ("key", "value"):
                feeds[f"past_key_values.{i}.{kind}"] = np.random.randn(
                    1, KV_HEADS, past, HEAD_DIM).astype(np.float32)
        return feeds

    results = {"gpu": torch.cuda.get_device_name()}
    for label, path, past, seq in (("prefill", args.prefill, 0, 512),
                                   ("decode", args.decode, 512, 1)):
        model = Model(path)
        feeds = kv_feeds(past, seq)
        feeds = {name: feeds[name] for name, _, _ in model.inputs}
        shapes = {k: v.shape for k, v in model.run(feeds).items()}
        step = model.device_runner(feeds, torch, shapes)
        results[f"qcc_{label}_ms"] = 1e3 * median_seconds(step, args.repeats, torch)
        if args.profile:
            results[f"qcc_{label}_kernels"] = kernel_profile(step, torch)
        model.close()

    forward = torch_llama(torch)
    with torch.inference_mode():
        for label, past, seq in (("prefill", 0, 512), ("decode", 512, 1)):
            ids = torch.randint(0, VOCABULARY, (1, seq), device="cuda")
            positions = torch.arange(past, past + seq, device="cuda")[None]
            cache = [(torch.randn(1, KV_HEADS, past, HEAD_DIM, device="cuda", dtype=torch.bfloat16),
                      torch.randn(1, KV_HEADS, past, HEAD_DIM, device="cuda", dtype=torch.bfloat16))
                     for _ in range(LAYERS)]
            results[f"torch_bf16_{label}_ms"] = 1e3 * median_seconds(
                lambda: forward(ids, positions, cache), args.repeats, torch)
    print(json.dumps(results))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


def main():
    parser = argparse.ArgumentParser()
    steps = parser.add_subparsers(dest="step", required=True)
    score = steps.add_parser("perplexity")
    score.add_argument("model")
    score.add_argument("windows")
    score.add_argument("--json")
    timing = steps.add_parser("latency")
    timing.add_argument("prefill")
    timing.add_argument("decode")
    timing.add_argument("--repeats", type=int, default=20)
    timing.add_argument("--json")
    timing.add_argument("--profile", action="store_true",
                        help="also GPU time by kernel for one call of each step")
    args = parser.parse_args()
    perplexity(args) if args.step == "perplexity" else latency(args)


if __name__ == "__main__":
    main()
