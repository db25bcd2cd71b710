"""Prints what `make demo` reports for one model.so: error against the
float model, size against the float model, and time against onnxruntime.

  python3 demo_report.py MODEL.onnx MODEL.so INPUTS.npz REFERENCE.npz
"""

import os
import re
import subprocess
import sys
import time

import numpy as np
import onnxruntime as ort


def main():
    onnx_path, so_path, inputs_path, reference_path = sys.argv[1:5]
    out = so_path[:-3] + "-outputs.npz"
    timing = subprocess.run(
        ["qcc-run", so_path, "--inputs", inputs_path, "-o", out,
         "--repeat", "50"], check=True, capture_output=True, text=True).stdout
    so_ms = float(re.search(r"median ([0-9.]+) ms", timing).group(1))
    outputs, reference = np.load(out), np.load(reference_path)
    for name in reference.files:
        error = (np.linalg.norm(outputs[name] - reference[name])
                 / np.linalg.norm(reference[name]))
        print(f"   {name}: relative L2 error against the float model {error:.2e}")

    threads = len(os.sched_getaffinity(0))  # what the model.so's pool uses
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = ort.InferenceSession(onnx_path, options,
                                   providers=["CPUExecutionProvider"])
    inputs = dict(np.load(inputs_path))
    seconds = []
    for _ in range(50):
        start = time.perf_counter()
        session.run(None, inputs)
        seconds.append(time.perf_counter() - start)
    ort_ms = sorted(seconds)[len(seconds) // 2] * 1e3
    so_size, onnx_size = os.path.getsize(so_path), os.path.getsize(onnx_path)
    print(f"   size {so_size / 1e6:.2f} MB, float ONNX {onnx_size / 1e6:.2f} MB "
          f"({so_size / onnx_size:.2f}x)")
    print(f"   time {so_ms:.2f} ms, onnxruntime float {ort_ms:.2f} ms "
          f"(both on {threads} threads, median of 50)")


if __name__ == "__main__":
    main()
