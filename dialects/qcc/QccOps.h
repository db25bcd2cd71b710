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

#endif // QCC_DIALECTS_QCC_QCCOPS_H
