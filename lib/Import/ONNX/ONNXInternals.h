//===- ONNXInternals.h - shared state of the ONNX importer ------*- C++ -*-===//

#ifndef QCC_LIB_IMPORT_ONNX_ONNXINTERNALS_H
#define QCC_LIB_IMPORT_ONNX_ONNXINTERNALS_H

#include "dialects/qcc/QccOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/StringMap.h"
#include <onnx/onnx_pb.h>

namespace qcc::onnx_import {

using namespace mlir;

/// The lowest and highest default-domain opsets qcc imports.
constexpr int64_t kMinOpset = 13;
constexpr int64_t kMaxOpset = 21;

/// The MLIR element type of an ONNX TensorProto.DataType code, or null for
/// types qcc does not represent (strings, complex numbers).
Type getElementType(MLIRContext *context, int32_t code);

/// The name of an ONNX TensorProto.DataType code, for diagnostics.
std::string getDataTypeName(int32_t code);

/// Converts TensorProto payloads (inline or external) into attributes.
class TensorReader {
public:
  explicit TensorReader(std::string modelDirectory)
      : modelDirectory(std::move(modelDirectory)) {}

  /// The tensor as an elements attribute: inline `dense` for small tensors
  /// (shape arithmetic folds them), a `dense_resource` blob otherwise.
  /// `emitError` reports problems (missing external file, wrong size).
  FailureOr<ElementsAttr>
  read(MLIRContext *context, const onnx::TensorProto &tensor,
       llvm::function_ref<InFlightDiagnostic()> emitError) const;

private:
  std::string modelDirectory;
};

class NodeImporter;
using NodeHandler = LogicalResult (*)(NodeImporter &node);

/// (op type, since-version) -> handler, for the default ONNX domain.
class OpRegistry {
public:
  static const OpRegistry &get();

  /// The handler in effect at `opset`, with its since-version, or null.
  std::pair<NodeHandler, int64_t> lookup(llvm::StringRef opType,
                                         int64_t opset) const;
  /// The first since-version of `opType`, or 0 when it has no handler.
  int64_t firstVersion(llvm::StringRef opType) const;
  /// Every op type with a handler, sorted, comma separated.
  std::string supportedOps() const;

  void add(llvm::StringRef opType, std::initializer_list<int64_t> versions,
           NodeHandler handler);

private:
  llvm::StringMap<std::vector<std::pair<int64_t, NodeHandler>>> handlers;
};

/// Handler families, each in its own file.
void registerMathOps(OpRegistry &registry);
void registerNNOps(OpRegistry &registry);
void registerTensorOps(OpRegistry &registry);

/// The view of one ONNX node that handlers work with.
class NodeImporter {
public:
  NodeImporter(const onnx::NodeProto &node, int64_t opset, int64_t sinceVersion,
               Location loc, OpBuilder &builder, SmallVector<Value> inputs,
               const TensorReader &tensors)
      : node(node), opset(opset), sinceVersion(sinceVersion), loc(loc),
        builder(builder), inputs(std::move(inputs)), tensors(tensors) {}

  const onnx::NodeProto &proto() const { return node; }
  /// The since-version of the handler chosen for this node.
  int64_t version() const { return sinceVersion; }
  Location getLoc() const { return loc; }
  OpBuilder &getBuilder() { return builder; }
  MLIRContext *getContext() { return builder.getContext(); }

  /// Input `i`, or null when it is absent or the empty name (optional).
  Value input(size_t i) const {
    return i < inputs.size() ? inputs[i] : Value();
  }
  size_t numInputs() const { return inputs.size(); }
  RankedTensorType inputType(size_t i) const {
    return cast<RankedTensorType>(inputs[i].getType());
  }
  /// Fails with a diagnostic unless inputs `required` are present.
  LogicalResult requireInputs(size_t required);

  std::optional<int64_t> intAttr(llvm::StringRef name) const;
  int64_t intAttr(llvm::StringRef name, int64_t fallback) const {
    return intAttr(name).value_or(fallback);
  }
  std::optional<float> floatAttr(llvm::StringRef name) const;
  std::optional<SmallVector<int64_t>> intsAttr(llvm::StringRef name) const;
  std::optional<std::string> stringAttr(llvm::StringRef name) const;
  const onnx::AttributeProto *attr(llvm::StringRef name) const;

  /// The values of a constant integer input (axes, pads, ...), or a
  /// diagnostic saying that the input must be constant.
  FailureOr<SmallVector<int64_t>> constantInts(size_t input,
                                               llvm::StringRef what);
  /// Reads a tensor attribute or initializer-like payload.
  FailureOr<ElementsAttr> readTensor(const onnx::TensorProto &tensor);

  /// An error prefixed with the node: `'onnx.Add' node "x" (opset 17): ...`.
  InFlightDiagnostic emitError();

  /// Creates `OpTy` with `resultType`, or with its inferred type when null,
  /// folds it, and verifies it; failures are diagnosed at the node.
  template <typename OpTy>
  FailureOr<Value> create(Type resultType, ValueRange operands,
                          ArrayRef<NamedAttribute> attributes = {}) {
    OperationState state(loc, OpTy::getOperationName());
    OpTy::build(builder, state,
                TypeRange{resultType ? resultType : builder.getNoneType()},
                operands, attributes);
    return finish(builder.create(state), !resultType);
  }
  /// A constant of `attr`.
  Value constant(TypedAttr attr);
  /// A constant 1-D i64 tensor.
  Value indexVector(ArrayRef<int64_t> values);

  /// Binds output `i` of the node.
  void setResult(size_t i, Value value);
  /// Binds output 0 to `created`, passing a failure on.
  LogicalResult bindResult(FailureOr<Value> created) {
    if (failed(created))
      return failure();
    setResult(0, *created);
    return success();
  }
  ArrayRef<Value> getResults() const { return results; }
  size_t numOutputs() const { return node.output_size(); }

private:
  FailureOr<Value> finish(Operation *op, bool inferType);

  const onnx::NodeProto &node;
  int64_t opset;
  int64_t sinceVersion;
  Location loc;
  OpBuilder &builder;
  SmallVector<Value> inputs;
  SmallVector<Value> results;
  const TensorReader &tensors;
};

/// The operand count of an op with a fixed number of operands.
template <typename OpTy> constexpr size_t fixedOperandCount() {
  if constexpr (OpTy::template hasTrait<OpTrait::OneOperand>())
    return 1;
  else if constexpr (OpTy::template hasTrait<OpTrait::NOperands<2>::Impl>())
    return 2;
  else
    return OpTy::template hasTrait<OpTrait::NOperands<3>::Impl>() ? 3 : 0;
}

/// Handler for ONNX ops that are one qcc op over all of the node's inputs,
/// with an inferred type or the first input's type.
template <typename OpTy> LogicalResult convertDirect(NodeImporter &node) {
  constexpr size_t arity = fixedOperandCount<OpTy>();
  static_assert(arity > 0, "convertDirect needs a fixed operand count");
  SmallVector<Value> operands;
  for (size_t i = 0; i < node.numInputs(); ++i)
    operands.push_back(node.input(i));
  if (operands.size() != arity || llvm::is_contained(operands, Value()))
    return node.emitError()
           << "expects " << arity << " inputs, got " << node.numInputs();
  Type resultType;
  if constexpr (!OpTy::template hasTrait<InferTypeOpInterface::Trait>())
    resultType = operands.front().getType();
  return node.bindResult(node.create<OpTy>(resultType, operands));
}

/// Runs the ONNX library's checker on `model` (whose default-domain opset is
/// `opset`) when the library knows its IR version and opset; returns the
/// checker's message on rejection.
std::optional<std::string> checkModel(const onnx::ModelProto &model,
                                      int64_t opset);

} // namespace qcc::onnx_import

#endif // QCC_LIB_IMPORT_ONNX_ONNXINTERNALS_H
