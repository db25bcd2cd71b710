"""Output error of qcc's full pipeline against plain round-to-nearest on the
planted-outlier model (outliers.py), per scheme and output.

  python3 outlier_accuracy.py OUTDIR SCHEME[:PASSES]...

OUTDIR holds outliers.onnx, outliers_calib.npz and outliers_eval.npz. For
each scheme: qcc --emit=mlir-quant with --calibration-data, once with all
optional passes off (--passes=none: round-to-nearest with the same formats)
and once with the scheme's pipeline (switched by PASSES, as --passes=
takes it: w4a8:-rotate); qcc-run on the evaluation sample;
the error of each output against the float model run by onnxruntime:
the mean over tokens of each token's relative L2 error (plain relative L2
over the whole output would measure only the spike tokens, 500 times
larger than the rest). Prints one line per scheme and output and the ratio
RTN / qcc.
"""

import subprocess
import sys

import numpy as np
import onnxruntime as ort


def run(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def token_error(result, reference):
    """Mean over tokens of |result - reference| / |reference| per token."""
    diff = np.linalg.norm(result - reference, axis=-1)
    return float(np.mean(diff / np.linalg.norm(reference, axis=-1)))


def main(out, schemes):
    inputs = dict(np.load(f"{out}/outliers_eval.npz"))
    session = ort.InferenceSession(f"{out}/outliers.onnx",
                                   providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    reference = dict(zip(names, session.run(names, inputs)))
    for entry in schemes:
        scheme, _, switched = entry.partition(":")
        tag = entry.replace(":", "_")
        errors = {}
        pipeline = [f"--passes={switched}"] if switched else []
        for label, passes in [("rtn", ["--passes=none"]), ("qcc", pipeline)]:
            model = f"{out}/{tag}-{label}.mlir"
            run("qcc", f"{out}/outliers.onnx", f"--scheme={scheme}",
                f"--calibration-data={out}/outliers_calib.npz",
                "--emit=mlir-quant", "-o", model, *passes)
            run("qcc-run", model, f"--inputs={out}/outliers_eval.npz",
                "-o", f"{out}/{tag}-{label}.npz")
            result = np.load(f"{out}/{tag}-{label}.npz")
            errors[label] = {n: token_error(result[n], reference[n])
                             for n in names}
        for n in names:
            rtn, ours = errors["rtn"][n], errors["qcc"][n]
            print(f"{entry} {n}: rtn {rtn:.4g} qcc {ours:.4g} "
                  f"ratio {rtn / ours:.2f}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
