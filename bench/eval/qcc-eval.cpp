//===- qcc-eval.cpp - perplexity and KL of models on the interpreter ------===//
//
//   qcc-eval --reference=fp32.mlir --windows=windows.npz A.mlir B.so ...
//
// Runs every window (one sample of the .npz, whose `input_ids` are the
// window's tokens) through the reference model and each candidate, on the
// interpreter (.onnx, .mlir) or through the C ABI (a model.so), and prints one
// JSON object: per model the mean negative log-likelihood of each next token,
// the perplexity exp(mean NLL), and the mean KL divergence KL(reference ‖
// model) of the next-token distributions, over all windows. Logits stay in
// memory one window at a time (a window's are 100 MB for a 49152-token
// vocabulary), so nothing large is written.
//
//===----------------------------------------------------------------------===//

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "qcc/Data/TensorFiles.h"
#include "qcc/Interpreter/Interpreter.h"
#include "qcc/Pipeline/Pipeline.h"
#include "qcc/Runtime/SharedModel.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"
#include <chrono>
#include <cmath>

using namespace qcc;
namespace cl = llvm::cl;

static cl::OptionCategory category("qcc-eval options");
static cl::opt<std::string> referencePath("reference", cl::Required,
                                          cl::desc("The float model"),
                                          cl::cat(category));
static cl::opt<std::string> windowsPath("windows", cl::Required,
                                        cl::desc("Windows (.npz, one sample "
                                                 "per window)"),
                                        cl::cat(category));
static cl::list<std::string> modelPaths(cl::Positional,
                                        cl::desc("<model.mlir|model.so>..."),
                                        cl::cat(category));

namespace {

/// Log-softmax of each row of `logits` [rows, vocabulary], in double.
std::vector<double> logSoftmax(llvm::ArrayRef<float> logits,
                               int64_t vocabulary) {
  std::vector<double> out(logits.size());
  for (size_t row = 0; row < logits.size() / vocabulary; ++row) {
    const float *in = logits.data() + row * vocabulary;
    double peak = *std::max_element(in, in + vocabulary), sum = 0.0;
    for (int64_t v = 0; v < vocabulary; ++v)
      sum += std::exp(in[v] - peak);
    double shift = peak + std::log(sum);
    for (int64_t v = 0; v < vocabulary; ++v)
      out[row * vocabulary + v] = in[v] - shift;
  }
  return out;
}

struct Totals {
  double nll = 0.0, kl = 0.0, seconds = 0.0;
  int64_t tokens = 0;
};

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv, "qcc-eval: perplexity and KL\n");
  mlir::DialectRegistry registry;
  registerPipelineDialects(registry);
  mlir::MLIRContext context(registry);
  installDiagnosticPrinter(context, llvm::errs());

  std::vector<std::string> paths{referencePath};
  paths.insert(paths.end(), modelPaths.begin(), modelPaths.end());
  // Each model is a module for the interpreter or a loaded model.so.
  std::vector<mlir::OwningOpRef<mlir::ModuleOp>> modules(paths.size());
  std::vector<std::unique_ptr<SharedModel>> shared(paths.size());
  for (auto [i, path] : llvm::enumerate(paths)) {
    if (llvm::StringRef(path).ends_with(".so") && i > 0) {
      auto model = SharedModel::load(path);
      if (!model) {
        llvm::errs() << "qcc-eval: error: " << llvm::toString(model.takeError())
                     << "\n";
        return 1;
      }
      shared[i] = std::move(*model);
      continue;
    }
    modules[i] = loadModel(path, context);
    if (!modules[i] || !modules[i]->lookupSymbol<mlir::func::FuncOp>("main")) {
      llvm::errs() << "qcc-eval: error: cannot load '" << path << "'\n";
      return 1;
    }
  }
  auto mainOf = [&](size_t i) {
    return modules[i]->lookupSymbol<mlir::func::FuncOp>("main");
  };
  auto windows = readSamples(mainOf(0), windowsPath);
  if (!windows) {
    llvm::errs() << "qcc-eval: error: " << llvm::toString(windows.takeError())
                 << "\n";
    return 1;
  }
  std::vector<std::string> inputs = inputNames(mainOf(0));
  auto idsAt = llvm::find(inputs, "input_ids");
  if (idsAt == inputs.end()) {
    llvm::errs() << "qcc-eval: error: the model has no input 'input_ids'\n";
    return 1;
  }
  size_t idsIndex = idsAt - inputs.begin();
  // The first output (logits) of model `m` on one window.
  auto logitsOf =
      [&](size_t m,
          llvm::ArrayRef<HostTensor> window) -> std::optional<HostTensor> {
    if (!shared[m]) {
      auto results = interpret(mainOf(m), window);
      return mlir::succeeded(results) ? std::optional((*results)[0])
                                      : std::nullopt;
    }
    std::vector<NamedTensor> named;
    for (auto [name, tensor] : llvm::zip(inputs, window))
      named.push_back({name, tensor});
    auto outputs = shared[m]->run(named);
    if (!outputs) {
      llvm::errs() << "qcc-eval: error: " << paths[m] << ": "
                   << llvm::toString(outputs.takeError()) << "\n";
      return std::nullopt;
    }
    return (*outputs)[0].tensor;
  };

  std::vector<Totals> totals(paths.size());
  for (auto [w, window] : llvm::enumerate(*windows)) {
    llvm::ArrayRef<int64_t> ids = window[idsIndex].values<int64_t>();
    std::vector<double> reference;
    for (size_t m = 0; m < paths.size(); ++m) {
      auto start = std::chrono::steady_clock::now();
      std::optional<HostTensor> logits = logitsOf(m, window);
      if (!logits)
        return 1;
      totals[m].seconds += std::chrono::duration<double>(
                               std::chrono::steady_clock::now() - start)
                               .count();
      int64_t vocabulary = logits->shape().back();
      int64_t positions = logits->numElements() / vocabulary;
      std::vector<double> logProbs =
          logSoftmax(logits->values<float>(), vocabulary);
      // Position t predicts token t + 1; the last has nothing to predict.
      for (int64_t t = 0; t + 1 < positions; ++t) {
        const double *q = logProbs.data() + t * vocabulary;
        totals[m].nll -= q[ids[t + 1]];
        ++totals[m].tokens;
        if (m == 0)
          continue;
        const double *p = reference.data() + t * vocabulary;
        for (int64_t v = 0; v < vocabulary; ++v)
          totals[m].kl += std::exp(p[v]) * (p[v] - q[v]);
      }
      if (m == 0)
        reference = std::move(logProbs);
    }
    llvm::errs() << "window " << w + 1 << "/" << windows->size() << "\n";
  }
  llvm::json::Array models;
  for (auto [path, total] : llvm::zip(paths, totals)) {
    double nll = total.nll / std::max<int64_t>(1, total.tokens);
    models.push_back(llvm::json::Object{
        {"model", path},
        {"tokens", total.tokens},
        {"nll", nll},
        {"perplexity", std::exp(nll)},
        {"kl", total.kl / std::max<int64_t>(1, total.tokens)},
        {"seconds", total.seconds},
    });
  }
  llvm::outs() << llvm::formatv(
      "{0:2}\n", llvm::json::Value(llvm::json::Object{
                     {"windows", static_cast<int64_t>(windows->size())},
                     {"models", std::move(models)}}));
  return 0;
}
