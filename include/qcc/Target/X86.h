//===- X86.h - the x86 backend: emission and the shared object --*- C++ -*-===//

#ifndef QCC_TARGET_X86_H
#define QCC_TARGET_X86_H

#include "mlir/IR/BuiltinOps.h"

namespace qcc {

/// The C++ source of a module lowered by qcc-lower-x86 or qcc-lower-cuda
/// (`--emit=cpp`).
mlir::LogicalResult emitModelCpp(mlir::ModuleOp module, llvm::raw_ostream &os);

/// Compiles a lowered module with the system C++ compiler and links it
/// with its runtime (the CPU runtime; for sm90 also the CUDA runtime and
/// the static CUDA runtime library) into one shared object with its
/// weights embedded (`--emit=lib`). The file appears at `outputPath` only when
/// everything succeeded. Errors are diagnosed at the module.
mlir::LogicalResult buildSharedObject(mlir::ModuleOp module,
                                      llvm::StringRef outputPath);

/// Whether this qcc can build sm90 shared objects (it was built with CUDA).
bool canBuildCudaModels();

} // namespace qcc

#endif // QCC_TARGET_X86_H
