"""A model with planted activation outliers, and its calibration data.

  python3 outliers.py OUTDIR   writes outliers.onnx, outliers_calib.npz and
                               outliers_eval.npz

Four linears, named by what their inputs hold:
  none     y (standard normal)
  channel  y * gamma, where gamma is 50 on channels 5 and 40 (persistent
           channel-wise outliers, as a norm weight plants them)
  spike    x, whose first token is 500 times larger in the calibration data
           (spike outliers on the first, "pivot", position)
  both     x * gamma
The weights' rows for the outlier channels are 50 times smaller, as where
a norm's large scale meets small weights: the outlier channels then do not
dominate the outputs, and the error that quantizing them causes on the
other channels shows in the outputs' relative error.
Calibration data: 16 samples of batch 2 x 16 tokens (512 rows, 8 times K,
as GPTQ needs); evaluation inputs: one more such sample, drawn apart. The
outlier pattern is planted, the values are drawn fresh each run (the seed
is printed).
"""

import random
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from builder import output_dir, save_checked

HIDDEN, OUT = 64, 32
OUTLIER_CHANNELS = [5, 40]


def build_model(rng):
    gamma = np.ones(HIDDEN, np.float32)
    gamma[OUTLIER_CHANNELS] = 50.0
    inits = [numpy_helper.from_array(gamma, "gamma")]
    nodes = [helper.make_node("Mul", ["x", "gamma"], ["x_scaled"], name="scale_x"),
             helper.make_node("Mul", ["y", "gamma"], ["y_scaled"], name="scale_y")]
    outputs = []
    for name, source in [("none", "y"), ("channel", "y_scaled"),
                         ("spike", "x"), ("both", "x_scaled")]:
        weight = rng.standard_normal((HIDDEN, OUT)).astype(np.float32) * 0.05
        if source.endswith("_scaled"):
            weight[OUTLIER_CHANNELS] /= 50.0
        inits.append(numpy_helper.from_array(weight, f"w_{name}"))
        nodes.append(helper.make_node("MatMul", [source, f"w_{name}"],
                                      [f"out_{name}"], name=name))
        outputs.append(helper.make_tensor_value_info(
            f"out_{name}", TensorProto.FLOAT, ["batch", "seq", OUT]))
    inputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT,
                                            ["batch", "seq", HIDDEN])
              for n in ("x", "y")]
    graph = helper.make_graph(nodes, "outliers", inputs, outputs, inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                             ir_version=8)


def main(argv):
    out = output_dir(argv)
    seed = random.SystemRandom().randrange(2**31)
    print(f"seed {seed}")
    rng = np.random.default_rng(seed)
    save_checked(build_model(np.random.default_rng(0)), out / "outliers.onnx")
    x = rng.standard_normal((17, 2, 16, HIDDEN)).astype(np.float32)
    x[:, :, 0, :] *= 500.0
    y = rng.standard_normal((17, 2, 16, HIDDEN)).astype(np.float32)
    np.savez(out / "outliers_calib.npz", x=x[:16], y=y[:16])
    np.savez(out / "outliers_eval.npz", x=x[16], y=y[16])


if __name__ == "__main__":
    main(sys.argv)
