//===- MLIR.h - MLIR names used throughout qcc -----------------*- C++ -*-===//
//
// qcc code lives in namespace qcc (the dialect included) and uses MLIR's
// vocabulary (Value, Type, LogicalResult, ...) unqualified, as CIRCT does.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_SUPPORT_MLIR_H
#define QCC_SUPPORT_MLIR_H

#include "mlir/Support/LLVM.h"

namespace qcc {
using namespace mlir;
} // namespace qcc

#endif // QCC_SUPPORT_MLIR_H
