//===- QccOps.h - qcc op declarations ---------------------------*- C++ -*-===//

#ifndef QCC_DIALECTS_QCC_QCCOPS_H
#define QCC_DIALECTS_QCC_QCCOPS_H

#include "dialects/qcc/QccDialect.h"
#include "dialects/qcc/QccShapeInference.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "dialects/qcc/QccOps.h.inc"

namespace qcc {
/// The element type `qcc.quantize` stores activations of `format` in (i8,
/// i4, f8E4M3FN), or null for an unknown format.
Type getActivationStorageType(MLIRContext *context, StringRef format);
/// The largest code magnitude of an activation format: 127, 7 or 448.
float getActivationMaximum(StringRef format);
} // namespace qcc

#endif // QCC_DIALECTS_QCC_QCCOPS_H
