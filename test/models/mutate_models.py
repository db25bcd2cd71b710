"""Runs qcc on randomly corrupted copies of valid models; fails on a crash.

Each copy has a few bytes overwritten, a slice removed or a field of the
parsed model changed (dimensions, element types, attribute values, input
names). qcc must either import the result or reject it with exit code 1 and a
diagnostic; a signal, an abort or any other exit code is a failure.

Usage: python3 mutate_models.py QCC OUTDIR MODEL.onnx... [--count N]
"""

import argparse
import random
import subprocess
import sys
from pathlib import Path

import onnx

SEED = 20261123


def corrupt_bytes(data: bytes, rng: random.Random) -> bytes:
    data = bytearray(data)
    choice = rng.randrange(3)
    if choice == 0:
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
    elif choice == 1:
        start = rng.randrange(len(data))
        del data[start:start + rng.randint(1, 64)]
    else:
        start = rng.randrange(len(data))
        data[start:start] = rng.randbytes(rng.randint(1, 16))
    return bytes(data)


def corrupt_fields(model: onnx.ModelProto, rng: random.Random) -> bytes:
    model = onnx.ModelProto.FromString(model.SerializeToString())
    graph = model.graph
    choice = rng.randrange(5)
    if choice == 0 and graph.input:
        dims = graph.input[rng.randrange(len(graph.input))].type.tensor_type.shape.dim
        if dims:
            dims[rng.randrange(len(dims))].dim_value = rng.choice([0, 1, 3, 7, -5, 1 << 40])
    elif choice == 1 and graph.initializer:
        tensor = graph.initializer[rng.randrange(len(graph.initializer))]
        tensor.data_type = rng.randrange(0, 30)
    elif choice == 2 and graph.initializer:
        tensor = graph.initializer[rng.randrange(len(graph.initializer))]
        if tensor.dims:
            tensor.dims[rng.randrange(len(tensor.dims))] = rng.choice([0, 1, 2, 1 << 33, -1])
    elif choice == 3 and graph.node:
        node = graph.node[rng.randrange(len(graph.node))]
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.INT:
                attribute.i = rng.choice([-100, -1, 0, 1, 5, 1 << 40])
            elif attribute.type == onnx.AttributeProto.INTS and attribute.ints:
                attribute.ints[rng.randrange(len(attribute.ints))] = rng.choice([-9, 0, 9])
    elif graph.node:
        node = graph.node[rng.randrange(len(graph.node))]
        if node.input:
            other = graph.node[rng.randrange(len(graph.node))]
            if other.output:
                node.input[rng.randrange(len(node.input))] = rng.choice(
                    [other.output[0], "", "missing"])
    return model.SerializeToString()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("qcc")
    parser.add_argument("outdir", type=Path)
    parser.add_argument("models", nargs="+", type=Path)
    parser.add_argument("--count", type=int, default=100)
    args = parser.parse_args()
    rng = random.Random(SEED)
    args.outdir.mkdir(parents=True, exist_ok=True)
    outcomes = {0: 0, 1: 0}
    for model_path in args.models:
        original = model_path.read_bytes()
        model = onnx.load(model_path)
        for i in range(args.count):
            data = (corrupt_bytes(original, rng) if i % 2 else
                    corrupt_fields(model, rng))
            path = args.outdir / f"{model_path.stem}_{i}.onnx"
            path.write_bytes(data)
            result = subprocess.run(
                [args.qcc, str(path), "--emit=mlir", "-o", str(args.outdir / "out.mlir")],
                capture_output=True, text=True, errors="replace", timeout=60)
            if result.returncode not in outcomes:
                print(f"{path}: exit code {result.returncode}\n{result.stderr}")
                return 1
            if result.returncode == 1 and "error:" not in result.stderr:
                print(f"{path}: exit code 1 without a diagnostic")
                return 1
            outcomes[result.returncode] += 1
    print(f"imported {outcomes[0]}, rejected {outcomes[1]}, crashed 0")
    return 0


if __name__ == "__main__":
    sys.exit(main())
