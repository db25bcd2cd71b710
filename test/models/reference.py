"""Draws fresh random inputs for a model and computes reference outputs with
onnxruntime, the independent executor qcc's interpreter is checked against.

  python3 reference.py MODEL.onnx OUTDIR [--dims name=size ...] [--seed N]

writes OUTDIR/inputs.npz and OUTDIR/reference.npz. Symbolic dimensions take
their sizes from --dims. Inputs are drawn by role, recognised by name:
`input_ids` uniform in [0, 100), `position_ids` the positions after
`past_seq`, an integer `attention_mask` ones with a random padded tail, a
float `attention_mask` the causal additive mask over past and new tokens;
everything else standard normal. Without --seed the seed is fresh per run and
printed, so a failure can be replayed.
"""

import argparse
import random
import sys

import numpy as np
import onnx
import onnxruntime as ort


def dims_of(value_info, sizes):
    dims = []
    for dim in value_info.type.tensor_type.shape.dim:
        if dim.HasField("dim_value"):
            dims.append(dim.dim_value)
        elif dim.dim_param in sizes:
            dims.append(sizes[dim.dim_param])
        else:
            sys.exit(f"input {value_info.name}: give --dims {dim.dim_param}=N")
    return dims


def draw(name, dtype, shape, sizes, rng):
    if name == "input_ids":
        return rng.integers(0, 100, size=shape, dtype=dtype)
    if name == "position_ids":
        past = sizes.get("past_seq", 0)
        return np.broadcast_to(np.arange(past, past + shape[-1], dtype=dtype),
                               shape).copy()
    if name == "attention_mask" and np.issubdtype(dtype, np.integer):
        mask = np.ones(shape, dtype=dtype)
        for row in mask:
            row[rng.integers(1, shape[-1] + 1):] = 0
        return mask
    if name == "attention_mask":
        past = sizes.get("past_seq", 0)
        seq, total = shape[-2], shape[-1]
        allowed = np.arange(total)[None, :] <= past + np.arange(seq)[:, None]
        mask = np.where(allowed, 0.0, np.finfo(np.float32).min)
        return np.broadcast_to(mask, shape).astype(dtype)
    if np.issubdtype(dtype, np.integer):
        return rng.integers(0, 10, size=shape, dtype=dtype)
    return rng.standard_normal(shape).astype(dtype)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("outdir")
    parser.add_argument("--dims", nargs="*", default=[])
    parser.add_argument("--seed", type=int)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    print(f"seed {seed}")
    rng = np.random.default_rng(seed)
    sizes = {k: int(v) for k, v in (d.split("=") for d in args.dims)}

    model = onnx.load(args.model, load_external_data=False)
    initializers = {i.name for i in model.graph.initializer}
    inputs = {}
    for value_info in model.graph.input:
        if value_info.name in initializers:
            continue
        dtype = onnx.helper.tensor_dtype_to_np_dtype(
            value_info.type.tensor_type.elem_type)
        inputs[value_info.name] = draw(value_info.name, dtype,
                                       dims_of(value_info, sizes), sizes, rng)

    session = ort.InferenceSession(args.model, providers=["CPUExecutionProvider"])
    names = [output.name for output in session.get_outputs()]
    outputs = session.run(names, inputs)
    np.savez(f"{args.outdir}/inputs.npz", **inputs)
    np.savez(f"{args.outdir}/reference.npz", **dict(zip(names, outputs)))


if __name__ == "__main__":
    main()
