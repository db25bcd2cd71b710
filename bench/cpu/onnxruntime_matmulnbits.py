"""onnxruntime's int4 MatMulNBits and f32 MatMul on the shapes of qlinear-bench.

  python3 bench/cpu/onnxruntime_matmulnbits.py [--threads 2] [--repeats 15]

For each N x K and M: a one-node model quantized by onnxruntime's
MatMulNBitsQuantizer (int4, block 128, symmetric, accuracy_level 4: int8
activations inside the kernel), and the f32 MatMul, run by onnxruntime with
`--threads` intra-op threads. As qlinear-bench does, calls rotate over
sessions holding separate copies of the weights, together more than 1 GiB
(at most 256 sessions; EPYC hosts can have several hundred MiB of last-level
cache), so weights come from memory rather than the cache.
Prints the median time and the weight bytes read per second for the same
table.
"""

import argparse
import logging
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import matmul_nbits_quantizer as nbits

SHAPES = [(576, 1536), (4096, 4096), (4096, 14336)]
ROWS = [1, 16, 128]


def session(model, threads):
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    # A fresh buffer each time: a session may keep pointing into it.
    return ort.InferenceSession(bytes(bytearray(model.SerializeToString())),
                                options, providers=["CPUExecutionProvider"])


def median_seconds(run, repeats):
    run(0)
    times = []
    for i in range(1, repeats + 1):
        start = time.perf_counter()
        run(i)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def copies(model, threads, nbytes):
    """Sessions of one model, each with its own weights, > 1 GiB in all."""
    count = min(256, (1 << 30) // nbytes + 1)
    return [session(model, threads) for _ in range(count)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    print("| N x K | M | onnxruntime MatMulNBits int4 | onnxruntime f32 MatMul |")
    print("|---|---|---|---|")
    for n, k in SHAPES:
        w = rng.standard_normal((k, n)).astype(np.float32)
        graph = helper.make_graph(
            [helper.make_node("MatMul", ["x", "w"], ["y"])], "linear",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["m", k])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["m", n])],
            [numpy_helper.from_array(w, "w")])
        model = helper.make_model(
            graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
        logging.getLogger().setLevel(logging.WARNING)
        quantizer = nbits.MatMulNBitsQuantizer(
            model, algo_config=nbits.DefaultWeightOnlyQuantConfig(
                block_size=128, is_symmetric=True, accuracy_level=4))
        quantizer.process()
        int4 = copies(quantizer.model.model, args.threads, n * k // 2)
        fp32 = copies(model, args.threads, n * k * 4)
        for m in ROWS:
            x = rng.standard_normal((m, k)).astype(np.float32)
            cells = []
            for sessions, nbytes in [(int4, n * k // 2), (fp32, n * k * 4)]:
                seconds = median_seconds(
                    lambda i: sessions[i % len(sessions)].run(None, {"x": x}),
                    args.repeats)
                cells.append(f"{seconds * 1e3:.3f} ms, "
                             f"{nbytes / seconds / 1e9:.1f} GB/s")
            print(f"| {n} x {k} | {m} | {cells[0]} | {cells[1]} |")


if __name__ == "__main__":
    main()
