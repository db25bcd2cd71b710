//===- Math.cpp - elementwise ONNX ops ------------------------------------===//

#include "ONNXInternals.h"

using namespace mlir;
using namespace qcc::onnx_import;
using namespace qcc;

/// Cast(to): the element type comes from the `to` attribute.
static LogicalResult convertCast(NodeImporter &node) {
  if (failed(node.requireInputs(1)))
    return failure();
  std::optional<int64_t> to = node.intAttr("to");
  Type elementType = to ? getElementType(node.getContext(), *to) : Type();
  if (!elementType)
    return node.emitError()
           << "casts to " << (to ? getDataTypeName(*to) : "no type")
           << ", which qcc does not support";
  return node.bindResult(node.create<CastOp>(
      node.inputType(0).clone(elementType), {node.input(0)}));
}

/// Clip(x, min?, max?): bounds are optional constant inputs.
static LogicalResult convertClip(NodeImporter &node) {
  if (failed(node.requireInputs(1)))
    return failure();
  SmallVector<NamedAttribute> attrs;
  for (auto [index, name] : {std::pair<size_t, StringRef>(1, "min"),
                             std::pair<size_t, StringRef>(2, "max")}) {
    if (!node.input(index))
      continue;
    DenseFPElementsAttr bound;
    if (!matchPattern(node.input(index), m_Constant(&bound)) ||
        bound.getNumElements() != 1)
      return node.emitError() << name << " must be a constant scalar";
    attrs.push_back(node.getBuilder().getNamedAttr(
        name, node.getBuilder().getF64FloatAttr(
                  (*bound.value_begin<APFloat>()).convertToDouble())));
  }
  return node.bindResult(
      node.create<ClipOp>(node.inputType(0), {node.input(0)}, attrs));
}

void qcc::onnx_import::registerMathOps(OpRegistry &registry) {
  registry.add("Add", {13, 14}, convertDirect<AddOp>);
  registry.add("Sub", {13, 14}, convertDirect<SubOp>);
  registry.add("Mul", {13, 14}, convertDirect<MulOp>);
  registry.add("Div", {13, 14}, convertDirect<DivOp>);
  registry.add("Pow", {13, 15}, convertDirect<PowOp>);
  registry.add("Max", {13}, convertDirect<MaxOp>);
  registry.add("Min", {13}, convertDirect<MinOp>);
  registry.add("Equal", {13, 19}, convertDirect<EqualOp>);
  registry.add("Less", {13}, convertDirect<LessOp>);
  registry.add("Greater", {13}, convertDirect<GreaterOp>);
  registry.add("Neg", {13}, convertDirect<NegOp>);
  registry.add("Abs", {13}, convertDirect<AbsOp>);
  registry.add("Sqrt", {13}, convertDirect<SqrtOp>);
  registry.add("Reciprocal", {13}, convertDirect<ReciprocalOp>);
  registry.add("Exp", {13}, convertDirect<ExpOp>);
  registry.add("Log", {13}, convertDirect<LogOp>);
  registry.add("Erf", {13}, convertDirect<ErfOp>);
  registry.add("Tanh", {13}, convertDirect<TanhOp>);
  registry.add("Sigmoid", {13}, convertDirect<SigmoidOp>);
  registry.add("Cos", {7}, convertDirect<CosOp>);
  registry.add("Sin", {7}, convertDirect<SinOp>);
  registry.add("Relu", {13, 14}, convertDirect<ReluOp>);
  registry.add("Not", {1}, convertDirect<NotOp>);
  registry.add("Where", {9, 16}, convertDirect<WhereOp>);
  registry.add("Cast", {13, 19, 21}, convertCast);
  registry.add("Clip", {13}, convertClip);
}
