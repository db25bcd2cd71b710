//===- Tensor.cpp - tensors of a generated model's runtime ----------------===//

#include "Tensor.h"
#include <cstring>
#include <mutex>
#include <unordered_map>

namespace {

/// Buffers of released tensors, kept by size for the next tensor of that
/// size: a model runs the same shapes layer after layer and run after run,
/// and a fresh large buffer per op costs page faults and the kernel zeroing
/// pages. Holds at most kMaxHeld bytes; beyond that, buffers are freed.
class BufferPool {
public:
  static constexpr size_t kMaxHeld = size_t(512) << 20;

  uint8_t *take(size_t bytes) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      auto it = free.find(bytes);
      if (it != free.end() && !it->second.empty()) {
        uint8_t *buffer = it->second.back();
        it->second.pop_back();
        held -= bytes;
        return buffer;
      }
    }
    return new uint8_t[bytes];
  }

  void give(uint8_t *buffer, size_t bytes) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (held + bytes <= kMaxHeld) {
        free[bytes].push_back(buffer);
        held += bytes;
        return;
      }
    }
    delete[] buffer;
  }

private:
  std::mutex mutex;
  std::unordered_map<size_t, std::vector<uint8_t *>> free;
  size_t held = 0;
};

BufferPool &pool() {
  // Never destroyed: a host may release tensors (destroy a model) from its
  // own static destructors, after this library's would have run.
  static BufferPool *instance = new BufferPool;
  return *instance;
}

} // namespace

using namespace qcc::rt;

size_t qcc::rt::dtypeSize(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return 4;
  case DType::I64:
    return 8;
  case DType::Bool:
  case DType::I8:
  case DType::U8:
    return 1;
  }
  return 1;
}

const char *qcc::rt::dtypeName(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return "f32";
  case DType::I64:
    return "i64";
  case DType::Bool:
    return "bool";
  case DType::I8:
    return "i8";
  case DType::U8:
    return "u8";
  }
  return "?";
}

std::string qcc::rt::formatShape(const Shape &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

int64_t qcc::rt::numElementsOf(const Shape &shape) {
  int64_t count = 1;
  for (int64_t dim : shape)
    count *= dim;
  return count;
}

Tensor Tensor::allocate(DType dtype, Shape shape) {
  Tensor tensor;
  tensor.type = dtype;
  tensor.dims = std::move(shape);
  // One spare byte so that empty tensors still have a non-null buffer.
  size_t bytes = tensor.sizeInBytes() + 1;
  tensor.storage =
      std::shared_ptr<uint8_t[]>(pool().take(bytes), [bytes](uint8_t *buffer) {
        pool().give(buffer, bytes);
      });
  tensor.bytes = tensor.storage.get();
  return tensor;
}

Tensor Tensor::zeros(DType dtype, Shape shape) {
  Tensor tensor = allocate(dtype, std::move(shape));
  std::memset(tensor.storage.get(), 0, tensor.sizeInBytes() + 1);
  return tensor;
}

Tensor Tensor::borrow(DType dtype, Shape shape, const void *data) {
  Tensor tensor;
  tensor.type = dtype;
  tensor.dims = std::move(shape);
  tensor.bytes = data;
  return tensor;
}

Tensor Tensor::onDevice(DType dtype, Shape shape, const void *data,
                        std::shared_ptr<uint8_t[]> owner) {
  Tensor tensor = borrow(dtype, std::move(shape), data);
  tensor.storage = std::move(owner);
  tensor.device = true;
  return tensor;
}

Tensor Tensor::reshaped(Shape shape) const {
  Tensor view = *this;
  view.dims = std::move(shape);
  return view;
}

Shape qcc::rt::stridesOf(const Shape &shape) {
  Shape strides(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;)
    strides[i - 1] = strides[i] * shape[i];
  return strides;
}

Shape qcc::rt::broadcastStrides(const Shape &shape, const Shape &target) {
  Shape own = stridesOf(shape);
  Shape strides(target.size(), 0);
  size_t offset = target.size() - shape.size();
  for (size_t i = 0; i < shape.size(); ++i)
    strides[offset + i] = shape[i] == 1 ? 0 : own[i];
  return strides;
}

bool qcc::rt::broadcastShapes(const Shape &a, const Shape &b, Shape &result) {
  size_t rank = std::max(a.size(), b.size());
  result.assign(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    int64_t x = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t y = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (x != y && x != 1 && y != 1)
      return false;
    result[i] = x == 1 ? y : x;
  }
  return true;
}
