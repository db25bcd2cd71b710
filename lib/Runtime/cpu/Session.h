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

/// What the generated code declares about its model (see qcc_model_create).
struct ModelDescription {
  const qcc_tensor_info *inputs;
  size_t numInputs;
  const qcc_tensor_info *outputs;
  size_t numOutputs;
  /// Metadata (qcc_model_metadata).
  const char *scheme, *target, *qccVersion, *layers;
  /// The packed weights, 64-byte aligned.
  const uint8_t *weights;
  /// Whether the kernels need AVX2 and FMA.
  bool needsAvx2;
  void (*forward)(Session *session);
};

class Session {
public:
  Session(const ModelDescription &model, std::vector<Tensor> inputs)
      : model(model), inputs(std::move(inputs)), outputs(model.numOutputs) {}

  bool failed() const { return !error.empty(); }
  const std::string &message() const { return error; }
  /// Records the first failure: `node` is the ONNX node name.
  void fail(const char *node, const std::string &reason);

  const Tensor &input(size_t index) const { return inputs[index]; }
  const uint8_t *weights() const { return model.weights; }
  void setOutput(size_t index, Tensor value) {
    outputs[index] = std::move(value);
  }
  const std::vector<Tensor> &results() const { return outputs; }

private:
  const ModelDescription &model;
  std::vector<Tensor> inputs;
  std::vector<Tensor> outputs;
  std::string error;
};

} // namespace qcc::rt

/// Defined by the generated code.
const qcc::rt::ModelDescription &qccGeneratedModel();

#endif // QCC_RUNTIME_CPU_SESSION_H
