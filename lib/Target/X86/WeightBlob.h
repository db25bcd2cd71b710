//===- WeightBlob.h - the packed weights of a generated model ---*- C++ -*-===//

#ifndef QCC_LIB_TARGET_X86_WEIGHTBLOB_H
#define QCC_LIB_TARGET_X86_WEIGHTBLOB_H

#include "mlir/IR/BuiltinAttributes.h"
#include <cstdint>
#include <vector>

namespace qcc::x86 {

/// The bytes every weight view of a generated model points into.
class WeightBlob {
public:
  /// Weights start at multiples of this (a cache line, an AVX-512 load).
  static constexpr size_t kAlignment = 64;

  /// Appends `size` bytes at the next aligned offset; returns the offset.
  int64_t add(const void *data, size_t size);
  size_t size() const { return bytes.size(); }
  const std::vector<uint8_t> &data() const { return bytes; }
  /// The blob as the module attribute `qcc.weights` carries it: a dense
  /// resource of i8 named "qcc_weights".
  mlir::DenseResourceElementsAttr toAttribute(mlir::MLIRContext *context) const;

private:
  std::vector<uint8_t> bytes;
};

/// The bytes of a module's `qcc.weights`, or none when it has no blob.
std::optional<llvm::ArrayRef<char>> getWeightBytes(mlir::Operation *module);

} // namespace qcc::x86

#endif // QCC_LIB_TARGET_X86_WEIGHTBLOB_H
