//===- Interpreter.h - reference executor of qcc IR -------------*- C++ -*-===//
//
// Runs a qcc function on the CPU in fp32 (f16/bf16 widened), with float GEMMs
// through OpenBLAS. It is the oracle for passes and kernels and the engine
// behind calibration, so it favours plain, checkable code over speed; tensors
// are freed after their last use.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_INTERPRETER_INTERPRETER_H
#define QCC_INTERPRETER_INTERPRETER_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "qcc/Interpreter/HostTensor.h"

namespace qcc {

/// The kind a value of `type`'s element type is computed in, if supported.
std::optional<ElementKind> getElementKind(mlir::Type elementType);

/// The host tensor of a constant; f32 and i64 resource blobs are borrowed,
/// not copied (they live as long as the context).
mlir::FailureOr<HostTensor> toHostTensor(mlir::ElementsAttr attr,
                                         mlir::Location loc);

/// Observes every op the interpreter executes, e.g. to collect calibration
/// statistics. Tensors are valid only during the call.
using OpObserver = llvm::function_ref<void(mlir::Operation *op,
                                           llvm::ArrayRef<HostTensor> operands,
                                           llvm::ArrayRef<HostTensor> results)>;

/// Runs `func` on `inputs` (one per argument, in order, already checked by
/// checkInputs). Errors are diagnosed at the failing op.
mlir::FailureOr<llvm::SmallVector<HostTensor>>
interpret(mlir::func::FuncOp func, llvm::ArrayRef<HostTensor> inputs,
          OpObserver observer = nullptr);

/// Checks tensors against `func`'s arguments: kind, rank, static dimensions,
/// and equal sizes for dimensions that share an ONNX name (`qcc.dim_names`).
/// `names` are the tensors' names for diagnostics; returns a message for the
/// first mismatch.
std::optional<std::string> checkInputs(mlir::func::FuncOp func,
                                       llvm::ArrayRef<HostTensor> inputs,
                                       llvm::ArrayRef<std::string> names);

} // namespace qcc

#endif // QCC_INTERPRETER_INTERPRETER_H
