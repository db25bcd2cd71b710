//===- NN.cpp - matrix products, normalization, softmax, reductions -------===//

#include "ONNXInternals.h"

using namespace mlir;
using namespace qcc::onnx_import;
using namespace qcc;

static LogicalResult convertMatMul(NodeImporter &node) {
  if (failed(node.requireInputs(2)))
    return failure();
  if (node.inputType(0).getRank() < 2 || node.inputType(1).getRank() < 2)
    return node.emitError()
           << "1-D operands are not supported, got " << node.inputType(0)
           << " and " << node.inputType(1);
  return node.bindResult(
      node.create<MatMulOp>(Type(), {node.input(0), node.input(1)}));
}

/// Gemm: alpha · op(A) · op(B) + beta · C. B stays a transpose of the
/// constant so that qcc-recognize turns it into a linear without a copy.
static LogicalResult convertGemm(NodeImporter &node) {
  if (failed(node.requireInputs(2)))
    return failure();
  auto transpose = [&](Value value) -> FailureOr<Value> {
    return node.create<TransposeOp>(
        Type(), {value},
        {node.getBuilder().getNamedAttr(
            "permutation", node.getBuilder().getDenseI64ArrayAttr({1, 0}))});
  };
  FailureOr<Value> a = node.input(0), b = node.input(1);
  if (node.intAttr("transA", 0))
    a = transpose(*a);
  if (succeeded(b) && node.intAttr("transB", 0))
    b = transpose(*b);
  if (failed(a) || failed(b))
    return failure();
  FailureOr<Value> product = node.create<MatMulOp>(Type(), {*a, *b});
  if (failed(product))
    return failure();
  Type elementType = node.inputType(0).getElementType();
  auto scalar = [&](float value) {
    return node.constant(DenseElementsAttr::get(
        RankedTensorType::get({}, elementType),
        node.getBuilder().getFloatAttr(elementType, value)));
  };
  if (float alpha = node.floatAttr("alpha").value_or(1.0f); alpha != 1.0f)
    product = node.create<MulOp>(Type(), {*product, scalar(alpha)});
  if (Value c = node.input(2); c && succeeded(product)) {
    float beta = node.floatAttr("beta").value_or(1.0f);
    FailureOr<Value> scaled =
        beta == 1.0f ? FailureOr<Value>(c)
                     : node.create<MulOp>(Type(), {c, scalar(beta)});
    if (failed(scaled))
      return failure();
    product = node.create<AddOp>(Type(), {*product, *scaled});
  }
  return node.bindResult(product);
}

static LogicalResult convertSoftmax(NodeImporter &node) {
  if (failed(node.requireInputs(1)))
    return failure();
  return node.bindResult(node.create<SoftmaxOp>(
      node.inputType(0), {node.input(0)},
      {node.getBuilder().getNamedAttr(
          "axis",
          node.getBuilder().getI64IntegerAttr(node.intAttr("axis", -1)))}));
}

static LogicalResult convertLayerNormalization(NodeImporter &node) {
  if (failed(node.requireInputs(2)))
    return failure();
  if (node.numOutputs() > 1)
    return node.emitError()
           << "the Mean and InvStdDev outputs (training) are not supported";
  if (node.intAttr("stash_type", 1) != 1)
    return node.emitError() << "stash_type other than float is not supported";
  OpBuilder &b = node.getBuilder();
  SmallVector<Value> operands = {node.input(0), node.input(1)};
  if (node.input(2))
    operands.push_back(node.input(2));
  return node.bindResult(node.create<LayerNormOp>(
      node.inputType(0), operands,
      {b.getNamedAttr("axis", b.getI64IntegerAttr(node.intAttr("axis", -1))),
       b.getNamedAttr(
           "epsilon",
           b.getF32FloatAttr(node.floatAttr("epsilon").value_or(1e-5f)))}));
}

/// ReduceMean/Sum/Max. Axes come from the `axes` attribute before the
/// version where they became an input (18 for Mean/Max, 13 for Sum).
template <typename OpTy>
static LogicalResult convertReduce(NodeImporter &node, bool axesAsInput) {
  if (failed(node.requireInputs(1)))
    return failure();
  SmallVector<int64_t> axes;
  if (axesAsInput && node.input(1)) {
    FailureOr<SmallVector<int64_t>> values = node.constantInts(1, "axes");
    if (failed(values))
      return failure();
    axes = *values;
  } else if (!axesAsInput) {
    axes = node.intsAttr("axes").value_or(SmallVector<int64_t>());
  }
  if (axes.empty() && node.intAttr("noop_with_empty_axes", 0)) {
    node.setResult(0, node.input(0));
    return success();
  }
  OpBuilder &b = node.getBuilder();
  return node.bindResult(node.create<OpTy>(
      Type(), {node.input(0)},
      {b.getNamedAttr("axes", b.getDenseI64ArrayAttr(axes)),
       b.getNamedAttr("keepdims",
                      b.getBoolAttr(node.intAttr("keepdims", 1)))}));
}

template <typename OpTy, int64_t kAxesInputSince>
static LogicalResult convertReduceVersioned(NodeImporter &node) {
  return convertReduce<OpTy>(node, node.version() >= kAxesInputSince);
}

void qcc::onnx_import::registerNNOps(OpRegistry &registry) {
  registry.add("MatMul", {13}, convertMatMul);
  registry.add("Gemm", {13}, convertGemm);
  registry.add("Softmax", {13}, convertSoftmax);
  registry.add("LayerNormalization", {17}, convertLayerNormalization);
  registry.add("ReduceMean", {13, 18},
               convertReduceVersioned<ReduceMeanOp, 18>);
  registry.add("ReduceMax", {13, 18, 20},
               convertReduceVersioned<ReduceMaxOp, 18>);
  registry.add("ReduceSum", {13}, convertReduceVersioned<ReduceSumOp, 13>);
}
