//===- Pipeline.cpp - scheme x target -> passes; the library behind qcc ---===//

#include "qcc/Pipeline/Pipeline.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Transforms/Passes.h"
#include "passes/Passes.h"
#include "qcc/Import/ONNX.h"
#include <fmt/format.h>

using namespace mlir;

void qcc::buildImportPipeline(OpPassManager &pm) {
  pm.addPass(qcc::createRecognizePass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void qcc::registerPipelineDialects(DialectRegistry &registry) {
  registerONNXImportDialects(registry);
}

OwningOpRef<ModuleOp> qcc::compile(const CompileOptions &options,
                                   MLIRContext &context) {
  Location loc = FileLineColLoc::get(&context, options.inputPath, 0, 0);
  if (options.emit != EmitStage::Mlir) {
    // Pinned by test/qcc/emit-stages.test: each stage replaces its refusal.
    emitError(loc) << fmt::format(
        "--emit={} is not implemented yet; this qcc imports and recognises "
        "models (--emit=mlir), quantization and code generation come next",
        stringify(options.emit).str());
    return nullptr;
  }
  OwningOpRef<ModuleOp> module = loadModel(options.inputPath, context);
  if (!module || options.calibrationData.empty())
    return module;
  PassManager pm(&context);
  qcc::CalibratePassOptions calibration;
  calibration.data = options.calibrationData;
  pm.addPass(qcc::createCalibratePass(calibration));
  if (failed(pm.run(*module)))
    return nullptr;
  return module;
}

OwningOpRef<ModuleOp> qcc::loadModel(StringRef path, MLIRContext &context) {
  // The context's registry (registerPipelineDialects) provides the dialects.
  if (path.ends_with(".mlir"))
    return parseSourceFile<ModuleOp>(path, &context);
  OwningOpRef<ModuleOp> module = importONNX(path, context);
  if (!module)
    return nullptr;
  PassManager pm(&context);
  buildImportPipeline(pm);
  if (failed(pm.run(*module)))
    return nullptr;
  return module;
}
