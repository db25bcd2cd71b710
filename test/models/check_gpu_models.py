"""sm90 model.so files against the interpreter's simulation, in two steps:
the first where qcc is, the second on the GPU machine (which has no MLIR).

  python3 check_gpu_models.py prepare MODEL.onnx WORK INPUTS.npz REFERENCE.npz
      --schemes float w4a16 ...
  python3 check_gpu_models.py check WORK [WORK ...] [--schemes ...]

`prepare` writes per scheme the simulation's outputs on INPUTS (qcc-run on
the quantized IR) and the sm90 .so of the same model and flags, next to the
inputs and onnxruntime's float outputs. `check` runs every .so through its
C ABI on host buffers and again on device buffers (PyTorch), prints one
line per scheme and output with output_bounds' verdict, checks that both
runs agree bit for bit, and exits 1 if anything fails.
"""

import argparse
import os
import shutil
import subprocess
import sys
import time

import numpy as np

import output_bounds
from qcc_abi import Model, QccError


def prepare(args):
    os.makedirs(args.work, exist_ok=True)
    shutil.copy(args.inputs, f"{args.work}/inputs.npz")
    shutil.copy(args.reference, f"{args.work}/reference.npz")
    for scheme in args.schemes:
        flags = output_bounds.qcc_flags(scheme)
        base = f"{args.work}/{scheme}"
        quiet = {"check": True, "stdout": subprocess.DEVNULL}
        subprocess.run(["qcc", args.model, *flags, "--emit=mlir-quant",
                        "-o", base + ".mlir"], **quiet)
        subprocess.run(["qcc-run", base + ".mlir", "--inputs", args.inputs,
                        "-o", base + "-simulated.npz"], **quiet)
        # From the ONNX, as the simulation's IR (quantization is
        # deterministic; the printed IR has no node names for --keep-float).
        subprocess.run(["qcc", args.model, *flags, "--target=sm90",
                        "-o", base + "-sm90.so"], **quiet)
        os.remove(base + ".mlir")


def check_other_device(model, inputs, torch, work, scheme):
    """An input in another GPU's memory must be refused, naming the input."""
    label = f"{os.path.basename(work)} {scheme} buffer on another GPU"
    if torch.cuda.device_count() < 2:
        print(f"{label}: skipped (one GPU)")
        return True
    name, dtype, _ = model.inputs[0]
    elsewhere = torch.from_numpy(np.ascontiguousarray(inputs[name], dtype)).to("cuda:1")
    tensors = dict(inputs)
    try:
        model.run_with_pointer(tensors, name, elsewhere.data_ptr())
        print(f"{label}: FAIL (accepted)")
        return False
    except QccError as error:
        ok = error.status == 1 and "CUDA device 1" in str(error) and name in str(error)
        print(f"{label}: {'ok' if ok else 'FAIL'} ({error})")
        return ok


def check(args):
    import torch

    failed = False
    for work in args.work:
        inputs, reference = np.load(f"{work}/inputs.npz"), np.load(f"{work}/reference.npz")
        for library in sorted(f for f in os.listdir(work) if f.endswith("-sm90.so")):
            scheme = library[: -len("-sm90.so")]
            if args.schemes and scheme not in args.schemes:
                continue
            simulated = np.load(f"{work}/{scheme}-simulated.npz")
            model = Model(f"{work}/{library}")
            start = time.perf_counter()
            host = model.run(inputs)
            seconds = time.perf_counter() - start
            for output, ok, text in output_bounds.compare(
                    scheme, simulated, host, reference, target="sm90"):
                print(f"{os.path.basename(work)} {scheme} {output}: "
                      f"{'ok' if ok else 'FAIL'} {text}")
                failed |= not ok
            device = model.run_on_device(inputs, torch,
                                         {k: v.shape for k, v in host.items()})
            again = model.run(inputs)
            same = all(np.array_equal(host[k], device[k]) and
                       np.array_equal(host[k], again[k]) for k in host)
            print(f"{os.path.basename(work)} {scheme} device buffers and second run: "
                  f"{'ok' if same else 'FAIL'} (bit for bit; first run {seconds:.3f} s)")
            failed |= not same
            failed |= not check_other_device(model, inputs, torch, work, scheme)
            model.close()
    sys.exit(1 if failed else 0)


def main():
    parser = argparse.ArgumentParser()
    steps = parser.add_subparsers(dest="step", required=True)
    first = steps.add_parser("prepare")
    first.add_argument("model")
    first.add_argument("work")
    first.add_argument("inputs")
    first.add_argument("reference")
    first.add_argument("--schemes", nargs="+", required=True)
    second = steps.add_parser("check")
    second.add_argument("work", nargs="+")
    second.add_argument("--schemes", nargs="*", help="only these")
    args = parser.parse_args()
    prepare(args) if args.step == "prepare" else check(args)


if __name__ == "__main__":
    main()
