//===- Pipeline.h - the library behind the qcc driver -----------*- C++ -*-===//

#ifndef QCC_PIPELINE_PIPELINE_H
#define QCC_PIPELINE_PIPELINE_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "qcc/Pipeline/Options.h"

namespace qcc {

/// The passes that turn a freshly imported module into the float qcc IR
/// that `--emit=mlir` prints: recognition of transformer ops, then
/// canonicalization and CSE.
void buildImportPipeline(mlir::OpPassManager &pm);

/// Registers the dialects a compilation uses.
/// The passes from float qcc IR to quantized IR for the options' scheme;
/// diagnoses at `loc` a combination it cannot build.
mlir::LogicalResult buildQuantizationPipeline(mlir::OpPassManager &pm,
                                              const CompileOptions &options,
                                              mlir::Location loc);

void registerPipelineDialects(mlir::DialectRegistry &registry);

/// Imports `options.inputPath` and runs the pipeline up to `options.emit`
/// (for cpp and lib, up to the lowered IR). Stages that do not exist yet
/// are refused with a diagnostic. Returns null after any error (reported
/// through the context). With `progress`, prints a line per stage.
mlir::OwningOpRef<mlir::ModuleOp>
compile(const CompileOptions &options, mlir::MLIRContext &context,
        llvm::raw_ostream *progress = nullptr);

/// Writes what `options.emit` names to `options.outputPath`: IR text, C++
/// source or the shared object. Nothing is left at the path on failure.
mlir::LogicalResult writeOutput(mlir::ModuleOp module,
                                const CompileOptions &options,
                                llvm::raw_ostream *progress = nullptr);

/// Loads a model for running: an `.onnx` file is imported and recognised, an
/// `.mlir` file parsed. Returns null after a diagnosed error.
mlir::OwningOpRef<mlir::ModuleOp> loadModel(llvm::StringRef path,
                                            mlir::MLIRContext &context);

/// Formats diagnostics as `<file>: error: [node "<name>": ]<message>`, the
/// node taken from the location (ONNX files have no line numbers).
void installDiagnosticPrinter(mlir::MLIRContext &context,
                              llvm::raw_ostream &os);

} // namespace qcc

#endif // QCC_PIPELINE_PIPELINE_H
