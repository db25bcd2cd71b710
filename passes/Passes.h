//===- Passes.h - qcc passes ------------------------------------*- C++ -*-===//

#ifndef QCC_PASSES_PASSES_H
#define QCC_PASSES_PASSES_H

#include "dialects/qcc/QccDialect.h"
#include "mlir/Dialect/EmitC/IR/EmitC.h"
#include "mlir/Pass/Pass.h"

namespace qcc {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

} // namespace qcc

#endif // QCC_PASSES_PASSES_H
