"""Writes small malformed or unsupported models for the importer's error tests.

Each is a file in OUTDIR:
  unsupported_op.onnx        valid, opset 17, a Resize node named "up_1"
  unsupported_opset.onnx     valid, default-domain opset 9 (one Add)
  future_opset.onnx          opset 30, which no released ONNX defines
  truncated.onnx             the first half of a valid model's bytes
  garbage.onnx               200 bytes of seeded noise, not a protobuf
  dangling.onnx              a node reads a tensor nothing produces
  contradicting_shapes.onnx  Add of [2, 3] and a [4, 5] initializer
  contradicting_matmul.onnx  MatMul of [2, 3] and a [4, 5] initializer
  newer_ir.onnx              valid, IR 10 and opset 21 (MatMul + Add)
  float8_initializer.onnx    valid, Identity of a FLOAT8E4M3FN initializer
  int4_initializer.onnx      valid, Identity of an INT4 initializer

The valid ones pass onnx.checker (full check); the others are written
without it.

Usage: python3 bad_models.py OUTDIR
"""

import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from builder import output_dir, save_checked

F32 = TensorProto.FLOAT


def make_model(nodes, inputs, outputs, opset, initializers=(), ir_version=8):
    """A one-graph model; inputs and outputs are (name, elem_type, shape)."""
    graph = helper.make_graph(
        nodes, "test", [helper.make_tensor_value_info(*i) for i in inputs],
        [helper.make_tensor_value_info(*o) for o in outputs],
        initializer=list(initializers))
    return helper.make_model(graph, ir_version=ir_version,
                             producer_name="qcc-test-models",
                             opset_imports=[helper.make_opsetid("", opset)])


def weight(name, shape, seed=0):
    rng = np.random.default_rng(seed)
    return numpy_helper.from_array(
        rng.standard_normal(shape).astype(np.float32), name)


def unsupported_op():
    scales = numpy_helper.from_array(
        np.array([1, 1, 2, 2], dtype=np.float32), "scales")
    nodes = [helper.make_node("Add", ["x", "x"], ["sum"], name="add_1"),
             helper.make_node("Resize", ["sum", "", "scales"], ["y"],
                              name="up_1", mode="nearest")]
    return make_model(nodes, [("x", F32, [1, 1, 4, 4])],
                      [("y", F32, [1, 1, 8, 8])], 17, [scales])


def add_model(opset, ir_version):
    """y = x + x."""
    nodes = [helper.make_node("Add", ["x", "x"], ["y"], name="add_1")]
    return make_model(nodes, [("x", F32, [2, 3])], [("y", F32, [2, 3])],
                      opset, ir_version=ir_version)


def dangling():
    nodes = [helper.make_node("Add", ["x", "ghost"], ["sum"], name="add_1"),
             helper.make_node("Relu", ["sum"], ["y"], name="relu_1")]
    return make_model(nodes, [("x", F32, [2, 3])], [("y", F32, [2, 3])], 17)


def contradicting(op_type):
    """op_type(x [2, 3], w [4, 5]): shapes that neither broadcast nor chain."""
    nodes = [helper.make_node(op_type, ["x", "w"], ["y"], name="bad_1")]
    return make_model(nodes, [("x", F32, [2, 3])],
                      [("y", F32, ["m", "n"])], 17, [weight("w", (4, 5))])


def newer_ir():
    """y = x @ w + b at IR 10, opset 21."""
    nodes = [helper.make_node("MatMul", ["x", "w"], ["xw"], name="matmul_1"),
             helper.make_node("Add", ["xw", "b"], ["y"], name="add_1")]
    return make_model(nodes, [("x", F32, [2, 3])], [("y", F32, [2, 5])], 21,
                      [weight("w", (3, 5)), weight("b", (5,), seed=1)],
                      ir_version=10)


def packed(name, elem_type, values):
    """A [2, 4] initializer of a sub-float32 type, stored in raw_data."""
    dtype = helper.tensor_dtype_to_np_dtype(elem_type)
    return numpy_helper.from_array(
        np.array(values, dtype=np.float32).reshape(2, 4).astype(dtype), name)


def float8_initializer():
    """Identity of a FLOAT8E4M3FN initializer (IR 9, opset 19)."""
    w = packed("w", TensorProto.FLOAT8E4M3FN,
               [0.0, 0.5, -1.0, 1.5, 2.0, -3.0, 448.0, -0.25])
    nodes = [helper.make_node("Identity", ["w"], ["y"], name="identity_1")]
    return make_model(nodes, [], [("y", TensorProto.FLOAT8E4M3FN, [2, 4])],
                      19, [w], ir_version=9)


def int4_initializer():
    """Identity of an INT4 initializer (IR 10, opset 21)."""
    w = packed("w", TensorProto.INT4, [0, 1, -1, 7, -8, 3, -4, 5])
    nodes = [helper.make_node("Identity", ["w"], ["y"], name="identity_1")]
    return make_model(nodes, [], [("y", TensorProto.INT4, [2, 4])], 21, [w],
                      ir_version=10)


def main(argv):
    out = output_dir(argv)

    save_checked(unsupported_op(), out / "unsupported_op.onnx")
    save_checked(add_model(9, ir_version=4), out / "unsupported_opset.onnx")
    save_checked(newer_ir(), out / "newer_ir.onnx")
    save_checked(float8_initializer(), out / "float8_initializer.onnx")
    save_checked(int4_initializer(), out / "int4_initializer.onnx")

    onnx.save(add_model(30, ir_version=10), out / "future_opset.onnx")
    onnx.save(dangling(), out / "dangling.onnx")
    onnx.save(contradicting("Add"), out / "contradicting_shapes.onnx")
    onnx.save(contradicting("MatMul"), out / "contradicting_matmul.onnx")

    valid = newer_ir().SerializeToString()
    (out / "truncated.onnx").write_bytes(valid[:len(valid) // 2])
    (out / "garbage.onnx").write_bytes(np.random.default_rng(0).bytes(200))


if __name__ == "__main__":
    main(sys.argv)
