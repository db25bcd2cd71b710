//===- Session.h - one run of a generated model -----------------*- C++ -*-===//
//
// The generated forward function receives a Session: it reads inputs and
// weights from it, hands every op's result to the next kernel, and stores
// the outputs in it. A kernel that refuses its operands records the ONNX
// node and the reason; from then on every kernel returns a null tensor
// at once, so the forward function needs no error checks of its own.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_RUNTIME_CPU_SESSION_H
#define QCC_RUNTIME_CPU_SESSION_H

#include "Tensor.h"
#include "qcc/runtime.h"

namespace qcc::rt {

class Session;
struct ModelDescription;

/// What a model built for a GPU adds to the C ABI (lib/Runtime/cuda's
/// DeviceModel.cpp); the x86 backend has none. Each hook reports a
/// failure through `error` and returns a null state, tensor or false.
struct Accelerator {
  /// At qcc_model_create: checks the device, uploads the weights and
  /// returns the model's device state (or null with `status`).
  void *(*attach)(const ModelDescription &model, const uint8_t *weights,
                  qcc_status &status, std::string &error);
  void (*detach)(void *state);
  /// A caller's input buffer, in host or device memory, as a tensor where
  /// the kernels keep its dtype.
  Tensor (*input)(void *state, DType dtype, Shape shape, const void *data,
                  std::string &error);
  /// Binds the session to the device before the forward function; after
  /// it, waits for the device and records a device error in the session.
  void (*begin)(void *state, Session &session);
  void (*finish)(void *state, Session &session);
  /// Copies `bytes` between any two of host and device memory.
  bool (*copy)(void *state, void *destination, const void *source, size_t bytes,
               std::string &error);
};

/// What the generated code declares about its model (see qcc_model_create).
struct ModelDescription {
  const qcc_tensor_info *inputs;
  size_t numInputs;
  const qcc_tensor_info *outputs;
  size_t numOutputs;
  /// Metadata (qcc_model_metadata).
  const char *scheme, *target, *qccVersion, *layers;
  /// The packed weights, 64-byte aligned, their size and hash; null
  /// weights when they are in the file beside the .so (WeightsFile.h).
  const uint8_t *weights;
  size_t weightBytes;
  uint64_t weightsHash;
  /// Whether the kernels need AVX2 and FMA.
  bool needsAvx2;
  void (*forward)(Session *session);
  /// Null for x86 models.
  const Accelerator *accelerator;
};

class Session {
public:
  Session(const ModelDescription &model, const uint8_t *weights,
          std::vector<Tensor> inputs)
      : model(model), weightBytes(weights), inputs(std::move(inputs)),
        outputs(model.numOutputs) {}

  bool failed() const { return !error.empty(); }
  const std::string &message() const { return error; }
  /// Records the first failure: `node` is the ONNX node name.
  void fail(const char *node, const std::string &reason);
  /// Records a failure that no single node caused (a device error).
  void failRun(const std::string &message) {
    if (error.empty())
      error = message;
  }

  const Tensor &input(size_t index) const { return inputs[index]; }
  const uint8_t *weights() const { return weightBytes; }
  void setOutput(size_t index, Tensor value) {
    outputs[index] = std::move(value);
  }
  const std::vector<Tensor> &results() const { return outputs; }

  /// The GPU runtime's state for this run (null on x86).
  void *device() const { return deviceState; }
  void setDevice(void *state) { deviceState = state; }

private:
  const ModelDescription &model;
  const uint8_t *weightBytes;
  std::vector<Tensor> inputs;
  std::vector<Tensor> outputs;
  std::string error;
  void *deviceState = nullptr;
};

} // namespace qcc::rt

/// Defined by the generated code.
const qcc::rt::ModelDescription &qccGeneratedModel();

#endif // QCC_RUNTIME_CPU_SESSION_H
