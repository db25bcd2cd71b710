"""Compiles a model to a model.so per scheme and checks it against the
interpreter's simulation of the same quantized IR.

  python3 check_shared_object.py MODEL.onnx WORKDIR INPUTS.npz REFERENCE.npz
      --schemes float w4a16 w8a8 ...

For each scheme: `qcc --emit=mlir-quant` and qcc-run give the simulated
outputs, `qcc` and qcc-run give the .so's outputs on the same inputs
(REFERENCE.npz holds onnxruntime's float outputs). "float" keeps every
linear in float. Prints one line per scheme and output and exits 1 if any
fails its bound:

- float and mxfp4 (float activations) run f32 products in another
  summation order than the interpreter's OpenBLAS: relative L2 difference
  <= 1e-5 (measured ~1e-7);
- w4a16 (also with LoRC) rounds its activations to bf16 on x86
  (docs/x86-kernels.md), which the simulation does not: bounded as the
  quantized activations below;
- schemes with quantized activations (integer products bit for bit with the
  interpreter, test/unit/QLinearKernelsTest.cpp; fp8 products in f32) take
  inputs from float ops that differ in the last bit, and a value that close to a
  rounding boundary takes the neighbouring code: one activation step for
  that token, which later layers carry on (one such step is about
  sqrt(12 / K) of a token's own rounding error). The .so then differs from
  the simulation by at most half the simulation's own quantization error
  against the float model (measured up to a fifth of it on MiniLM), or by
  <= 1e-5 where no code moved (the Llama block, usually). A lowering
  error (a wrong scale, layout or group) costs more than the quantization
  error itself.
"""

import argparse
import subprocess
import sys

import numpy as np

import output_bounds


def run(*command):
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("work")
    parser.add_argument("inputs")
    parser.add_argument("reference")
    parser.add_argument("--schemes", nargs="+", required=True)
    args = parser.parse_args()
    reference = np.load(args.reference)
    failed = False
    for scheme in args.schemes:
        flags = output_bounds.qcc_flags(scheme)
        base = f"{args.work}/{scheme}"
        run("qcc", args.model, *flags, "--emit=mlir-quant", "-o", base + ".mlir")
        run("qcc-run", base + ".mlir", "--inputs", args.inputs,
            "-o", base + "-simulated.npz")
        run("qcc", args.model, *flags, "-o", base + ".so")
        run("qcc-run", base + ".so", "--inputs", args.inputs,
            "-o", base + "-so.npz")
        simulated, shared = np.load(base + "-simulated.npz"), np.load(base + "-so.npz")
        for output, ok, text in output_bounds.compare(scheme, simulated, shared, reference):
            print(f"{scheme} {output}: {'ok' if ok else 'FAIL'} {text}")
            failed |= not ok
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
