//===- DeviceModel.cpp - an sm90 model's GPU under the C ABI --------------===//
//
// kAccelerator's hooks: the device check and the weight upload at create,
// input placement, the stream around each run, and copies to the caller's
// buffers wherever they are. Device tensors come from CUDA's stream-ordered
// allocator, whose pool keeps released memory for the next run. No C++
// exception leaves a hook.
//
//===----------------------------------------------------------------------===//

#include "lib/Runtime/cuda/DeviceRuntime.h"
#include <cstdint>
#include <cstring>
#include <mutex>
#include <new>
#include <set>

using namespace qcc;
using namespace qcc::gpu;

namespace {

std::string describe(cudaError_t status) {
  return std::string(cudaGetErrorName(status)) + ": " +
         cudaGetErrorString(status);
}

void *attach(const rt::ModelDescription &model, const uint8_t *weights,
             qcc_status &status, std::string &error) {
  int count = 0, device = 0;
  cudaError_t found = cudaGetDeviceCount(&count);
  if (found != cudaSuccess || count == 0) {
    status = QCC_ERROR_UNSUPPORTED_DEVICE;
    error =
        "this model runs on an NVIDIA Hopper GPU (sm_90a); no CUDA device "
        "is usable" +
        (found != cudaSuccess ? " (" + describe(found) + ")" : std::string());
    cudaGetLastError();
    return nullptr;
  }
  cudaDeviceProp properties;
  if (cudaGetDevice(&device) != cudaSuccess ||
      cudaGetDeviceProperties(&properties, device) != cudaSuccess) {
    status = QCC_ERROR_UNSUPPORTED_DEVICE;
    error = "cannot query CUDA device " + std::to_string(device);
    cudaGetLastError();
    return nullptr;
  }
  // sm_90a code runs on compute capability 9.0 only.
  if (properties.major != 9 || properties.minor != 0) {
    status = QCC_ERROR_UNSUPPORTED_DEVICE;
    error = "this model was compiled for sm_90a (Hopper); CUDA device " +
            std::to_string(device) + " (" + properties.name +
            ") has compute capability " + std::to_string(properties.major) +
            "." + std::to_string(properties.minor);
    return nullptr;
  }
  auto *state = new (std::nothrow) DeviceModel;
  if (!state) {
    status = QCC_ERROR_OUT_OF_MEMORY;
    error = "out of memory";
    return nullptr;
  }
  state->device = device;
  // The model's own pool (the host's default pool keeps its behaviour):
  // released activations stay in it for the next op and run, and go back
  // to the driver when the model is destroyed.
  cudaMemPoolProps props = {};
  props.allocType = cudaMemAllocationTypePinned;
  props.location.type = cudaMemLocationTypeDevice;
  props.location.id = device;
  uint64_t keepAll = UINT64_MAX;
  cudaError_t step = cudaMemPoolCreate(&state->pool, &props);
  if (step == cudaSuccess)
    step = cudaMemPoolSetAttribute(state->pool, cudaMemPoolAttrReleaseThreshold,
                                   &keepAll);
  if (step == cudaSuccess)
    step = cudaStreamCreateWithFlags(&state->stream, cudaStreamNonBlocking);
  if (step == cudaSuccess)
    step = cudaMalloc(reinterpret_cast<void **>(&state->weights),
                      model.weightBytes + 1);
  // On the model's stream, then waited for: a copy from pageable memory may
  // return before its DMA ends, and the stream does not wait for the legacy
  // one.
  if (step == cudaSuccess)
    step = cudaMemcpyAsync(state->weights, weights, model.weightBytes,
                           cudaMemcpyHostToDevice, state->stream);
  if (step == cudaSuccess)
    step = cudaStreamSynchronize(state->stream);
  if (step != cudaSuccess) {
    status = step == cudaErrorMemoryAllocation ? QCC_ERROR_OUT_OF_MEMORY
                                               : QCC_ERROR_RUNTIME;
    error = "cannot load the weights (" + std::to_string(model.weightBytes) +
            " bytes) onto the GPU: " + describe(step);
    cudaGetLastError();
    if (state->weights)
      cudaFree(state->weights);
    if (state->stream)
      cudaStreamDestroy(state->stream);
    if (state->pool)
      cudaMemPoolDestroy(state->pool);
    delete state;
    return nullptr;
  }
  return state;
}

void detach(void *opaque) {
  auto *state = static_cast<DeviceModel *>(opaque);
  cudaSetDevice(state->device);
  state->uploads.clear();
  cudaStreamSynchronize(state->stream);
  cudaFree(state->weights);
  cudaStreamDestroy(state->stream);
  cudaMemPoolDestroy(state->pool);
  cudaGetLastError();
  delete state;
}

/// Where `data` lives: the device it belongs to, or -1 for host memory.
int deviceOfPointer(const void *data) {
  cudaPointerAttributes attributes;
  if (cudaPointerGetAttributes(&attributes, data) != cudaSuccess) {
    cudaGetLastError();
    return -1;
  }
  return attributes.type == cudaMemoryTypeDevice ||
                 attributes.type == cudaMemoryTypeManaged
             ? attributes.device
             : -1;
}

Tensor placeInput(void *opaque, DType dtype, Shape shape, const void *data,
                  std::string &error) {
  auto *state = static_cast<DeviceModel *>(opaque);
  Tensor borrowed = Tensor::borrow(dtype, shape, data);
  int owner = borrowed.sizeInBytes() ? deviceOfPointer(data) : -1;
  if (owner >= 0 && owner != state->device) {
    error = "the buffer is in the memory of CUDA device " +
            std::to_string(owner) + "; the model runs on device " +
            std::to_string(state->device);
    return {};
  }
  bool onDevice = owner >= 0;
  if (onDevice == livesOnDevice(dtype))
    return onDevice ? Tensor::onDevice(dtype, shape, data, nullptr) : borrowed;
  if (cudaError_t selected = cudaSetDevice(state->device);
      selected != cudaSuccess) {
    error = "cannot select CUDA device " + std::to_string(state->device) +
            ": " + describe(selected);
    cudaGetLastError();
    return {};
  }
  // Moved where the kernels want it on the model's stream, and waited for:
  // the caller may reuse its buffer once the run returns.
  Tensor moved;
  cudaError_t status;
  if (onDevice) {
    moved = Tensor::allocate(dtype, shape);
    status = cudaMemcpyAsync(moved.mutableData<uint8_t>(), data,
                             borrowed.sizeInBytes(), cudaMemcpyDeviceToHost,
                             state->stream);
  } else {
    void *buffer = nullptr;
    cudaStream_t stream = state->stream;
    status = cudaMallocFromPoolAsync(&buffer, borrowed.sizeInBytes() + 1,
                                     state->pool, stream);
    if (status == cudaSuccess) {
      moved = Tensor::onDevice(
          dtype, shape, buffer,
          std::shared_ptr<uint8_t[]>(
              static_cast<uint8_t *>(buffer),
              [stream](uint8_t *p) { cudaFreeAsync(p, stream); }));
      status = cudaMemcpyAsync(buffer, data, borrowed.sizeInBytes(),
                               cudaMemcpyHostToDevice, state->stream);
    }
  }
  if (status == cudaSuccess)
    status = cudaStreamSynchronize(state->stream);
  if (status != cudaSuccess) {
    error = "cannot copy it " + std::string(onDevice ? "from" : "to") +
            " the GPU: " + describe(status);
    cudaGetLastError();
    return {};
  }
  return moved;
}

void begin(void *opaque, rt::Session &session) {
  auto *state = static_cast<DeviceModel *>(opaque);
  session.setDevice(state);
  cudaError_t status = cudaSetDevice(state->device);
  if (status != cudaSuccess) {
    session.failRun("cannot select CUDA device " +
                    std::to_string(state->device) + ": " + describe(status));
    cudaGetLastError();
  }
}

void finish(void *opaque, rt::Session &session) {
  auto *state = static_cast<DeviceModel *>(opaque);
  state->uploads.clear();
  cudaError_t status = cudaStreamSynchronize(state->stream);
  if (status != cudaSuccess) {
    session.failRun("the GPU failed while running the model: " +
                    describe(status));
    cudaGetLastError();
  }
}

bool copy(void *opaque, void *destination, const void *source, size_t bytes,
          std::string &error) {
  auto *state = static_cast<DeviceModel *>(opaque);
  if (!bytes)
    return true;
  cudaError_t status = cudaMemcpyAsync(destination, source, bytes,
                                       cudaMemcpyDefault, state->stream);
  if (status == cudaSuccess)
    status = cudaStreamSynchronize(state->stream);
  if (status != cudaSuccess) {
    error =
        "cannot copy " + std::to_string(bytes) + " bytes: " + describe(status);
    cudaGetLastError();
    return false;
  }
  return true;
}

} // namespace

const rt::Accelerator qcc::gpu::kAccelerator = {attach, detach, placeInput,
                                                begin,  finish, copy};

Tensor qcc::gpu::weight(Session *s, int64_t offset, DType dtype, Shape shape) {
  if (!livesOnDevice(dtype))
    return rt::weight(s, offset, dtype, std::move(shape));
  return Tensor::onDevice(dtype, std::move(shape), deviceOf(s).weights + offset,
                          nullptr);
}

bool qcc::gpu::succeeded(Session *s, Node node, cudaError_t status) {
  if (status == cudaSuccess)
    return true;
  cudaGetLastError();
  s->fail(node, "CUDA: " + describe(status));
  return false;
}

Tensor qcc::gpu::allocate(Session *s, Node node, DType dtype, Shape shape) {
  if (s->failed())
    return {};
  cudaStream_t stream = streamOf(s);
  size_t bytes = rt::numElementsOf(shape) * rt::dtypeSize(dtype) + 1;
  void *buffer = nullptr;
  if (!succeeded(
          s, node,
          cudaMallocFromPoolAsync(&buffer, bytes, deviceOf(s).pool, stream)))
    return {};
  std::shared_ptr<uint8_t[]> owner(
      static_cast<uint8_t *>(buffer),
      [stream](uint8_t *p) { cudaFreeAsync(p, stream); });
  return Tensor::onDevice(dtype, std::move(shape), buffer, std::move(owner));
}

Tensor qcc::gpu::toHost(Session *s, Node node, const Tensor &x) {
  if (s->failed() || x.isNull() || !x.isOnDevice())
    return x;
  Tensor host = Tensor::allocate(x.dtype(), x.shape());
  cudaStream_t stream = streamOf(s);
  if (!succeeded(s, node,
                 cudaMemcpyAsync(host.mutableData<uint8_t>(), x.data<uint8_t>(),
                                 x.sizeInBytes(), cudaMemcpyDeviceToHost,
                                 stream)) ||
      !succeeded(s, node, cudaStreamSynchronize(stream)))
    return {};
  return host;
}

Tensor qcc::gpu::toDevice(Session *s, Node node, const Tensor &x) {
  if (s->failed() || x.isNull() || x.isOnDevice())
    return x;
  Tensor device = allocate(s, node, x.dtype(), x.shape());
  // From pageable memory the copy is staged before the call returns, so
  // x may go away afterwards.
  if (device.isNull() ||
      !succeeded(s, node,
                 cudaMemcpyAsync(device.mutableData<uint8_t>(),
                                 x.data<uint8_t>(), x.sizeInBytes(),
                                 cudaMemcpyHostToDevice, streamOf(s))))
    return {};
  return device;
}

Tensor qcc::gpu::toDeviceOnce(Session *s, Node node, const Tensor &x) {
  constexpr size_t kMostBytes = 4096;
  if (s->failed() || x.isOnDevice() || x.sizeInBytes() > kMostBytes)
    return toDevice(s, node, x);
  const uint8_t *bytes = x.data<uint8_t>();
  std::vector<uint8_t> contents(bytes, bytes + x.sizeInBytes());
  auto &uploads = deviceOf(s).uploads;
  for (auto &[known, device] : uploads)
    if (known == contents && device.dtype() == x.dtype())
      return device.reshaped(x.shape());
  Tensor device = toDevice(s, node, x);
  if (!device.isNull())
    uploads.emplace_back(std::move(contents), device);
  return device;
}

bool qcc::gpu::allowSharedMemory(Session *s, Node node, const void *kernel,
                                 size_t bytes, size_t most) {
  if (bytes > most) {
    s->fail(node, "needs " + std::to_string(bytes) +
                      " bytes of shared memory; a block has at most " +
                      std::to_string(most));
    return false;
  }
  if (bytes <= (48u << 10))
    return true;
  static std::mutex mutex;
  static std::set<std::pair<int, const void *>> raised;
  std::lock_guard<std::mutex> lock(mutex);
  std::pair<int, const void *> key{deviceOf(s).device, kernel};
  if (raised.count(key))
    return true;
  if (!succeeded(s, node,
                 cudaFuncSetAttribute(
                     kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                     static_cast<int>(most))))
    return false;
  raised.insert(key);
  return true;
}

bool qcc::gpu::makeIndexMap(Session *s, Node node, const Shape &shape,
                            std::initializer_list<const Shape *> strides,
                            IndexMap &map) {
  if (shape.size() > size_t(kMaxRank)) {
    s->fail(node, "the GPU kernels take tensors of rank up to " +
                      std::to_string(kMaxRank) + ", not " +
                      std::to_string(shape.size()));
    return false;
  }
  map.rank = static_cast<int>(shape.size());
  for (int d = 0; d < map.rank; ++d)
    map.shape[d] = shape[d];
  int operand = 0;
  for (const Shape *own : strides) {
    for (int d = 0; d < map.rank; ++d)
      map.strides[operand][d] = (*own)[d];
    ++operand;
  }
  return true;
}
