//===- NodeImporter.cpp - the node view that op handlers use --------------===//

#include "ONNXInternals.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/Verifier.h"

using namespace mlir;
using namespace qcc::onnx_import;

InFlightDiagnostic NodeImporter::emitError() {
  // The message names the node, so the diagnostic is located at the file.
  return mlir::emitError(cast<NameLoc>(loc).getChildLoc())
         << "'onnx." << node.op_type() << "' node \"" << node.name()
         << "\" (opset " << opset << "): ";
}

LogicalResult NodeImporter::requireInputs(size_t required) {
  for (size_t i = 0; i < required; ++i)
    if (!input(i))
      return emitError() << "expects input #" << i;
  return success();
}

const onnx::AttributeProto *NodeImporter::attr(StringRef name) const {
  for (const onnx::AttributeProto &attribute : node.attribute())
    if (attribute.name() == name)
      return &attribute;
  return nullptr;
}

std::optional<int64_t> NodeImporter::intAttr(StringRef name) const {
  const onnx::AttributeProto *a = attr(name);
  return a && a->type() == onnx::AttributeProto::INT ? std::optional(a->i())
                                                     : std::nullopt;
}

std::optional<float> NodeImporter::floatAttr(StringRef name) const {
  const onnx::AttributeProto *a = attr(name);
  return a && a->type() == onnx::AttributeProto::FLOAT ? std::optional(a->f())
                                                       : std::nullopt;
}

std::optional<SmallVector<int64_t>>
NodeImporter::intsAttr(StringRef name) const {
  const onnx::AttributeProto *a = attr(name);
  if (!a || a->type() != onnx::AttributeProto::INTS)
    return std::nullopt;
  return SmallVector<int64_t>(a->ints().begin(), a->ints().end());
}

std::optional<std::string> NodeImporter::stringAttr(StringRef name) const {
  const onnx::AttributeProto *a = attr(name);
  return a && a->type() == onnx::AttributeProto::STRING ? std::optional(a->s())
                                                        : std::nullopt;
}

FailureOr<SmallVector<int64_t>> NodeImporter::constantInts(size_t i,
                                                           StringRef what) {
  DenseIntElementsAttr attr;
  if (!input(i) || !matchPattern(input(i), m_Constant(&attr)))
    return emitError() << what << " (input #" << i
                       << ") must be a constant; qcc needs it to type the "
                          "result";
  SmallVector<int64_t> values;
  for (const APInt &value : attr.getValues<APInt>())
    values.push_back(value.getSExtValue());
  return values;
}

FailureOr<ElementsAttr>
NodeImporter::readTensor(const onnx::TensorProto &tensor) {
  return tensors.read(getContext(), tensor, [&] { return emitError(); });
}

Value NodeImporter::constant(TypedAttr attr) {
  return arith::ConstantOp::create(builder, loc, attr);
}

Value NodeImporter::indexVector(ArrayRef<int64_t> values) {
  auto type = RankedTensorType::get({static_cast<int64_t>(values.size())},
                                    builder.getI64Type());
  return constant(DenseIntElementsAttr::get(type, values));
}

void NodeImporter::setResult(size_t i, Value value) {
  if (results.size() <= i)
    results.resize(i + 1);
  results[i] = value;
}

FailureOr<Value> NodeImporter::finish(Operation *op, bool inferType) {
  // Type inference and verification report through MLIR diagnostics; they are
  // collected and re-emitted as one error that names the ONNX node.
  std::string messages;
  LogicalResult ok = success();
  {
    ScopedDiagnosticHandler collect(getContext(), [&](Diagnostic &diag) {
      if (diag.getSeverity() == DiagnosticSeverity::Error) {
        if (!messages.empty())
          messages += "; ";
        messages += diag.str();
      }
      return success();
    });
    if (inferType) {
      SmallVector<Type> types;
      auto inferrable = cast<InferTypeOpInterface>(op);
      ok = inferrable.inferReturnTypes(
          getContext(), loc, op->getOperands(), op->getAttrDictionary(),
          op->getPropertiesStorage(), op->getRegions(), types);
      if (succeeded(ok))
        op->getResult(0).setType(types.front());
    }
    if (succeeded(ok))
      ok = mlir::verify(op);
  }
  if (failed(ok)) {
    op->erase();
    return emitError() << messages;
  }
  SmallVector<Value, 1> folded;
  if (succeeded(builder.tryFold(op, folded)) && !folded.empty()) {
    op->erase();
    return folded.front();
  }
  return op->getResult(0);
}
