"""Shared helpers for the test-model generators in this directory.

GraphBuilder names nodes and their outputs the way torch.onnx.export does
("/h.0/attn/Reshape_1", "/h.0/attn/Reshape_1_output_0"), writes scalar and
shape constants as Constant nodes and weights as initializers, and draws the
weights from a seeded generator so every generated model is byte-identical
from run to run.
"""

import collections
import pathlib
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper


class GraphBuilder:
    """Accumulates the nodes and initializers of one ONNX graph."""

    def __init__(self, seed=0):
        self.nodes = []
        self.initializers = []
        self._rng = np.random.default_rng(seed)
        self._op_counts = collections.Counter()

    def op(self, op_type, scope, inputs, outputs=1, **attrs):
        """Adds a node named "<scope>/<op_type>[_<n>]".

        `outputs` is either a count (outputs are named after the node) or a
        list of explicit names (for graph outputs). Returns the output name,
        or a tuple of names when there is more than one.
        """
        key = f"{scope}/{op_type}"
        count = self._op_counts[key]
        self._op_counts[key] += 1
        name = f"{key}_{count}" if count else key
        if isinstance(outputs, int):
            outputs = [f"{name}_output_{i}" for i in range(outputs)]
        self.nodes.append(
            helper.make_node(op_type, inputs, outputs, name=name, **attrs))
        return outputs[0] if len(outputs) == 1 else tuple(outputs)

    def const(self, scope, value, dtype=np.int64):
        """Adds a Constant node holding `value` (a scalar or a list)."""
        tensor = numpy_helper.from_array(np.array(value, dtype=dtype))
        return self.op("Constant", scope, [], value=tensor)

    def param(self, name, shape, mean=0.0, std=0.02):
        """Adds a float32 initializer drawn from N(mean, std^2)."""
        value = mean + std * self._rng.standard_normal(shape)
        return self.initializer(name, value.astype(np.float32))

    def initializer(self, name, array):
        """Adds an initializer holding a numpy array."""
        self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def dim(self, scope, tensor, axis):
        """Returns tensor.shape[axis] as a 1-D int64 tensor of one element.

        Shape -> Gather -> Unsqueeze, the chain torch exports for x.size(i).
        """
        shape = self.op("Shape", scope, [tensor])
        scalar = self.op("Gather", scope, [shape, self.const(scope, axis)],
                         axis=0)
        return self.op("Unsqueeze", scope, [scalar, self.const(scope, [0])])

    def shape(self, scope, dims):
        """Concatenates 1-D pieces into a shape tensor.

        Each entry of `dims` is either a tensor name (from `dim`) or an int,
        which becomes a one-element Constant.
        """
        pieces = [d if isinstance(d, str) else self.const(scope, [d])
                  for d in dims]
        return self.op("Concat", scope, pieces, axis=0)

    def model(self, name, inputs, outputs, opset, ir_version):
        """Returns the finished ModelProto."""
        graph = helper.make_graph(self.nodes, name, inputs, outputs,
                                  initializer=self.initializers)
        return helper.make_model(
            graph, ir_version=ir_version, producer_name="qcc-test-models",
            opset_imports=[helper.make_opsetid("", opset)])


def output_dir(argv):
    """Returns the output directory named on the command line, created."""
    if len(argv) != 2:
        sys.exit(f"usage: {argv[0]} OUTDIR")
    out = pathlib.Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    return out


def save_checked(model, path):
    """Checks a model that must be valid ONNX, then writes it."""
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, path)
