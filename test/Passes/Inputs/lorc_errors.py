"""Checks lorc.test's outputs: weight errors per layer and output errors
against the onnxruntime reference fall strictly as the LoRC rank grows."""

import json
import sys

import numpy as np

out = sys.argv[1]
ranks = [4, 16, 48]
reports = [json.load(open(f"{out}/r{r}.json"))["layers"] for r in ranks]
for layer in zip(*reports):
    before = layer[0]["error_before"]
    after = [entry["error_after"] for entry in layer]
    assert before > after[0] > after[1] > after[2], layer
print(f"weight error falls with rank: {len(reports[0])} layers")

reference = np.load(f"{out}/reference.npz")


def error(path):
    result = np.load(path)
    return max(np.linalg.norm(result[k] - reference[k]) /
               np.linalg.norm(reference[k]) for k in reference.files)


for prefix, name in [("r", "int8"), ("h", "f16")]:
    errors = [error(f"{out}/r0.npz")] + [error(f"{out}/{prefix}{r}.npz")
                                         for r in ranks]
    assert all(a > b for a, b in zip(errors, errors[1:])), errors
    print(f"output error {name} factors: " +
          " > ".join(f"{e:.4g}" for e in errors))
