"""Whole-model latency of SmolLM2-135M on the CPU: qcc's model.so per scheme
against onnxruntime fp32 and onnxruntime int4 (MatMulNBits, block 128,
symmetric, accuracy_level 4) on the same KV-cache ONNX model, in one run.

  python3 bench/cpu/smollm2_latency.py [--work DIR] [--schemes w4a16 w4a8 w8a8]
                                       [--repeats 5]

Two cases, batch 1: prefill (512 new tokens, empty cache) and decode (1 new
token after a 512-token cache). Inputs are random token ids with the causal
mask; every engine gets the same arrays and runs on all of this machine's
cores (onnxruntime's default threads; the model.so's pool). Reports the
median of --repeats runs after one warm-up. The qcc models are compiled
data-free (their kernels do not depend on calibration).
"""

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "bench" / "eval"))
import smollm2  # noqa: E402

LAYERS, KV_HEADS, HEAD_DIM = 30, 3, 64


def inputs(new, past, rng):
    total = past + new
    feeds = {
        "input_ids": rng.integers(0, 49152, size=(1, new), dtype=np.int64),
        "position_ids": np.arange(past, total, dtype=np.int64)[None],
        "attention_mask": np.where(
            np.arange(total)[None, :] <= past + np.arange(new)[:, None],
            0.0, np.finfo(np.float32).min).astype(np.float32)[None, None],
    }
    for i in range(LAYERS):
        for kind in ("key", "value"):
            feeds[f"past_key_values.{i}.{kind}"] = rng.standard_normal(
                (1, KV_HEADS, past, HEAD_DIM)).astype(np.float32)
    return feeds


def median_ms(run, repeats):
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2] * 1e3


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "latency")
    parser.add_argument("--schemes", nargs="+", default=["w4a16", "w4a8", "w8a8"])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    import onnx
    import onnxruntime as ort
    from onnxruntime.quantization import matmul_nbits_quantizer as nbits

    work = args.work
    model = work / "smollm2-kv" / "model.onnx"
    if not model.exists():
        smollm2.convert(smollm2.find_gguf(), model.parent, kv_cache=True)
    int4 = work / "onnxruntime-int4.onnx"
    if not int4.exists():
        config = nbits.DefaultWeightOnlyQuantConfig(
            block_size=128, is_symmetric=True, accuracy_level=4)
        quantizer = nbits.MatMulNBitsQuantizer(onnx.load(str(model)),
                                               algo_config=config)
        quantizer.process()
        quantizer.model.save_model_to_file(str(int4), True)
    bin_dir = ROOT / "build" / "bin"
    for scheme in args.schemes:
        so = work / f"smollm2-{scheme}.so"
        if not so.exists():
            subprocess.run([str(bin_dir / "qcc"), str(model), f"--scheme={scheme}",
                            "-o", str(so)], check=True, stderr=subprocess.DEVNULL)

    rng = np.random.default_rng(0)
    cases = {"prefill 512": inputs(512, 0, rng), "decode 1 after 512": inputs(1, 512, rng)}
    print(f"machine: {os.cpu_count()} cores; median of {args.repeats} runs\n")
    print("| engine | " + " | ".join(cases) + " |")
    print("|---|" + "---|" * len(cases))
    engines = {"onnxruntime fp32": model, "onnxruntime int4 (MatMulNBits, acc. level 4)": int4}
    for name, path in engines.items():
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        row = [median_ms(lambda: session.run(None, feeds), args.repeats)
               for feeds in cases.values()]
        print(f"| {name} | " + " | ".join(f"{ms:.1f} ms" for ms in row) + " |")
    for scheme in args.schemes:
        row = []
        for case, feeds in cases.items():
            npz = work / f"{case.split()[0]}.npz"
            np.savez(npz, **feeds)
            out = subprocess.run(
                [str(bin_dir / "qcc-run"), str(work / f"smollm2-{scheme}.so"),
                 "--inputs", str(npz), "--repeat", str(args.repeats + 1)],
                check=True, capture_output=True, text=True).stdout
            row.append(float(re.search(r"median ([0-9.]+) ms", out).group(1)))
        print(f"| qcc {scheme} model.so | " + " | ".join(f"{ms:.1f} ms" for ms in row) + " |")


if __name__ == "__main__":
    main()
