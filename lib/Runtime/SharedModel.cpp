//===- SharedModel.cpp - a generated model.so, loaded ---------------------===//

#include "qcc/Runtime/SharedModel.h"
#include "qcc/runtime.h"
#include "llvm/ADT/STLExtras.h"
#include <cstring>
#include <dlfcn.h>

using namespace qcc;

/// The C ABI functions, resolved from the .so.
struct SharedModel::Api {
  decltype(&qcc_abi_version) abiVersion;
  decltype(&qcc_model_create) create;
  decltype(&qcc_model_destroy) destroy;
  decltype(&qcc_model_num_inputs) numInputs;
  decltype(&qcc_model_num_outputs) numOutputs;
  decltype(&qcc_model_input_info) inputInfo;
  decltype(&qcc_model_output_info) outputInfo;
  decltype(&qcc_model_metadata) metadata;
  decltype(&qcc_model_run) run;
  decltype(&qcc_model_result) result;
  decltype(&qcc_model_error) error;
};

static llvm::Error failure(llvm::StringRef path, const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 path + ": " + message);
}

llvm::Expected<std::unique_ptr<SharedModel>>
SharedModel::load(llvm::StringRef path) {
  std::unique_ptr<SharedModel> loaded(new SharedModel());
  std::string file = path.str();
  // A path without a slash would be searched for in the library path.
  if (file.find('/') == std::string::npos)
    file = "./" + file;
  loaded->handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!loaded->handle)
    return failure(path, llvm::Twine("cannot load: ") + dlerror());
  auto api = std::make_unique<Api>();
  bool complete = true;
  auto resolve = [&](auto &function, const char *name) {
    function = reinterpret_cast<std::remove_reference_t<decltype(function)>>(
        dlsym(loaded->handle, name));
    complete = complete && function;
  };
  resolve(api->abiVersion, "qcc_abi_version");
  resolve(api->create, "qcc_model_create");
  resolve(api->destroy, "qcc_model_destroy");
  resolve(api->numInputs, "qcc_model_num_inputs");
  resolve(api->numOutputs, "qcc_model_num_outputs");
  resolve(api->inputInfo, "qcc_model_input_info");
  resolve(api->outputInfo, "qcc_model_output_info");
  resolve(api->metadata, "qcc_model_metadata");
  resolve(api->run, "qcc_model_run");
  resolve(api->result, "qcc_model_result");
  resolve(api->error, "qcc_model_error");
  if (!api->abiVersion || !api->create || !api->error)
    return failure(path, "is not a model built by qcc (no qcc_model_create)");
  if (!complete)
    return failure(path, "lacks functions of qcc ABI version " +
                             llvm::Twine(QCC_ABI_VERSION) + " (built for " +
                             llvm::Twine(api->abiVersion()) + ")");
  loaded->api = std::move(api);
  if (loaded->api->create(QCC_ABI_VERSION, &loaded->model) != QCC_OK)
    return failure(path, loaded->api->error(nullptr));
  return std::move(loaded);
}

SharedModel::~SharedModel() {
  if (model)
    api->destroy(model);
  if (handle)
    dlclose(handle);
}

/// The names `info` reports for indices [0, count).
template <typename Info>
static std::vector<std::string> namesOf(const qcc_model *model, size_t count,
                                        Info info) {
  std::vector<std::string> names;
  for (size_t i = 0; i < count; ++i) {
    qcc_tensor_info entry;
    info(model, i, &entry);
    names.push_back(entry.name);
  }
  return names;
}

std::vector<std::string> SharedModel::inputNames() const {
  return namesOf(model, api->numInputs(model), api->inputInfo);
}

std::vector<std::string> SharedModel::outputNames() const {
  return namesOf(model, api->numOutputs(model), api->outputInfo);
}

std::string SharedModel::metadata(llvm::StringRef key) const {
  const char *value = api->metadata(model, key.str().c_str());
  return value ? value : "";
}

static qcc_dtype abiDtype(ElementKind kind) {
  switch (kind) {
  case ElementKind::F32:
    return QCC_F32;
  case ElementKind::I64:
    return QCC_I64;
  case ElementKind::Bool:
    return QCC_BOOL;
  }
  return QCC_F32;
}

llvm::Expected<std::vector<NamedTensor>>
SharedModel::run(llvm::ArrayRef<NamedTensor> tensors) {
  if (llvm::Error error = execute(tensors))
    return std::move(error);
  return results();
}

llvm::Error SharedModel::execute(llvm::ArrayRef<NamedTensor> tensors) {
  std::vector<const NamedTensor *> bound;
  for (const std::string &name : inputNames()) {
    auto found = llvm::find_if(tensors, [&](const NamedTensor &tensor) {
      return tensor.name == name;
    });
    if (found == tensors.end())
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "no tensor for input '" + name + "'");
    bound.push_back(&*found);
  }
  std::vector<std::vector<int64_t>> dims(bound.size());
  std::vector<qcc_tensor> inputs;
  for (auto [i, named] : llvm::enumerate(bound)) {
    const HostTensor &tensor = named->tensor;
    dims[i].assign(tensor.shape().begin(), tensor.shape().end());
    inputs.push_back({const_cast<char *>(tensor.data()),
                      abiDtype(tensor.kind()),
                      static_cast<int32_t>(tensor.rank()), dims[i].data(),
                      tensor.sizeInBytes()});
  }
  if (api->run(model, inputs.data(), inputs.size(), nullptr, 0) != QCC_OK)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   api->error(model));
  return llvm::Error::success();
}

std::vector<NamedTensor> SharedModel::results() const {
  std::vector<NamedTensor> outputs;
  for (auto [i, name] : llvm::enumerate(outputNames())) {
    qcc_tensor view;
    api->result(model, i, &view);
    ElementKind kind = view.dtype == QCC_I64    ? ElementKind::I64
                       : view.dtype == QCC_BOOL ? ElementKind::Bool
                                                : ElementKind::F32;
    HostTensor tensor(kind, llvm::ArrayRef<int64_t>(view.dims, view.rank));
    std::memcpy(const_cast<char *>(tensor.data()), view.data, view.capacity);
    outputs.push_back({name, std::move(tensor)});
  }
  return outputs;
}
