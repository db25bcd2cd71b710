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
/// What the description says about the code's target.
struct ModelTarget {
  /// qcc_model_metadata's "target".
  llvm::StringRef name;
  /// C++ for the ModelDescription's accelerator: nullptr for x86.
  llvm::StringRef accelerator;
  bool needsAvx2;
  /// The weights live in <model.so>.weights rather than in the .so.
  bool externalWeights;
};

std::string describeModel(mlir::func::FuncOp func, llvm::StringRef scheme,
                          const ModelTarget &target, llvm::StringRef forward,
                          size_t weightBytes, uint64_t weightsHash);

} // namespace qcc::x86

#endif // QCC_LIB_TARGET_X86_MODELDESCRIPTION_H
