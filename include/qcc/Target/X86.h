//===- X86.h - the x86 backend: emission and the shared object --*- C++ -*-===//

#ifndef QCC_TARGET_X86_H
#define QCC_TARGET_X86_H

#include "mlir/IR/BuiltinOps.h"

namespace qcc {

/// The C++ source of a module lowered by qcc-lower-x86 (`--emit=cpp`).
mlir::LogicalResult emitX86Cpp(mlir::ModuleOp module, llvm::raw_ostream &os);

/// Compiles a lowered module with the system C++ compiler and links it
/// with the CPU runtime into one shared object with its weights embedded
/// (`--emit=lib`). The file appears at `outputPath` only when everything
/// succeeded. Errors are diagnosed at the module.
mlir::LogicalResult buildX86SharedObject(mlir::ModuleOp module,
                                         llvm::StringRef outputPath);

} // namespace qcc

#endif // QCC_TARGET_X86_H
