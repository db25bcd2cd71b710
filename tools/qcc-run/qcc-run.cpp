//===- qcc-run.cpp - run a model on the reference interpreter -------------===//
//
//   qcc-run model.onnx|model.mlir|model.so --inputs=x.npz -o out.npz
//           [--compare=ref.npz]
//
// Runs an .onnx or .mlir model with the interpreter, or a model.so built by
// qcc through its C ABI, on inputs from an .npz or a directory of .npy
// files; writes the outputs as .npz, and with --compare prints each
// output's errors against a reference and fails beyond the tolerance.
//
//===----------------------------------------------------------------------===//

#include "mlir/IR/MLIRContext.h"
#include "qcc/Data/TensorFiles.h"
#include "qcc/Interpreter/Interpreter.h"
#include "qcc/Pipeline/Pipeline.h"
#include "qcc/Runtime/SharedModel.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include <chrono>

namespace cl = llvm::cl;
using namespace qcc;

static cl::OptionCategory category("qcc-run options");
static cl::opt<std::string> modelPath(cl::Positional, cl::Required,
                                      cl::desc("<model.onnx|.mlir|.so>"),
                                      cl::cat(category));
static cl::opt<std::string>
    inputsPath("inputs", cl::Required,
               cl::desc("Inputs: an .npz or a directory of .npy files"),
               cl::cat(category));
static cl::opt<std::string> outputPath("o", cl::desc("Write outputs (.npz)"),
                                       cl::value_desc("file"),
                                       cl::cat(category));
static cl::opt<std::string>
    comparePath("compare", cl::desc("Reference outputs (.npz) to compare with"),
                cl::cat(category));
static cl::opt<double> tolerance(
    "tolerance", cl::init(1e-5),
    cl::desc("Largest relative L2 error ||out - ref|| / ||ref|| accepted"),
    cl::cat(category));

static cl::opt<unsigned>
    repeat("repeat", cl::init(1),
           cl::desc("Run this many times and print the median time of one "
                    "run (for benchmarks)"),
           cl::cat(category));

static cl::opt<bool>
    profile("profile", cl::desc("Print the time spent per op kind (last run)"),
            cl::cat(category));

static int refuse(const llvm::Twine &message) {
  llvm::errs() << "qcc-run: error: " << message << "\n";
  return 1;
}

/// Calls `run` `repeat` times, recording each run's seconds.
template <typename Run>
static bool timed(std::vector<double> &seconds, Run run) {
  for (unsigned i = 0; i < std::max(1u, unsigned(repeat)); ++i) {
    auto start = std::chrono::steady_clock::now();
    if (!run())
      return false;
    seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count());
  }
  return true;
}

/// Runs a model.so through its C ABI.
static std::optional<std::vector<NamedTensor>>
runShared(llvm::ArrayRef<NamedTensor> tensors, std::vector<double> &seconds) {
  auto model = SharedModel::load(modelPath);
  if (!model) {
    refuse(llvm::toString(model.takeError()));
    return std::nullopt;
  }
  // Timed as a service calls the model: outputs stay model-owned.
  bool ran = timed(seconds, [&] {
    if (llvm::Error error = (*model)->execute(tensors)) {
      refuse(modelPath + ": " + llvm::toString(std::move(error)));
      return false;
    }
    return true;
  });
  return ran ? std::optional((*model)->results()) : std::nullopt;
}

/// Runs an .onnx or .mlir model on the interpreter.
static std::optional<std::vector<NamedTensor>>
runInterpreted(llvm::ArrayRef<NamedTensor> tensors,
               std::vector<double> &seconds) {
  mlir::DialectRegistry registry;
  registerPipelineDialects(registry);
  mlir::MLIRContext context(registry);
  installDiagnosticPrinter(context, llvm::errs());
  mlir::OwningOpRef<mlir::ModuleOp> module = loadModel(modelPath, context);
  if (!module)
    return std::nullopt;
  auto func = module->lookupSymbol<mlir::func::FuncOp>("main");
  if (!func) {
    refuse("'" + modelPath + "' has no function @main");
    return std::nullopt;
  }
  auto inputs = bindInputs(func, tensors);
  if (!inputs) {
    refuse(inputsPath + ": " + llvm::toString(inputs.takeError()));
    return std::nullopt;
  }
  mlir::FailureOr<llvm::SmallVector<HostTensor>> results = mlir::failure();
  llvm::StringMap<double> opSeconds;
  bool ran = timed(seconds, [&] {
    // The time between two observed ops is the later op's kernel time.
    auto last = std::chrono::steady_clock::now();
    opSeconds.clear();
    auto observe = [&](mlir::Operation *op, llvm::ArrayRef<HostTensor>,
                       llvm::ArrayRef<HostTensor>) {
      auto now = std::chrono::steady_clock::now();
      opSeconds[op->getName().getStringRef()] +=
          std::chrono::duration<double>(now - last).count();
      last = now;
    };
    results =
        profile ? interpret(func, *inputs, observe) : interpret(func, *inputs);
    return mlir::succeeded(results);
  });
  if (!ran)
    return std::nullopt;
  if (profile) {
    std::vector<std::pair<double, std::string>> rows;
    for (const auto &entry : opSeconds)
      rows.push_back({entry.second, entry.first().str()});
    llvm::sort(rows, std::greater<>());
    for (const auto &[time, name] : rows)
      llvm::outs() << llvm::format("%10.3f ms  ", time * 1e3) << name << "\n";
  }
  std::vector<NamedTensor> outputs;
  for (auto [name, tensor] : llvm::zip(outputNames(func), *results))
    outputs.push_back({name, tensor});
  return outputs;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv, "qcc-run: run a model\n");
  auto tensors = readTensors(inputsPath);
  if (!tensors)
    return refuse(llvm::toString(tensors.takeError()));
  std::vector<double> seconds;
  bool shared = llvm::StringRef(modelPath).ends_with(".so");
  std::optional<std::vector<NamedTensor>> outputs =
      shared ? runShared(*tensors, seconds) : runInterpreted(*tensors, seconds);
  if (!outputs)
    return 1;
  if (repeat > 1) {
    llvm::sort(seconds);
    llvm::outs() << (shared ? "run" : "interpret") << ": median "
                 << llvm::format("%.3f", seconds[seconds.size() / 2] * 1e3)
                 << " ms over " << seconds.size() << " runs\n";
  }
  if (!outputPath.empty())
    if (llvm::Error error = writeNpz(outputPath, *outputs))
      return refuse(llvm::toString(std::move(error)));
  if (comparePath.empty())
    return 0;
  auto references = readTensors(comparePath);
  if (!references)
    return refuse(llvm::toString(references.takeError()));
  return compareOutputs(*outputs, *references, tolerance, llvm::outs()) ? 0 : 1;
}
