//===- DeviceRuntime.h - device state and tensors of sm90 models -*- C++
//-*-===//
//
// What the GPU kernels of DeviceOps.h share: the model's device, stream and
// weights, device tensors from the stream-ordered allocator, and the moves
// between host and device that the dtype placement asks for.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_RUNTIME_CUDA_DEVICERUNTIME_H
#define QCC_RUNTIME_CUDA_DEVICERUNTIME_H

#include "lib/Runtime/cuda/DeviceOps.h"
#include <cuda_runtime_api.h>
#include <vector>

namespace qcc::gpu {

/// One model's hold on its GPU (created by kAccelerator.attach).
struct DeviceModel {
  int device = 0;
  cudaStream_t stream = nullptr;
  /// The stream-ordered pool the model's tensors come from.
  cudaMemPool_t pool = nullptr;
  /// The device copy of the weight blob.
  uint8_t *weights = nullptr;
  /// Small host tensors uploaded during the current run, by contents:
  /// position ids feed two gathers a layer, uploaded once (emptied when the
  /// run ends).
  std::vector<std::pair<std::vector<uint8_t>, Tensor>> uploads;
};

inline DeviceModel &deviceOf(Session *s) {
  return *static_cast<DeviceModel *>(s->device());
}
inline cudaStream_t streamOf(Session *s) { return deviceOf(s).stream; }

/// Whether tensors of `dtype` live on the device.
inline bool livesOnDevice(DType dtype) {
  return dtype != DType::I64 && dtype != DType::Bool;
}

/// Records a failed CUDA call or launch at `node`; true on success.
bool succeeded(Session *s, Node node, cudaError_t status);
/// A new, uninitialized device tensor; null after a recorded failure.
Tensor allocate(Session *s, Node node, DType dtype, Shape shape);
/// The tensor in host memory (waiting for the stream), or itself.
Tensor toHost(Session *s, Node node, const Tensor &x);
/// The tensor in device memory, or itself.
Tensor toDevice(Session *s, Node node, const Tensor &x);
/// toDevice for small host tensors used again and again in a run.
Tensor toDeviceOnce(Session *s, Node node, const Tensor &x);
/// The tensor where its dtype lives.
inline Tensor placed(Session *s, Node node, const Tensor &x) {
  if (x.isNull())
    return x;
  return livesOnDevice(x.dtype()) ? toDevice(s, node, x) : toHost(s, node, x);
}

/// An operand as a CPU kernel takes it.
template <typename T> const T &hostOperand(Session *, Node, const T &value) {
  return value;
}
inline Tensor hostOperand(Session *s, Node node, const Tensor &x) {
  return toHost(s, node, x);
}
inline std::vector<Tensor> hostOperand(Session *s, Node node,
                                       const std::vector<Tensor> &xs) {
  std::vector<Tensor> host;
  for (const Tensor &x : xs)
    host.push_back(toHost(s, node, x));
  return host;
}

/// Runs the CPU kernel of lib/Runtime/cpu on host copies of the operands
/// and places its result: for ops on i64 and bool tensors.
template <typename Kernel, typename... Args>
Tensor onHost(Session *s, Node node, Kernel kernel, const Args &...args) {
  if (s->failed())
    return {};
  Tensor result = kernel(s, node, hostOperand(s, node, args)...);
  return placed(s, node, result);
}

/// Lets `kernel` launch with `bytes` of dynamic shared memory (above the
/// default 48 KiB): its limit is raised once per device to `most`, never
/// lowered, since the attribute is the process's and concurrent models
/// must not take it from under one another. False when bytes > most.
bool allowSharedMemory(Session *s, Node node, const void *kernel, size_t bytes,
                       size_t most);

/// Shapes and strides as kernel parameters.
constexpr int kMaxRank = 8;
struct IndexMap {
  int rank = 0;
  int64_t shape[kMaxRank] = {};
  /// Strides of up to three operands (0 along broadcast dimensions).
  int64_t strides[3][kMaxRank] = {};
};
/// The map over `shape` with each operand's strides; false (recorded at
/// `node`) past kMaxRank.
bool makeIndexMap(Session *s, Node node, const Shape &shape,
                  std::initializer_list<const Shape *> strides, IndexMap &map);

/// y = a strided copy of x (StridedCopy's meaning), any element size.
bool copyStridedOnDevice(Session *s, Node node, const Tensor &x,
                         const rt::StridedCopy &layout, Tensor &y);

/// y [m, n] = x [m, k] · wᵀ (w [n, k]) + bias [n] (or null), all f32 on
/// the device: the float linear, also LoRC's factors.
bool linearOnDevice(Session *s, Node node, const float *x, int64_t m, int64_t k,
                    const float *w, int64_t n, const float *bias, float *y);
/// y += x elementwise over `count` floats.
bool accumulateOnDevice(Session *s, Node node, const float *x, float *y,
                        int64_t count);
/// f32 → f16 bits, round to nearest even.
bool toHalfOnDevice(Session *s, Node node, const float *x, uint16_t *y,
                    int64_t count);

} // namespace qcc::gpu

#endif // QCC_RUNTIME_CUDA_DEVICERUNTIME_H
