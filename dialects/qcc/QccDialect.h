//===- QccDialect.h - the qcc dialect ---------------------------*- C++ -*-===//

#ifndef QCC_DIALECTS_QCC_QCCDIALECT_H
#define QCC_DIALECTS_QCC_QCCDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Dialect.h"
#include "qcc/Support/MLIR.h"

#include "dialects/qcc/QccDialect.h.inc"

#endif // QCC_DIALECTS_QCC_QCCDIALECT_H
