"""Checks qcc-calibrate's statistics against numpy on the same activations.

  python3 check_calibration.py MODEL.onnx CALIBRATION.npz REPORT.json

For every linear in the report, the input of its ONNX MatMul node is added
as a graph output; onnxruntime runs every sample (a leading sample axis in
the .npz); numpy computes the statistics in float64 and they are compared:
per-channel max |x| and per-position token max |x| to 1e-5 relative,
per-channel mean of x^2 to 1e-4 (f32 vs f64 accumulation), percentiles of |x|
to 1.2%: qcc takes the order statistic at ceil(p N), as numpy's
"inverted_cdf" method does, from a histogram whose bins are 2.2% wide, so it
reports that value to within half a bin.
"""

import json
import sys

import numpy as np
import onnx
import onnxruntime as ort


def main(model_path, calibration_path, report_path):
    report = json.load(open(report_path))
    model = onnx.load(model_path)
    producers = {node.name: node for node in model.graph.node}
    layers = [layer for layer in report["layers"] if layer["op"] == "qcc.linear"]
    activations = []
    for layer in layers:
        activations.append(producers[layer["node"]].input[0])
    for name in dict.fromkeys(activations):
        model.graph.output.append(onnx.ValueInfoProto(name=name))
    session = ort.InferenceSession(model.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    data = np.load(calibration_path)
    count = len(next(iter(data.values())))
    runs = [session.run(activations, {k: v[s] for k, v in data.items()})
            for s in range(count)]

    failures = 0
    for i, layer in enumerate(layers):
        xs = [run[i].astype(np.float64) for run in runs]
        flat = np.concatenate([x.reshape(-1, x.shape[-1]) for x in xs])
        token_max = np.zeros(max(x.shape[-2] for x in xs))
        for x in xs:
            per_token = np.abs(x).max(axis=-1).reshape(-1, x.shape[-2])
            token_max[:x.shape[-2]] = np.maximum(token_max[:x.shape[-2]],
                                                 per_token.max(axis=0))
        expected = {
            "channel_absmax": (np.abs(flat).max(axis=0), 1e-5),
            "channel_mean_square": ((flat ** 2).mean(axis=0), 1e-4),
            "token_absmax": (token_max, 1e-5),
        }
        for key, (want, tolerance) in expected.items():
            got = np.array(layer[key])
            error = np.max(np.abs(got - want) / np.maximum(np.abs(want), 1e-12))
            ok = error <= tolerance
            failures += not ok
            print(f"{layer['node']} {key}: max relative error {error:.2e}"
                  f"{'' if ok else ' FAIL'}")
        for level, got in layer["abs_percentiles"].items():
            want = np.percentile(np.abs(flat), float(level),
                                 method="inverted_cdf")
            error = abs(got - want) / max(want, 1e-12)
            ok = error <= 0.012
            failures += not ok
            print(f"{layer['node']} p{level}: relative error {error:.2e}"
                  f"{'' if ok else ' FAIL'}")
        if layer["samples"] != count or layer["tokens"] != len(flat):
            print(f"{layer['node']}: counts differ")
            failures += 1
    print(f"{len(layers)} layers checked, {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
