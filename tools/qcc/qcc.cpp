//===- qcc.cpp - the qcc compiler driver ----------------------------------===//
//
//   qcc model.onnx --target=sm90 --scheme=w4a8 --calibration-data=calib.npz
//       -o model.so
//
// Parses and validates flags, then hands over to lib/Pipeline. Output is
// written to a temporary file and renamed, so a failed run leaves none.
//
//===----------------------------------------------------------------------===//

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "qcc/Pipeline/Pipeline.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

namespace cl = llvm::cl;

static cl::OptionCategory qccCategory("qcc options");
static cl::opt<std::string> inputPath(cl::Positional, cl::Required,
                                      cl::desc("<model.onnx>"),
                                      cl::cat(qccCategory));
static cl::opt<std::string>
    outputPath("o",
               cl::desc("Output file ('-' for stdout; default: stdout "
                        "for text stages, <model>.so for --emit=lib)"),
               cl::value_desc("file"), cl::cat(qccCategory));
static cl::opt<std::string> target("target", cl::init("x86"),
                                   cl::desc("Target: x86 (alias host), sm90"),
                                   cl::cat(qccCategory));
static cl::opt<std::string>
    scheme("scheme", cl::init("w4a16"),
           cl::desc("Quantization scheme: w4a16, w8a8, w4a8, w4a4, fp8, fp4, "
                    "mxfp4, nvfp4"),
           cl::cat(qccCategory));
static cl::opt<std::string>
    emit("emit", cl::init("lib"),
         cl::desc("Stop after this stage: mlir, mlir-quant, mlir-lowered, "
                  "cpp, lib"),
         cl::cat(qccCategory));
static cl::opt<int64_t> groupSize(
    "group-size", cl::init(0),
    cl::desc("Weight quantization group size: 32, 64, 128, 256, or -1 for "
             "per channel (default: the scheme's)"),
    cl::cat(qccCategory));
static cl::opt<std::string>
    calibrationData("calibration-data",
                    cl::desc("Calibration inputs (.npz, a directory of .npy, "
                             "or an ONNX test_data_set directory)"),
                    cl::value_desc("path"), cl::cat(qccCategory));
static cl::opt<std::string>
    keepFloat("keep-float",
              cl::desc("Leave layers whose ONNX node name matches this "
                       "regular expression in float"),
              cl::value_desc("regex"), cl::cat(qccCategory));
static cl::opt<std::string>
    reportPath("report", cl::desc("Write the outlier analysis report (JSON)"),
               cl::value_desc("file"), cl::cat(qccCategory));

static cl::opt<std::string> passes(
    "passes",
    cl::desc("Switch optional passes: none, or a comma list of outliers, "
             "smooth, runtime-smooth, rotate, scale-search, lorc (prefix - "
             "to switch off)"),
    cl::value_desc("list"), cl::cat(qccCategory));
static cl::opt<int64_t>
    lorcRank("lorc-rank", cl::init(16),
             cl::desc("Rank of LoRC factors (--passes=lorc)"),
             cl::cat(qccCategory));

static cl::opt<bool> externalWeights(
    "external-weights",
    cl::desc("Write the weights to <output>.weights beside the model.so, "
             "which reads them from there at load, instead of embedding them"),
    cl::cat(qccCategory));

/// Reads the flags into options; reports the first invalid one.
static std::optional<qcc::CompileOptions> readOptions() {
  auto refuse = [](const llvm::Twine &message) {
    llvm::errs() << "qcc: error: " << message << "\n";
    return std::nullopt;
  };
  qcc::CompileOptions options;
  std::optional<qcc::Target> parsedTarget = qcc::parseTarget(target);
  if (!parsedTarget)
    return refuse("unknown --target '" + target +
                  "'; valid targets: " + qcc::validTargets());
  std::optional<qcc::Scheme> parsedScheme = qcc::parseScheme(scheme);
  if (!parsedScheme)
    return refuse("unknown --scheme '" + scheme +
                  "'; valid schemes: " + qcc::validSchemes());
  std::optional<qcc::EmitStage> stage = qcc::parseEmitStage(emit);
  if (!stage)
    return refuse("unknown --emit '" + emit +
                  "'; valid stages: " + qcc::validEmitStages());
  options.inputPath = inputPath;
  options.target = *parsedTarget;
  options.scheme = *parsedScheme;
  options.emit = *stage;
  options.groupSize = groupSize;
  options.calibrationData = calibrationData;
  options.keepFloat = keepFloat;
  options.reportPath = reportPath;
  options.passes = passes;
  options.lorcRank = lorcRank;
  options.externalWeights = externalWeights;
  options.outputPath = outputPath;
  if (outputPath.empty())
    options.outputPath =
        *stage == qcc::EmitStage::Lib
            ? llvm::StringRef(inputPath).rsplit('.').first.str() + ".so"
            : "-";
  if (std::optional<std::string> problem = qcc::validate(options))
    return refuse(*problem);
  return options;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  mlir::registerPassManagerCLOptions();
  cl::HideUnrelatedOptions(qccCategory);
  cl::ParseCommandLineOptions(argc, argv, "qcc: ONNX -> quantized model\n");

  std::optional<qcc::CompileOptions> options = readOptions();
  if (!options)
    return 1;

  mlir::DialectRegistry registry;
  qcc::registerPipelineDialects(registry);
  mlir::MLIRContext context(registry);
  qcc::installDiagnosticPrinter(context, llvm::errs());
  // A progress line per stage when someone watches.
  llvm::raw_ostream *progress =
      llvm::errs().is_displayed() ? &llvm::errs() : nullptr;
  mlir::OwningOpRef<mlir::ModuleOp> module =
      qcc::compile(*options, context, progress);
  if (!module || failed(qcc::writeOutput(*module, *options, progress)))
    return 1;
  return 0;
}
