//===- Tensor.h - tensors of a generated model's runtime --------*- C++ -*-===//
//
// What the generated code passes between kernels: a dense row-major tensor
// whose shape is known at run time. Floats are f32, integers i64 and
// booleans bytes, as in the interpreter; i8/u8 hold packed weights. Copies
// share the buffer; kernels write only tensors they allocated.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_RUNTIME_CPU_TENSOR_H
#define QCC_RUNTIME_CPU_TENSOR_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace qcc::rt {

/// Element types; the first three are those of the C ABI (qcc_dtype).
enum class DType : int32_t { F32 = 1, I64 = 2, Bool = 3, I8 = 4, U8 = 5 };

size_t dtypeSize(DType dtype);
const char *dtypeName(DType dtype);

using Shape = std::vector<int64_t>;

std::string formatShape(const Shape &shape);
int64_t numElementsOf(const Shape &shape);

class Tensor {
public:
  Tensor() = default;
  /// A new tensor whose elements the caller writes (not initialized).
  static Tensor allocate(DType dtype, Shape shape);
  /// A new zero-filled tensor.
  static Tensor zeros(DType dtype, Shape shape);
  /// A tensor over bytes someone else keeps alive (weights, caller inputs).
  static Tensor borrow(DType dtype, Shape shape, const void *data);
  /// A tensor in GPU memory (lib/Runtime/cuda), kept alive by `owner` (or by
  /// someone else when null). CPU kernels never receive one.
  static Tensor onDevice(DType dtype, Shape shape, const void *data,
                         std::shared_ptr<uint8_t[]> owner);

  bool isOnDevice() const { return device; }

  bool isNull() const { return !bytes; }
  DType dtype() const { return type; }
  const Shape &shape() const { return dims; }
  int64_t rank() const { return static_cast<int64_t>(dims.size()); }
  int64_t dim(int64_t i) const { return dims[i]; }
  int64_t numElements() const { return numElementsOf(dims); }
  size_t sizeInBytes() const { return numElements() * dtypeSize(type); }

  template <typename T> const T *data() const {
    return static_cast<const T *>(bytes);
  }
  /// Only for tensors this kernel allocated.
  template <typename T> T *mutableData() {
    return static_cast<T *>(const_cast<void *>(bytes));
  }
  /// The same elements under another shape of equal count.
  Tensor reshaped(Shape shape) const;

private:
  DType type = DType::F32;
  Shape dims;
  std::shared_ptr<uint8_t[]> storage;
  const void *bytes = nullptr;
  bool device = false;
};

/// An ONNX axis, negative from the back, as an index in [0, rank).
inline int64_t normalizeAxis(int64_t axis, int64_t rank) {
  return axis < 0 ? axis + rank : axis;
}

/// Row-major strides of `shape`.
Shape stridesOf(const Shape &shape);
/// Strides of `shape` broadcast to `target` (0 along broadcast dimensions).
Shape broadcastStrides(const Shape &shape, const Shape &target);
/// The numpy broadcast of two shapes, or false when they do not broadcast.
bool broadcastShapes(const Shape &a, const Shape &b, Shape &result);

/// The offset under `strides` of element `index` (row-major) of `shape`.
inline int64_t broadcastOffset(int64_t index, const Shape &shape,
                               const Shape &strides) {
  int64_t offset = 0;
  for (size_t d = shape.size(); d-- > 0;) {
    offset += index % shape[d] * strides[d];
    index /= shape[d];
  }
  return offset;
}

/// Calls body(i, offsets) for every element i of `shape` in row-major order
/// with its element offset under each stride vector (`count` of them).
template <typename Body>
void forEachIndex(const Shape &shape, const Shape *strides, size_t count,
                  Body body) {
  int64_t total = numElementsOf(shape);
  if (total == 0)
    return;
  size_t rank = shape.size();
  std::vector<int64_t> index(rank, 0), offsets(count, 0);
  for (int64_t i = 0; i < total; ++i) {
    body(i, offsets.data());
    for (size_t d = rank; d-- > 0;) {
      for (size_t s = 0; s < count; ++s)
        offsets[s] += strides[s][d];
      if (++index[d] < shape[d])
        break;
      for (size_t s = 0; s < count; ++s)
        offsets[s] -= strides[s][d] * shape[d];
      index[d] = 0;
    }
  }
}

} // namespace qcc::rt

#endif // QCC_RUNTIME_CPU_TENSOR_H
