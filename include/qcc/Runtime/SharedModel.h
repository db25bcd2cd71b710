//===- SharedModel.h - a generated model.so, loaded -------------*- C++ -*-===//
//
// Loads a model.so with dlopen and runs it through its C ABI
// (qcc/runtime.h) on host tensors: qcc-run's and qcc-eval's way to execute
// what qcc built, exactly as a service would.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_RUNTIME_SHAREDMODEL_H
#define QCC_RUNTIME_SHAREDMODEL_H

#include "qcc/Data/TensorFiles.h"
#include "llvm/Support/Error.h"
#include <memory>

struct qcc_model;

namespace qcc {

class SharedModel {
public:
  /// Opens `path` and creates a model; the error names the file and says
  /// what the .so reported (wrong ABI version, unsupported CPU, ...).
  static llvm::Expected<std::unique_ptr<SharedModel>>
  load(llvm::StringRef path);
  ~SharedModel();

  std::vector<std::string> inputNames() const;
  std::vector<std::string> outputNames() const;
  /// qcc_model_metadata, or "" for an unknown key.
  std::string metadata(llvm::StringRef key) const;

  /// Runs on the tensors named like the model's inputs (others ignored).
  llvm::Expected<std::vector<NamedTensor>>
  run(llvm::ArrayRef<NamedTensor> tensors);
  /// run() in two steps: execute leaves the outputs with the model (what a
  /// service's call of qcc_model_run costs), results copies them out.
  llvm::Error execute(llvm::ArrayRef<NamedTensor> tensors);
  std::vector<NamedTensor> results() const;

private:
  struct Api;
  SharedModel() = default;
  void *handle = nullptr;
  std::unique_ptr<Api> api;
  ::qcc_model *model = nullptr;
};

} // namespace qcc

#endif // QCC_RUNTIME_SHAREDMODEL_H
