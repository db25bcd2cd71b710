//===- ModelDescription.h - what a generated model declares -----*- C++ -*-===//

#ifndef QCC_LIB_TARGET_X86_MODELDESCRIPTION_H
#define QCC_LIB_TARGET_X86_MODELDESCRIPTION_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include <string>

namespace qcc::x86 {

/// `text` as a C++ string literal.
std::string cppString(llvm::StringRef text);

/// C++ source defining qccGeneratedModel() (lib/Runtime/cpu/Session.h) for
/// `func`: its inputs and outputs with ONNX names, dtypes and symbolic
/// dimensions, the metadata of qcc_model_metadata, the weight symbol
/// `qcc_weights` and the forward function `forward`.
std::string describeModel(mlir::func::FuncOp func, llvm::StringRef scheme,
                          llvm::StringRef target, llvm::StringRef forward);

} // namespace qcc::x86

#endif // QCC_LIB_TARGET_X86_MODELDESCRIPTION_H
