//===- Model.cpp - the C ABI of a generated model (qcc/runtime.h) ---------===//
//
// Validates what callers pass against the generated ModelDescription, runs
// the forward function, and copies outputs into the caller's buffers. No
// C++ exception leaves this file.
//
//===----------------------------------------------------------------------===//

#include "QLinearKernels.h"
#include "Session.h"
#include "WeightsFile.h"
#include <cstring>
#include <map>
#include <memory>
#include <new>

using namespace qcc::rt;

struct qcc_model {
  const ModelDescription *description;
  std::string error;
  /// The outputs of the last run that got that far.
  std::vector<Tensor> results;
  /// The accelerator's state, if the model has one.
  void *device = nullptr;
  /// The weights file, for models built with --external-weights.
  std::unique_ptr<MappedWeights> file;
  const uint8_t *weights = nullptr;
  /// Host copies of device results, made by qcc_model_result.
  mutable std::vector<Tensor> hostResults;

  ~qcc_model() {
    // Device results go back to the stream's pool before the stream ends.
    results.clear();
    hostResults.clear();
    if (device)
      description->accelerator->detach(device);
  }
};

static thread_local std::string createError;

static qcc_status failWith(qcc_model *model, qcc_status status,
                           std::string message) {
  model->error = std::move(message);
  return status;
}

extern "C" uint32_t qcc_abi_version(void) { return QCC_ABI_VERSION; }

static qcc_status create(uint32_t abiVersion, qcc_model **model) {
  if (!model) {
    createError = "qcc_model_create: the model pointer is NULL";
    return QCC_ERROR_INVALID_ARGUMENT;
  }
  *model = nullptr;
  if (abiVersion != QCC_ABI_VERSION) {
    createError = "this model implements qcc ABI version " +
                  std::to_string(QCC_ABI_VERSION) + "; the caller expects " +
                  std::to_string(abiVersion);
    return QCC_ERROR_ABI_VERSION;
  }
  const ModelDescription &description = qccGeneratedModel();
  if (description.needsAvx2 && !hasAvx2()) {
    createError = "this model was compiled for x86-64 with AVX2 and FMA; "
                  "this CPU lacks them";
    return QCC_ERROR_UNSUPPORTED_CPU;
  }
  auto created = std::unique_ptr<qcc_model>(new (std::nothrow) qcc_model{
      &description, {}, {}, nullptr, nullptr, description.weights, {}});
  if (!created) {
    createError = "out of memory";
    return QCC_ERROR_OUT_OF_MEMORY;
  }
  if (!description.weights) {
    created->file.reset(new (std::nothrow) MappedWeights);
    std::string problem = created->file
                              ? created->file->map(description.weightBytes,
                                                   description.weightsHash)
                              : "out of memory";
    if (!problem.empty()) {
      createError = problem;
      return QCC_ERROR_WEIGHTS;
    }
    created->weights = created->file->data();
  }
  if (const Accelerator *accelerator = description.accelerator) {
    qcc_status status = QCC_OK;
    created->device =
        accelerator->attach(description, created->weights, status, createError);
    if (!created->device)
      return status;
  }
  *model = created.release();
  return QCC_OK;
}

extern "C" qcc_status qcc_model_create(uint32_t abiVersion, qcc_model **model) {
  try {
    return create(abiVersion, model);
  } catch (const std::bad_alloc &) {
    createError = "out of memory";
    return QCC_ERROR_OUT_OF_MEMORY;
  } catch (const std::exception &error) {
    createError = error.what();
    return QCC_ERROR_RUNTIME;
  }
}

extern "C" void qcc_model_destroy(qcc_model *model) { delete model; }

extern "C" size_t qcc_model_num_inputs(const qcc_model *model) {
  return model ? model->description->numInputs : 0;
}

extern "C" size_t qcc_model_num_outputs(const qcc_model *model) {
  return model ? model->description->numOutputs : 0;
}

static qcc_status describe(const qcc_tensor_info *table, size_t count,
                           size_t index, qcc_tensor_info *info) {
  if (index >= count || !info)
    return QCC_ERROR_INVALID_ARGUMENT;
  *info = table[index];
  return QCC_OK;
}

extern "C" qcc_status qcc_model_input_info(const qcc_model *model, size_t index,
                                           qcc_tensor_info *info) {
  if (!model)
    return QCC_ERROR_INVALID_ARGUMENT;
  return describe(model->description->inputs, model->description->numInputs,
                  index, info);
}

extern "C" qcc_status qcc_model_output_info(const qcc_model *model,
                                            size_t index,
                                            qcc_tensor_info *info) {
  if (!model)
    return QCC_ERROR_INVALID_ARGUMENT;
  return describe(model->description->outputs, model->description->numOutputs,
                  index, info);
}

extern "C" const char *qcc_model_metadata(const qcc_model *model,
                                          const char *key) {
  if (!model || !key)
    return nullptr;
  const ModelDescription &d = *model->description;
  for (auto [name, value] :
       {std::pair{"scheme", d.scheme}, std::pair{"target", d.target},
        std::pair{"qcc_version", d.qccVersion}, std::pair{"layers", d.layers}})
    if (std::strcmp(key, name) == 0)
      return value;
  return nullptr;
}

extern "C" const char *qcc_model_error(const qcc_model *model) {
  return model ? model->error.c_str() : createError.c_str();
}

/// Checks one caller tensor against its declaration, binding symbolic
/// dimensions by name; the message names the tensor and what is wrong.
static std::string checkTensor(const char *role, const qcc_tensor_info &info,
                               const qcc_tensor &tensor, bool checkDims,
                               std::map<std::string, int64_t> &symbols) {
  std::string what = std::string(role) + " '" + info.name + "'";
  if (tensor.dtype != info.dtype)
    return what + " has dtype " + dtypeName(static_cast<DType>(tensor.dtype)) +
           "; the model takes " + dtypeName(static_cast<DType>(info.dtype));
  if (tensor.rank != info.rank)
    return what + " has rank " + std::to_string(tensor.rank) +
           "; the model takes rank " + std::to_string(info.rank);
  if (!checkDims)
    return {};
  if (!tensor.dims && info.rank)
    return what + " has no dims";
  for (int32_t i = 0; i < info.rank; ++i) {
    int64_t dim = tensor.dims[i];
    if (dim < 0)
      return what + " has a negative dimension " + std::to_string(i);
    if (info.dims[i] >= 0 && dim != info.dims[i])
      return what + " has dimension " + std::to_string(i) + " = " +
             std::to_string(dim) + "; the model takes " +
             std::to_string(info.dims[i]);
    if (info.dims[i] < 0) {
      auto [it, inserted] = symbols.emplace(info.dim_names[i], dim);
      if (!inserted && it->second != dim)
        return what + " has dimension " + std::to_string(i) + " ('" +
               info.dim_names[i] + "') = " + std::to_string(dim) +
               "; another input set it to " + std::to_string(it->second);
    }
  }
  // An empty tensor may come without a buffer.
  Shape shape(tensor.dims, tensor.dims + tensor.rank);
  if (!tensor.data && numElementsOf(shape) > 0)
    return what + " has no data";
  return {};
}

static qcc_status run(qcc_model *model, const qcc_tensor *inputs,
                      size_t numInputs, qcc_tensor *outputs,
                      size_t numOutputs) {
  const ModelDescription &d = *model->description;
  const Accelerator *accelerator = d.accelerator;
  if (numInputs != d.numInputs || (numInputs && !inputs))
    return failWith(model, QCC_ERROR_INVALID_ARGUMENT,
                    "the model takes " + std::to_string(d.numInputs) +
                        " inputs; " + std::to_string(numInputs) +
                        " were given");
  bool keepOnly = numOutputs == 0 && !outputs;
  if (!keepOnly && (numOutputs != d.numOutputs || !outputs))
    return failWith(model, QCC_ERROR_INVALID_ARGUMENT,
                    "the model has " + std::to_string(d.numOutputs) +
                        " outputs; " + std::to_string(numOutputs) +
                        " buffers were given");
  std::map<std::string, int64_t> symbols;
  std::vector<Tensor> tensors;
  for (size_t i = 0; i < numInputs; ++i) {
    std::string problem =
        checkTensor("input", d.inputs[i], inputs[i], true, symbols);
    if (!problem.empty())
      return failWith(model, QCC_ERROR_INVALID_ARGUMENT, problem);
    Shape shape(inputs[i].dims, inputs[i].dims + inputs[i].rank);
    DType dtype = static_cast<DType>(inputs[i].dtype);
    // An empty input without a buffer still is a tensor (a null one would
    // read as an absent operand).
    static const uint64_t kNoElements = 0;
    const void *data = inputs[i].data ? inputs[i].data : &kNoElements;
    if (!accelerator) {
      tensors.push_back(Tensor::borrow(dtype, std::move(shape), data));
      continue;
    }
    std::string error;
    tensors.push_back(accelerator->input(model->device, dtype, std::move(shape),
                                         data, error));
    if (!error.empty())
      return failWith(model, QCC_ERROR_INVALID_ARGUMENT,
                      "input '" + std::string(d.inputs[i].name) +
                          "': " + error);
  }
  for (size_t i = 0; i < numOutputs; ++i) {
    std::string problem =
        checkTensor("output", d.outputs[i], outputs[i], false, symbols);
    if (!problem.empty())
      return failWith(model, QCC_ERROR_INVALID_ARGUMENT, problem);
  }
  model->results.clear();
  model->hostResults.clear();
  Session session(d, model->weights, std::move(tensors));
  if (accelerator)
    accelerator->begin(model->device, session);
  try {
    d.forward(&session);
  } catch (...) {
    // The device must be idle before the caller may touch its buffers.
    if (accelerator)
      accelerator->finish(model->device, session);
    throw;
  }
  if (accelerator)
    accelerator->finish(model->device, session);
  if (session.failed())
    return failWith(model, QCC_ERROR_RUNTIME, session.message());
  model->results = session.results();
  // Check every buffer before writing any.
  for (size_t i = 0; i < numOutputs; ++i) {
    const Tensor &result = model->results[i];
    // The caller's dims buffer holds the declared rank.
    if (result.rank() != d.outputs[i].rank)
      return failWith(model, QCC_ERROR_RUNTIME,
                      "output '" + std::string(d.outputs[i].name) +
                          "' has rank " + std::to_string(result.rank()) +
                          "; the model declares " +
                          std::to_string(d.outputs[i].rank));
    if (result.sizeInBytes() > outputs[i].capacity)
      return failWith(model, QCC_ERROR_BUFFER_TOO_SMALL,
                      "output '" + std::string(d.outputs[i].name) + "' needs " +
                          std::to_string(result.sizeInBytes()) + " bytes " +
                          formatShape(result.shape()) +
                          "; its "
                          "buffer holds " +
                          std::to_string(outputs[i].capacity));
    if ((result.sizeInBytes() && !outputs[i].data) ||
        (result.rank() && !outputs[i].dims))
      return failWith(model, QCC_ERROR_INVALID_ARGUMENT,
                      "output '" + std::string(d.outputs[i].name) +
                          "' has no data or dims buffer");
  }
  for (size_t i = 0; i < numOutputs; ++i) {
    const Tensor &result = model->results[i];
    std::string error;
    if (!accelerator)
      std::memcpy(outputs[i].data, result.data<uint8_t>(),
                  result.sizeInBytes());
    else if (!accelerator->copy(model->device, outputs[i].data,
                                result.data<uint8_t>(), result.sizeInBytes(),
                                error))
      return failWith(model, QCC_ERROR_RUNTIME,
                      "output '" + std::string(d.outputs[i].name) +
                          "': " + error);
    std::copy(result.shape().begin(), result.shape().end(), outputs[i].dims);
  }
  model->error.clear();
  return QCC_OK;
}

extern "C" qcc_status qcc_model_result(const qcc_model *model, size_t index,
                                       qcc_tensor *view) {
  if (!model || !view || index >= model->results.size())
    return QCC_ERROR_INVALID_ARGUMENT;
  const Tensor *found = &model->results[index];
  if (found->isOnDevice()) {
    // Results stay on the device; the view is of a host copy.
    model->hostResults.resize(model->results.size());
    Tensor &copy = model->hostResults[index];
    if (copy.isNull()) {
      try {
        copy = Tensor::allocate(found->dtype(), found->shape());
      } catch (const std::bad_alloc &) {
        return QCC_ERROR_OUT_OF_MEMORY;
      }
      std::string error;
      if (!model->description->accelerator->copy(
              model->device, copy.mutableData<uint8_t>(),
              found->data<uint8_t>(), found->sizeInBytes(), error)) {
        copy = Tensor();
        return QCC_ERROR_RUNTIME;
      }
    }
    found = &copy;
  }
  const Tensor &result = *found;
  view->data = const_cast<uint8_t *>(result.data<uint8_t>());
  view->dtype = static_cast<qcc_dtype>(result.dtype());
  view->rank = static_cast<int32_t>(result.rank());
  view->dims = const_cast<int64_t *>(result.shape().data());
  view->capacity = result.sizeInBytes();
  return QCC_OK;
}

extern "C" qcc_status qcc_model_run(qcc_model *model, const qcc_tensor *inputs,
                                    size_t numInputs, qcc_tensor *outputs,
                                    size_t numOutputs) {
  if (!model)
    return QCC_ERROR_INVALID_ARGUMENT;
  try {
    return run(model, inputs, numInputs, outputs, numOutputs);
  } catch (const std::bad_alloc &) {
    return failWith(model, QCC_ERROR_OUT_OF_MEMORY, "out of memory");
  } catch (const std::exception &error) {
    return failWith(model, QCC_ERROR_RUNTIME, error.what());
  }
}
