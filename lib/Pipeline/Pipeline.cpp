//===- Pipeline.cpp - scheme x target -> passes; the library behind qcc ---===//

#include "qcc/Pipeline/Pipeline.h"
#include "dialects/qcc/QccOps.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Transforms/Passes.h"
#include "passes/PassUtils.h"
#include "passes/Passes.h"
#include "qcc/Import/ONNX.h"
#include "qcc/Target/X86.h"
#include "llvm/Support/FileUtilities.h"
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

static void announce(llvm::raw_ostream *progress, const llvm::Twine &stage) {
  if (progress)
    *progress << "qcc: " << stage << "\n";
}

OwningOpRef<ModuleOp> qcc::compile(const CompileOptions &options,
                                   MLIRContext &context,
                                   llvm::raw_ostream *progress) {
  Location loc = FileLineColLoc::get(&context, options.inputPath, 0, 0);
  bool lowers = options.emit == EmitStage::MlirLowered ||
                options.emit == EmitStage::Cpp ||
                options.emit == EmitStage::Lib;
  bool cuda = options.target == Target::SM90;
  if (cuda && options.emit == EmitStage::Lib && !canBuildCudaModels()) {
    emitError(loc) << "this qcc was built without CUDA (no nvcc was found); "
                      "--target=sm90 can emit C++ (--emit=cpp) but not a "
                      "model.so";
    return nullptr;
  }
  announce(progress, "importing " + options.inputPath);
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
  announce(progress,
           "quantizing (--scheme=" + stringify(options.scheme).str() + ")");
  if (failed(pm.run(*module)))
    return nullptr;
  if (!lowers)
    return module;
  announce(progress, cuda ? "lowering to the CUDA runtime"
                          : "lowering to the x86 runtime");
  PassManager lowering(&context);
  std::string scheme = stringify(options.scheme).str();
  if (cuda)
    lowering.addPass(
        qcc::createLowerCudaPass({scheme, options.externalWeights}));
  else
    lowering.addPass(
        qcc::createLowerX86Pass({scheme, options.externalWeights}));
  if (failed(lowering.run(*module)))
    return nullptr;
  return module;
}

LogicalResult qcc::writeOutput(ModuleOp module, const CompileOptions &options,
                               llvm::raw_ostream *progress) {
  if (options.emit == EmitStage::Lib) {
    announce(progress, "building " + options.outputPath);
    return buildSharedObject(module, options.outputPath);
  }
  bool emitted = true;
  auto print = [&](llvm::raw_ostream &os) {
    if (options.emit == EmitStage::Cpp)
      emitted = succeeded(emitModelCpp(module, os));
    else
      module->print(os, OpPrintingFlags());
    return llvm::Error::success();
  };
  if (llvm::Error error = llvm::writeToOutput(options.outputPath, print))
    return module.emitError("cannot write '")
           << options.outputPath << "': " << llvm::toString(std::move(error));
  return success(emitted);
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
