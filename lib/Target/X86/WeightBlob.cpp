//===- WeightBlob.cpp - the packed weights of a generated model -----------===//

#include "WeightBlob.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include <cstring>

using namespace mlir;
using namespace qcc::x86;

int64_t WeightBlob::add(const void *data, size_t size) {
  size_t offset = (bytes.size() + kAlignment - 1) / kAlignment * kAlignment;
  bytes.resize(offset + size);
  if (size)
    std::memcpy(bytes.data() + offset, data, size);
  return static_cast<int64_t>(offset);
}

DenseResourceElementsAttr WeightBlob::toAttribute(MLIRContext *context) const {
  // At least one byte: an empty array would have no address to point at.
  std::vector<char> data(std::max<size_t>(bytes.size(), 1), 0);
  std::memcpy(data.data(), bytes.data(), bytes.size());
  auto type = RankedTensorType::get({static_cast<int64_t>(data.size())},
                                    IntegerType::get(context, 8));
  return DenseResourceElementsAttr::get(
      type, "qcc_weights",
      HeapAsmResourceBlob::allocateAndCopyWithAlign(data, kAlignment));
}

std::optional<llvm::ArrayRef<char>>
qcc::x86::getWeightBytes(Operation *module) {
  auto attr = module->getAttrOfType<DenseResourceElementsAttr>("qcc.weights");
  if (!attr)
    return std::nullopt;
  AsmResourceBlob *blob = attr.getRawHandle().getBlob();
  if (!blob)
    return std::nullopt;
  return blob->getData();
}
