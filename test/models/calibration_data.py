"""Writes calibration data for a test model in every format qcc reads, with
fresh random values each run (the seed is printed).

  python3 calibration_data.py MODEL.onnx OUTDIR --samples N --dims name=size...

OUTDIR/stacked.npz     every input with a leading sample axis
OUTDIR/npy/            the same arrays as .npy files
OUTDIR/npz/            one .npz per sample, without the sample axis
OUTDIR/test_data/      ONNX test_data_set_<i>/input_<j>.pb TensorProto files
Values are drawn as reference.py draws them.
"""

import argparse
import random
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from reference import dims_of, draw


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--samples", type=int, default=4)
    parser.add_argument("--dims", nargs="*", default=[])
    args = parser.parse_args()
    seed = random.SystemRandom().randrange(2**31)
    print(f"seed {seed}")
    rng = np.random.default_rng(seed)
    sizes = {k: int(v) for k, v in (d.split("=") for d in args.dims)}
    model = onnx.load(args.model, load_external_data=False)
    initializers = {i.name for i in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in initializers]

    samples = []
    for _ in range(args.samples):
        sample = {}
        for value_info in inputs:
            dtype = onnx.helper.tensor_dtype_to_np_dtype(
                value_info.type.tensor_type.elem_type)
            sample[value_info.name] = draw(value_info.name, dtype,
                                           dims_of(value_info, sizes), sizes, rng)
        samples.append(sample)

    args.outdir.mkdir(parents=True, exist_ok=True)
    stacked = {name: np.stack([s[name] for s in samples]) for name in samples[0]}
    np.savez_compressed(args.outdir / "stacked.npz", **stacked)
    (args.outdir / "npy").mkdir(parents=True, exist_ok=True)
    for name, array in stacked.items():
        np.save(args.outdir / "npy" / f"{name}.npy", array)
    (args.outdir / "npz").mkdir(exist_ok=True)
    for i, sample in enumerate(samples):
        np.savez(args.outdir / "npz" / f"sample_{i}.npz", **sample)
    for i, sample in enumerate(samples):
        directory = args.outdir / "test_data" / f"test_data_set_{i}"
        directory.mkdir(parents=True, exist_ok=True)
        for j, (name, array) in enumerate(sample.items()):
            tensor = numpy_helper.from_array(array, name)
            (directory / f"input_{j}.pb").write_bytes(tensor.SerializeToString())


if __name__ == "__main__":
    main()
