//===- PassUtils.cpp - what several qcc passes share ----------------------===//

#include "passes/PassUtils.h"
#include "dialects/qcc/QccOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "qcc/Support/Locations.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"
#include <cstring>

using namespace qcc;

LogicalResult qcc::writeJSONReport(Operation *anchor, StringRef path,
                                   llvm::json::Value json) {
  auto write = [&](llvm::raw_ostream &os) {
    os << llvm::formatv("{0:2}", json) << "\n";
    return llvm::Error::success();
  };
  if (llvm::Error error = llvm::writeToOutput(path, write))
    return emitError(anchor->getLoc(), "cannot write the report '")
           << path << "': " << llvm::toString(std::move(error));
  return success();
}

bool qcc::isKeptInFloat(Operation *op, StringRef pattern,
                        const llvm::Regex &regex) {
  return !pattern.empty() &&
         llvm::any_of(getNodeNames(op->getLoc()),
                      [&](StringRef name) { return regex.match(name); });
}

FailureOr<llvm::Regex> qcc::parseKeepFloat(Operation *anchor,
                                           StringRef pattern) {
  llvm::Regex regex(pattern);
  std::string error;
  if (!pattern.empty() && !regex.isValid(error))
    return emitError(anchor->getLoc(), "keep-float: ") << error;
  return regex;
}

LogicalResult qcc::writeLayersReport(Operation *anchor, StringRef path,
                                     llvm::json::Array layers) {
  if (path.empty())
    return success();
  return writeJSONReport(anchor, path,
                         llvm::json::Object{{"layers", std::move(layers)}});
}

LogicalResult qcc::forEachQuantizedLinear(
    Operation *root, StringRef keepFloat, const llvm::Regex &keep,
    llvm::function_ref<LogicalResult(Operation *)> body) {
  SmallVector<Operation *> linears;
  root->walk([&](LinearOp op) {
    if (!isKeptInFloat(op, keepFloat, keep))
      linears.push_back(op);
  });
  for (Operation *linear : linears)
    if (failed(body(linear)))
      return failure();
  return success();
}

bool qcc::isF32Constant(Value value) {
  ElementsAttr attr;
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || !type.getElementType().isF32() ||
      !matchPattern(value, m_Constant(&attr)))
    return false;
  auto resource = dyn_cast<DenseResourceElementsAttr>(attr);
  if (!resource)
    return true;
  AsmResourceBlob *blob = resource.getRawHandle().getBlob();
  return blob &&
         blob->getData().size() == type.getNumElements() * sizeof(float);
}

FailureOr<std::vector<float>> qcc::readF32Constant(Value value) {
  if (!isF32Constant(value))
    return failure();
  ElementsAttr attr;
  matchPattern(value, m_Constant(&attr));
  std::vector<float> values(attr.getNumElements());
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    std::memcpy(values.data(),
                resource.getRawHandle().getBlob()->getData().data(),
                values.size() * sizeof(float));
    return values;
  }
  llvm::transform(attr.getValues<APFloat>(), values.begin(),
                  [](const APFloat &v) { return v.convertToFloat(); });
  return values;
}

Value qcc::createBlobConstant(OpBuilder &builder, Location loc,
                              RankedTensorType type, StringRef name,
                              ArrayRef<char> bytes, size_t alignment) {
  AsmResourceBlob blob =
      HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, alignment);
  auto attr = DenseResourceElementsAttr::get(type, name, std::move(blob));
  return arith::ConstantOp::create(builder, loc, attr);
}

Value qcc::createF32Constant(OpBuilder &builder, Location loc,
                             RankedTensorType type, StringRef name,
                             ArrayRef<float> values) {
  return createBlobConstant(
      builder, loc, type, name,
      ArrayRef<char>(reinterpret_cast<const char *>(values.data()),
                     values.size() * sizeof(float)),
      alignof(float));
}

void qcc::replaceF32Operand(Operation *op, unsigned index,
                            ArrayRef<float> values, StringRef name) {
  Value old = op->getOperand(index);
  OpBuilder builder(op);
  Value replacement =
      createF32Constant(builder, old.getLoc(),
                        cast<RankedTensorType>(old.getType()), name, values);
  op->setOperand(index, replacement);
  if (Operation *definition = old.getDefiningOp())
    if (definition->use_empty())
      definition->erase();
}
