"""Small models that exercise importer handlers the transformer blocks do not.

  ops_opset14.onnx  Gemm (transB, alpha/beta), Squeeze without axes, ReduceMean
                    with an axes attribute, Clip bounds as inputs, Trilu with k,
                    Cast to float16, Softmax on axis 1, Transpose without perm,
                    Constant value_ints / value_float, a tanh GELU (not fused)
  ops_opset18.onnx  Split by num_outputs (uneven), ReduceMean with an axes input,
                    Range and Where on shape values
  custom_domain.onnx a node of the com.microsoft domain (unsupported)

Every model passes onnx.checker (full check) and runs in onnxruntime.

Usage: python3 op_coverage.py OUTDIR
"""

import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from builder import output_dir, save_checked

F32 = TensorProto.FLOAT
RNG = np.random.default_rng(13)


def weight(name, shape):
    return numpy_helper.from_array(
        RNG.standard_normal(shape).astype(np.float32), name)


def model(nodes, inputs, outputs, initializers, opset, domains=()):
    graph = helper.make_graph(
        nodes, "coverage", [helper.make_tensor_value_info(*i) for i in inputs],
        [helper.make_tensor_value_info(*o) for o in outputs], initializers)
    imports = [helper.make_opsetid("", opset)] + [
        helper.make_opsetid(d, 1) for d in domains]
    return helper.make_model(graph, ir_version=8 if opset <= 17 else 10,
                             opset_imports=imports)


def opset14():
    node = helper.make_node
    nodes = [
        node("Gemm", ["x", "w", "c"], ["gemm"], name="gemm_bias", transB=1),
        node("Gemm", ["x", "w", "c"], ["scaled"], name="gemm_scaled", transB=1,
             alpha=0.5, beta=2.0),
        node("Constant", [], ["lo"], name="lo", value_float=-1.0),
        node("Constant", [], ["hi"], name="hi", value_float=1.0),
        node("Clip", ["scaled", "lo", "hi"], ["clipped"], name="clip"),
        node("Softmax", ["clipped"], ["soft"], name="softmax", axis=1),
        node("Unsqueeze", ["m", "axes0"], ["u"], name="unsqueeze"),
        node("Squeeze", ["u"], ["squeezed"], name="squeeze_all"),
        node("ReduceMean", ["gemm"], ["mean"], name="mean", axes=[1],
             keepdims=0),
        node("Constant", [], ["k"], name="k", value_ints=[1]),
        node("Trilu", ["m", "k"], ["band"], name="trilu", upper=0),
        node("Cast", ["band"], ["half"], name="cast", to=TensorProto.FLOAT16),
        node("Transpose", ["m"], ["mt"], name="transpose"),
        # tanh GELU: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        node("Pow", ["gemm", "three"], ["cube"], name="gelu/pow"),
        node("Mul", ["cube", "coef"], ["scaled_cube"], name="gelu/mul"),
        node("Add", ["gemm", "scaled_cube"], ["inner"], name="gelu/add"),
        node("Mul", ["inner", "root"], ["arg"], name="gelu/mul_1"),
        node("Tanh", ["arg"], ["t"], name="gelu/tanh"),
        node("Add", ["t", "one"], ["t1"], name="gelu/add_1"),
        node("Mul", ["gemm", "t1"], ["gx"], name="gelu/mul_2"),
        node("Mul", ["gx", "half_c"], ["gelu"], name="gelu/mul_3"),
    ]
    scalars = [numpy_helper.from_array(np.array(v, np.float32), n) for n, v in
               [("three", 3.0), ("coef", 0.044715), ("root", 0.7978845608),
                ("one", 1.0), ("half_c", 0.5)]]
    inits = [weight("w", [4, 8]), weight("c", [4]),
             numpy_helper.from_array(np.array([0], np.int64), "axes0")] + scalars
    return model(nodes, [("x", F32, ["n", 8]), ("m", F32, [5, 5])],
                 [("soft", F32, ["n", 4]), ("squeezed", F32, [5, 5]),
                  ("mean", F32, ["n"]),
                  ("half", TensorProto.FLOAT16, [5, 5]), ("mt", F32, [5, 5]),
                  ("gelu", F32, ["n", 4])], inits, 14)


def opset18():
    node = helper.make_node
    nodes = [
        node("Split", ["x"], ["a", "b", "c"], name="split", axis=1,
             num_outputs=3),
        node("ReduceMean", ["a", "axes"], ["mean"], name="mean", keepdims=1),
        node("Shape", ["x"], ["shape"], name="shape"),
        node("Gather", ["shape", "zero"], ["n"], name="gather", axis=0),
        node("Range", ["zero", "n", "one"], ["positions"], name="range"),
        node("Equal", ["positions", "zero"], ["first"], name="equal"),
        node("Where", ["first", "positions", "zero"], ["picked"], name="where"),
    ]
    inits = [numpy_helper.from_array(np.array([-1], np.int64), "axes"),
             numpy_helper.from_array(np.array(0, np.int64), "zero"),
             numpy_helper.from_array(np.array(1, np.int64), "one")]
    return model(nodes, [("x", F32, ["n", 10])],
                 [("b", F32, ["n", 4]), ("c", F32, ["n", 2]),
                  ("mean", F32, ["n", 1]), ("picked", TensorProto.INT64, ["n"])],
                 inits, 18)


def custom_domain():
    nodes = [helper.make_node("FastGelu", ["x"], ["y"], name="fast_gelu",
                              domain="com.microsoft")]
    return model(nodes, [("x", F32, [2, 4])], [("y", F32, [2, 4])], [], 17,
                 domains=["com.microsoft"])


def main(argv):
    out = output_dir(argv)
    save_checked(opset14(), out / "ops_opset14.onnx")
    save_checked(opset18(), out / "ops_opset18.onnx")
    onnx.save(custom_domain(), out / "custom_domain.onnx")


if __name__ == "__main__":
    main(sys.argv)
