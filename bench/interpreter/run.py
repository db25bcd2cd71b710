"""Benchmarks the reference interpreter against onnxruntime (fp32) in one run.

  python3 bench/interpreter/run.py --qcc-run build/bin/qcc-run --out DIR

Models: the real MiniLM (batch 8 x 128 tokens) and the Llama-style block of
test/models/llama_block.py scaled to ~100M parameters (hidden 2560, 20 heads,
4 KV heads, intermediate 10240; prefill of 128 tokens after a 128-token
cache). For each: the median of 5 timed runs after a warm-up, as tokens/s,
and the peak RSS of a process that loads the model and runs it 5 times,
against the size of the weights. onnxruntime runs with its default threads
(one per core); qcc-run uses every core too.
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "test" / "models"))

import llama_block  # noqa: E402
from reference import dims_of, draw  # noqa: E402


def scaled_llama(path):
    """The Llama block with ~100M parameters, weights in an external file."""
    llama_block.HIDDEN, llama_block.HEADS, llama_block.KV_HEADS = 2560, 20, 4
    llama_block.HEAD_DIM, llama_block.INTERMEDIATE = 128, 10240
    model = llama_block.build_model()
    onnx.save(model, path, save_as_external_data=True,
              all_tensors_to_one_file=True, location=path.name + ".weights",
              size_threshold=1024)


def weight_bytes(path):
    model = onnx.load(path, load_external_data=False)
    return sum(int(np.prod(t.dims)) * 4 for t in model.graph.initializer)


def make_inputs(path, sizes, out):
    rng = np.random.default_rng(0)
    model = onnx.load(path, load_external_data=False)
    inputs = {}
    for value_info in model.graph.input:
        dtype = onnx.helper.tensor_dtype_to_np_dtype(
            value_info.type.tensor_type.elem_type)
        inputs[value_info.name] = draw(value_info.name, dtype,
                                       dims_of(value_info, sizes), sizes, rng)
    np.savez(out, **inputs)
    return inputs


ORT_CHILD = """
import sys, time, numpy as np, onnxruntime as ort
session = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
feeds = dict(np.load(sys.argv[2]))
session.run(None, feeds)
times = []
for _ in range(5):
    start = time.perf_counter(); session.run(None, feeds)
    times.append(time.perf_counter() - start)
print(sorted(times)[2])
"""


def run_child(command):
    """Runs a command; returns its stdout and its own peak RSS (MiB)."""
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as child:
        stdout = child.stdout.read()
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        sys.exit(f"{command[0]} failed with exit code {child.returncode}")
    return stdout, usage.ru_maxrss / 1024


def measure(name, path, sizes, tokens, args):
    inputs = args.out / f"{name}_inputs.npz"
    make_inputs(path, sizes, inputs)
    # Separate processes, so that each peak RSS is that run's own.
    out, qcc_rss = run_child([args.qcc_run, str(path), f"--inputs={inputs}",
                              "--repeat=5"])
    qcc_seconds = float(out.split("median ")[1].split(" ms")[0]) / 1e3
    out, ort_rss = run_child([sys.executable, "-c", ORT_CHILD, str(path),
                              str(inputs)])
    ort_seconds = float(out.strip())
    weights = weight_bytes(path) / 2**20
    return {
        "model": name, "tokens": tokens, "weights_mib": round(weights, 1),
        "qcc_ms": round(qcc_seconds * 1e3, 1),
        "ort_ms": round(ort_seconds * 1e3, 1),
        "qcc_tokens_per_s": round(tokens / qcc_seconds),
        "ort_tokens_per_s": round(tokens / ort_seconds),
        "time_ratio": round(qcc_seconds / ort_seconds, 2),
        "qcc_peak_rss_mib": round(qcc_rss), "ort_peak_rss_mib": round(ort_rss),
        "qcc_rss_over_weights": round(qcc_rss / weights, 2),
    }


def main():
    if sys.argv[1:2] == ["--build-llama"]:
        return scaled_llama(Path(sys.argv[2]))
    parser = argparse.ArgumentParser()
    parser.add_argument("--qcc-run", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, str(HERE.parents[1] / "test" / "models" /
                                        "minilm.py"), str(args.out)], check=True)
    # Built in a child: forked measurement processes would otherwise count
    # this process's memory in their peak RSS.
    llama = args.out / "llama_100m.onnx"
    subprocess.run([sys.executable, __file__, "--build-llama", str(llama)],
                   check=True)
    results = [
        measure("MiniLM-L3 (batch 8 x 128)", args.out / "minilm.onnx",
                {"batch_size": 8, "sequence_length": 128}, 8 * 128, args),
        measure("Llama block ~100M (prefill 128, cache 128)", llama,
                {"batch": 1, "seq": 128, "past_seq": 128, "total_seq": 256},
                128, args),
    ]
    for row in results:
        print(json.dumps(row))


if __name__ == "__main__":
    main()
