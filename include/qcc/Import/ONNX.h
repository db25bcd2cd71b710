//===- ONNX.h - import ONNX models into qcc IR ------------------*- C++ -*-===//

#ifndef QCC_IMPORT_ONNX_H
#define QCC_IMPORT_ONNX_H

#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"

namespace qcc {

struct ONNXImportOptions {
  /// Run the ONNX library's checker on models it knows (IR version and
  /// opsets no newer than the library's); newer models skip it.
  bool runChecker = true;
};

/// Imports the ONNX model at `path` (with its external data files beside
/// it) into a module holding `func.func @main`. Weights become
/// `dense_resource` blobs; external data is memory-mapped, not copied.
/// Problems are reported through the context's diagnostic handler, naming the
/// file and the ONNX node; returns null after any error.
mlir::OwningOpRef<mlir::ModuleOp>
importONNX(llvm::StringRef path, mlir::MLIRContext &context,
           const ONNXImportOptions &options = {});

/// Reads a serialized TensorProto file (an ONNX `test_data_set_*/input_0.pb`)
/// as an attribute; sets `name` to the tensor's name (may be empty). Problems
/// are diagnosed at the file.
mlir::FailureOr<mlir::ElementsAttr> importONNXTensor(llvm::StringRef path,
                                                     mlir::MLIRContext &context,
                                                     std::string &name);

/// Registers what importONNX needs in `registry` (the qcc, arith and func
/// dialects).
void registerONNXImportDialects(mlir::DialectRegistry &registry);

} // namespace qcc

#endif // QCC_IMPORT_ONNX_H
