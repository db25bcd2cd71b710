//===- Pipeline.cpp - scheme x target -> passes; the library behind qcc ---===//

#include "qcc/Pipeline/Pipeline.h"
#include "dialects/qcc/QccOps.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Transforms/Passes.h"
#include "passes/PassUtils.h"
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

/// Warns when --keep-float names no linear of the model.
static void checkKeepFloat(ModuleOp module, StringRef pattern, Location loc) {
  if (pattern.empty())
    return;
  llvm::Regex regex(pattern);
  bool matched = false;
  module.walk([&](qcc::LinearOp op) {
    matched = matched || qcc::isKeptInFloat(op, pattern, regex);
  });
  if (!matched)
    emitWarning(loc) << "--keep-float='" << pattern
                     << "' matches no linear's ONNX node name; every linear "
                        "is quantized";
}

OwningOpRef<ModuleOp> qcc::compile(const CompileOptions &options,
                                   MLIRContext &context) {
  Location loc = FileLineColLoc::get(&context, options.inputPath, 0, 0);
  if (options.emit != EmitStage::Mlir && options.emit != EmitStage::MlirQuant) {
    // Pinned by test/qcc/emit-stages.test: each stage replaces its refusal.
    emitError(loc) << fmt::format(
        "--emit={} is not implemented yet; this qcc imports and quantizes "
        "models (--emit=mlir, --emit=mlir-quant), code generation comes next",
        stringify(options.emit).str());
    return nullptr;
  }
  OwningOpRef<ModuleOp> module = loadModel(options.inputPath, context);
  if (!module)
    return nullptr;
  PassManager pm(&context);
  if (options.emit == EmitStage::Mlir) {
    if (options.calibrationData.empty())
      return module;
    qcc::CalibratePassOptions calibration;
    calibration.data = options.calibrationData;
    pm.addPass(qcc::createCalibratePass(calibration));
  } else {
    checkKeepFloat(*module, options.keepFloat, loc);
    if (failed(buildQuantizationPipeline(pm, options, loc)))
      return nullptr;
  }
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
