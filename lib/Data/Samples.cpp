//===- Samples.cpp - calibration samples from files -----------------------===//

#include "qcc/Data/TensorFiles.h"
#include "qcc/Import/ONNX.h"
#include "qcc/Interpreter/Interpreter.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include <cmath>

using namespace qcc;
using llvm::StringRef;

static llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// The entries of a directory with `extension` ("" for directories), sorted.
static std::vector<std::string> listDirectory(StringRef path,
                                              StringRef extension) {
  std::vector<std::string> entries;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(path, ec), end; it != end && !ec;
       it.increment(ec)) {
    bool isDirectory = llvm::sys::fs::is_directory(it->path());
    if (extension.empty() ? isDirectory
                          : !isDirectory && llvm::sys::path::extension(
                                                it->path()) == extension)
      entries.push_back(it->path());
  }
  llvm::sort(entries);
  return entries;
}

/// One sample from an ONNX test_data_set directory of `input_<i>.pb` files.
/// Tensors are matched by name, or by position when unnamed.
static llvm::Expected<std::vector<NamedTensor>>
readTestDataSet(StringRef directory, mlir::func::FuncOp func) {
  std::vector<NamedTensor> tensors;
  std::vector<std::string> files;
  for (const std::string &file : listDirectory(directory, ".pb"))
    if (llvm::sys::path::filename(file).starts_with("input_"))
      files.push_back(file);
  std::string diagnostic;
  mlir::ScopedDiagnosticHandler capture(func.getContext(),
                                        [&](mlir::Diagnostic &diag) {
                                          diagnostic = diag.str();
                                          return mlir::success();
                                        });
  for (auto [i, file] : llvm::enumerate(files)) {
    std::string name;
    auto attr = importONNXTensor(file, *func.getContext(), name);
    if (mlir::failed(attr))
      return fail("'" + file + "': " + diagnostic);
    auto tensor = toHostTensor(*attr, func.getLoc());
    if (mlir::failed(tensor))
      return fail("'" + file + "': " + diagnostic);
    if (name.empty() && i < func.getNumArguments())
      if (auto argName =
              func.getArgAttrOfType<mlir::StringAttr>(i, "qcc.onnx_name"))
        name = argName.str();
    tensors.push_back({name, *tensor});
  }
  if (tensors.empty())
    return fail("'" + directory + "' holds no input_<i>.pb tensors");
  return tensors;
}

/// The rank of the argument of `func` with ONNX name `name`, or -1.
static int64_t argumentRank(mlir::func::FuncOp func, StringRef name) {
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    auto argName = func.getArgAttrOfType<mlir::StringAttr>(i, "qcc.onnx_name");
    if (argName && argName.getValue() == name)
      return llvm::cast<mlir::RankedTensorType>(func.getArgumentTypes()[i])
          .getRank();
  }
  return -1;
}

/// Splits named tensors into samples: a tensor of the input's rank is one
/// sample; one of rank + 1 holds samples along its first axis.
static llvm::Expected<std::vector<std::vector<NamedTensor>>>
splitSamples(StringRef source, mlir::func::FuncOp func,
             llvm::ArrayRef<NamedTensor> tensors) {
  std::optional<int64_t> count;
  std::vector<bool> stacked;
  for (const NamedTensor &tensor : tensors) {
    int64_t rank = argumentRank(func, tensor.name);
    stacked.push_back(rank >= 0 && tensor.tensor.rank() == rank + 1);
    if (rank < 0)
      continue; // bindInputs reports the unknown name.
    if (tensor.tensor.rank() != rank && !stacked.back())
      return fail("'" + source + "': input '" + tensor.name + "' has rank " +
                  llvm::Twine(tensor.tensor.rank()) +
                  "; the model expects rank " + llvm::Twine(rank) +
                  ", or one more with a leading sample axis");
    int64_t samples = stacked.back() ? tensor.tensor.shape()[0] : 1;
    if (count && *count != samples)
      return fail("'" + source + "': array '" + tensor.name + "' holds " +
                  llvm::Twine(samples) + " samples, others " +
                  llvm::Twine(*count));
    count = samples;
  }
  std::vector<std::vector<NamedTensor>> samples(count.value_or(0));
  for (auto [tensor, isStacked] : llvm::zip(tensors, stacked))
    for (size_t s = 0; s < samples.size(); ++s)
      samples[s].push_back(
          {tensor.name, isStacked ? tensor.tensor[s] : tensor.tensor});
  return samples;
}

/// Refuses NaN and infinity: statistics over them would be meaningless.
static llvm::Error checkFinite(StringRef source, size_t sample,
                               llvm::ArrayRef<NamedTensor> tensors) {
  for (const NamedTensor &tensor : tensors) {
    if (tensor.tensor.kind() != ElementKind::F32)
      continue;
    int64_t bad = llvm::count_if(tensor.tensor.values<float>(),
                                 [](float v) { return !std::isfinite(v); });
    if (bad)
      return fail("'" + source + "': input '" + tensor.name + "' of sample " +
                  llvm::Twine(sample) + " holds " + llvm::Twine(bad) +
                  " NaN or infinite values; calibration data must be finite");
  }
  return llvm::Error::success();
}

llvm::Expected<std::vector<std::vector<HostTensor>>>
qcc::readSamples(mlir::func::FuncOp func, StringRef path) {
  if (!llvm::sys::fs::exists(path))
    return fail("calibration data '" + path + "' does not exist");
  // Each source is a file or directory holding one or more samples.
  std::vector<std::pair<std::string, std::vector<NamedTensor>>> sources;
  auto addTensors = [&](StringRef source) -> llvm::Error {
    auto tensors = readTensors(source);
    if (!tensors)
      return tensors.takeError();
    sources.push_back({source.str(), std::move(*tensors)});
    return llvm::Error::success();
  };
  auto addTestDataSet = [&](StringRef directory) -> llvm::Error {
    auto tensors = readTestDataSet(directory, func);
    if (!tensors)
      return tensors.takeError();
    sources.push_back({directory.str(), std::move(*tensors)});
    return llvm::Error::success();
  };
  if (!llvm::sys::fs::is_directory(path)) {
    if (llvm::Error error = addTensors(path))
      return std::move(error);
  } else if (std::vector<std::string> sets = listDirectory(path, "");
             !sets.empty()) {
    for (const std::string &set : sets)
      if (llvm::sys::path::filename(set).starts_with("test_data_set"))
        if (llvm::Error error = addTestDataSet(set))
          return std::move(error);
  } else if (!listDirectory(path, ".pb").empty()) {
    if (llvm::Error error = addTestDataSet(path))
      return std::move(error);
  } else if (std::vector<std::string> archives = listDirectory(path, ".npz");
             !archives.empty()) {
    for (const std::string &archive : archives)
      if (llvm::Error error = addTensors(archive))
        return std::move(error);
  } else if (llvm::Error error = addTensors(path)) {
    return std::move(error);
  }

  std::vector<std::vector<HostTensor>> samples;
  for (auto &[source, tensors] : sources) {
    auto split = splitSamples(source, func, tensors);
    if (!split)
      return split.takeError();
    for (std::vector<NamedTensor> &sample : *split) {
      if (llvm::Error error = checkFinite(source, samples.size(), sample))
        return std::move(error);
      auto inputs = bindInputs(func, sample);
      if (!inputs)
        return fail("'" + source + "', sample " + llvm::Twine(samples.size()) +
                    ": " + llvm::toString(inputs.takeError()));
      samples.push_back(std::move(*inputs));
    }
  }
  if (samples.empty())
    return fail("calibration data '" + path + "' holds no samples");
  return samples;
}
