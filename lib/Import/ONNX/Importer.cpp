//===- Importer.cpp - ONNX ModelProto -> qcc IR ---------------------------===//

#include "ONNXInternals.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Verifier.h"
#include "qcc/Import/ONNX.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace qcc::onnx_import;

namespace {

class GraphImporter {
public:
  GraphImporter(MLIRContext &context, StringRef path)
      : context(context), path(path.str()), builder(&context),
        fileLoc(FileLineColLoc::get(&context, path, 0, 0)),
        tensors(llvm::sys::path::parent_path(path).str()) {}

  OwningOpRef<ModuleOp> run(const qcc::ONNXImportOptions &options);

private:
  InFlightDiagnostic emitError() { return mlir::emitError(fileLoc); }
  LogicalResult readModel();
  LogicalResult readOpset();
  FailureOr<RankedTensorType> readValueType(const onnx::ValueInfoProto &info,
                                            SmallVectorImpl<Attribute> &names);
  FailureOr<Value> lookup(const std::string &name, const onnx::NodeProto &node);
  LogicalResult importNode(const onnx::NodeProto &node, size_t index);
  LogicalResult importGraph();

  MLIRContext &context;
  std::string path;
  OpBuilder builder;
  Location fileLoc;
  TensorReader tensors;
  onnx::ModelProto model;
  int64_t opset = 0;
  llvm::StringMap<Value> values;
  /// Initializers not imported yet; each payload is freed once it is copied.
  llvm::StringMap<onnx::TensorProto *> initializers;
};

} // namespace

LogicalResult GraphImporter::readModel() {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return emitError() << "cannot read '" << path
                       << "': " << buffer.getError().message();
  size_t size = (*buffer)->getBufferSize();
  if (size > static_cast<size_t>(std::numeric_limits<int>::max()))
    return emitError() << "the model protobuf is " << size
                       << " bytes; models past 2 GB must keep their weights "
                          "in external data files";
  if (!model.ParseFromArray((*buffer)->getBufferStart(),
                             static_cast<int>(size)))
    return emitError() << "not a valid ONNX model: the protobuf is malformed "
                          "or truncated";
  if (!model.has_graph())
    return emitError() << "not a valid ONNX model: it has no graph";
  return success();
}

LogicalResult GraphImporter::readOpset() {
  for (const onnx::OperatorSetIdProto &entry : model.opset_import())
    if (entry.domain().empty() || entry.domain() == "ai.onnx")
      opset = entry.version();
  if (opset == 0)
    return emitError() << "the model imports no version of the default ONNX "
                          "domain (opset_import)";
  if (opset < kMinOpset || opset > kMaxOpset)
    return emitError() << "opset " << opset
                       << " is not supported; qcc imports opsets " << kMinOpset
                       << " to " << kMaxOpset;
  return success();
}

FailureOr<RankedTensorType>
GraphImporter::readValueType(const onnx::ValueInfoProto &info,
                             SmallVectorImpl<Attribute> &names) {
  if (!info.type().has_tensor_type())
    return emitError() << "graph value '" << info.name()
                       << "' is not a tensor; qcc imports tensors only";
  const auto &tensorType = info.type().tensor_type();
  Type elementType = getElementType(&context, tensorType.elem_type());
  if (!elementType)
    return emitError() << "graph value '" << info.name()
                       << "' has element type "
                       << getDataTypeName(tensorType.elem_type())
                       << ", which qcc does not support";
  if (!tensorType.has_shape())
    return emitError() << "graph value '" << info.name()
                       << "' has no shape; qcc needs at least its rank";
  SmallVector<int64_t> shape;
  for (const auto &dim : tensorType.shape().dim()) {
    bool isStatic = dim.has_dim_value() && dim.dim_value() >= 0;
    shape.push_back(isStatic ? dim.dim_value() : ShapedType::kDynamic);
    names.push_back(
        builder.getStringAttr(dim.has_dim_param() ? dim.dim_param() : ""));
  }
  return RankedTensorType::get(shape, elementType);
}

FailureOr<Value> GraphImporter::lookup(const std::string &name,
                                       const onnx::NodeProto &node) {
  if (Value value = values.lookup(name))
    return value;
  auto initializer = initializers.find(name);
  if (initializer == initializers.end())
    return emitError() << "'onnx." << node.op_type() << "' node \""
                       << node.name() << "\" reads tensor '" << name
                       << "', which no earlier node, graph input or "
                          "initializer produces";
  Location loc = NameLoc::get(builder.getStringAttr(name), fileLoc);
  FailureOr<ElementsAttr> attr =
      tensors.read(&context, *initializer->second, [&] {
        return emitError() << "initializer '" << name << "': ";
      });
  if (failed(attr))
    return failure();
  // The blob holds its own copy; free the protobuf's so that a model's
  // weights are in memory once, not twice.
  std::string().swap(*initializer->second->mutable_raw_data());
  Value value = arith::ConstantOp::create(builder, loc, cast<TypedAttr>(*attr));
  values[name] = value;
  return value;
}

LogicalResult GraphImporter::importNode(const onnx::NodeProto &node,
                                        size_t index) {
  std::string name = node.name().empty()
                         ? node.op_type() + "_" + std::to_string(index)
                         : node.name();
  Location loc = NameLoc::get(builder.getStringAttr(name), fileLoc);
  auto unsupported = [&]() {
    return emitError() << "'"
                       << (node.domain().empty() ? "onnx" : node.domain())
                       << "." << node.op_type() << "' node \"" << name
                       << "\" (opset " << opset << ") is not supported";
  };
  if (!node.domain().empty() && node.domain() != "ai.onnx")
    return unsupported() << "; qcc imports the default ONNX domain only";
  const OpRegistry &registry = OpRegistry::get();
  auto [handler, sinceVersion] = registry.lookup(node.op_type(), opset);
  if (!handler) {
    if (int64_t first = registry.firstVersion(node.op_type()))
      return unsupported() << "; qcc imports it from opset " << first;
    return unsupported() << "; supported ops: " << registry.supportedOps();
  }

  SmallVector<Value> inputs;
  for (const std::string &input : node.input()) {
    if (input.empty()) {
      inputs.push_back(Value());
      continue;
    }
    FailureOr<Value> value = lookup(input, node);
    if (failed(value))
      return failure();
    inputs.push_back(*value);
  }
  NodeImporter importer(node, opset, sinceVersion, loc, builder,
                        std::move(inputs), tensors);
  if (failed(handler(importer)))
    return failure();
  ArrayRef<Value> results = importer.getResults();
  for (auto [i, output] : llvm::enumerate(node.output())) {
    if (output.empty())
      continue;
    if (i >= results.size() || !results[i])
      return importer.emitError()
             << "output #" << i << " ('" << output << "') is not supported";
    if (values.count(output))
      return importer.emitError() << "writes tensor '" << output
                                  << "', which an earlier node already wrote";
    values[output] = results[i];
  }
  return success();
}

LogicalResult GraphImporter::importGraph() {
  onnx::GraphProto &graph = *model.mutable_graph();
  for (onnx::TensorProto &initializer : *graph.mutable_initializer())
    initializers[initializer.name()] = &initializer;

  SmallVector<Type> argTypes;
  SmallVector<Attribute> argAttrs;
  SmallVector<const onnx::ValueInfoProto *> realInputs;
  for (const onnx::ValueInfoProto &input : graph.input()) {
    // Inputs that also have an initializer are constants (IR < 4 style).
    if (initializers.count(input.name()))
      continue;
    SmallVector<Attribute> dimNames;
    FailureOr<RankedTensorType> type = readValueType(input, dimNames);
    if (failed(type))
      return failure();
    argTypes.push_back(*type);
    argAttrs.push_back(builder.getDictionaryAttr(
        {builder.getNamedAttr("qcc.onnx_name",
                              builder.getStringAttr(input.name())),
         builder.getNamedAttr("qcc.dim_names",
                              builder.getArrayAttr(dimNames))}));
    realInputs.push_back(&input);
  }

  auto func = func::FuncOp::create(builder, fileLoc, "main",
                                   builder.getFunctionType(argTypes, {}));
  Block *body = func.addEntryBlock();
  for (auto [i, input] : llvm::enumerate(realInputs)) {
    func.setArgAttrs(i, cast<DictionaryAttr>(argAttrs[i]));
    values[input->name()] = body->getArgument(i);
  }
  builder.setInsertionPointToStart(body);

  for (auto [index, node] : llvm::enumerate(graph.node()))
    if (failed(importNode(node, index)))
      return failure();

  SmallVector<Value> results;
  SmallVector<Type> resultTypes;
  for (const onnx::ValueInfoProto &output : graph.output()) {
    Value value = values.lookup(output.name());
    if (!value && initializers.count(output.name()))
      value = *lookup(output.name(), onnx::NodeProto());
    if (!value)
      return emitError() << "graph output '" << output.name()
                         << "' is not produced by any node, input or "
                            "initializer";
    SmallVector<Attribute> dimNames;
    FailureOr<RankedTensorType> declared = readValueType(output, dimNames);
    if (succeeded(declared)) {
      auto computed = cast<RankedTensorType>(value.getType());
      if (declared->getElementType() != computed.getElementType() ||
          failed(
              verifyCompatibleShape(declared->getShape(), computed.getShape())))
        return emitError() << "graph output '" << output.name()
                           << "' is declared as " << *declared
                           << " but the graph computes " << computed;
    } else {
      return failure();
    }
    results.push_back(value);
    resultTypes.push_back(value.getType());
  }
  func::ReturnOp::create(builder, fileLoc, results);
  func.setType(builder.getFunctionType(argTypes, resultTypes));
  for (auto [i, output] : llvm::enumerate(graph.output()))
    func.setResultAttr(i, "qcc.onnx_name",
                       builder.getStringAttr(output.name()));
  return success();
}

OwningOpRef<ModuleOp>
GraphImporter::run(const qcc::ONNXImportOptions &options) {
  if (failed(readModel()) || failed(readOpset()))
    return nullptr;
  if (options.runChecker) {
    if (std::optional<std::string> problem = checkModel(model, opset)) {
      emitError() << "the ONNX checker rejects the model: " << *problem;
      return nullptr;
    }
  }

  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  module->getOperation()->setAttr(
      "qcc.source", builder.getStringAttr(llvm::sys::path::filename(path)));
  module->getOperation()->setAttr("qcc.opset",
                                  builder.getI64IntegerAttr(opset));
  module->getOperation()->setAttr(
      "qcc.ir_version", builder.getI64IntegerAttr(model.ir_version()));
  builder.setInsertionPointToEnd(module->getBody());
  if (failed(importGraph()) || failed(mlir::verify(*module)))
    return nullptr;
  return module;
}

OwningOpRef<ModuleOp> qcc::importONNX(StringRef path, MLIRContext &context,
                                      const ONNXImportOptions &options) {
  context
      .loadDialect<qcc::QccDialect, arith::ArithDialect, func::FuncDialect>();
  return GraphImporter(context, path).run(options);
}

FailureOr<ElementsAttr>
qcc::importONNXTensor(StringRef path, MLIRContext &context, std::string &name) {
  Location loc = FileLineColLoc::get(&context, path, 0, 0);
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return emitError(loc) << "cannot read '" << path
                          << "': " << buffer.getError().message();
  onnx::TensorProto tensor;
  if ((*buffer)->getBufferSize() > std::numeric_limits<int>::max() ||
      !tensor.ParseFromArray((*buffer)->getBufferStart(),
                             static_cast<int>((*buffer)->getBufferSize())))
    return emitError(loc) << "not a valid ONNX TensorProto file";
  name = tensor.name();
  TensorReader reader(llvm::sys::path::parent_path(path).str());
  return reader.read(&context, tensor, [&] { return emitError(loc); });
}

void qcc::registerONNXImportDialects(DialectRegistry &registry) {
  registry.insert<qcc::QccDialect, arith::ArithDialect, func::FuncDialect>();
}
