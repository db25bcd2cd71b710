//===- HostTensor.h - tensors the reference interpreter computes with -*- C++
//-*-===//

#ifndef QCC_INTERPRETER_HOSTTENSOR_H
#define QCC_INTERPRETER_HOSTTENSOR_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include <cstdint>
#include <memory>

namespace qcc {

/// What the interpreter computes in: every float type in f32 (f16 and bf16
/// inputs are widened), every integer type in i64, booleans as bytes.
enum class ElementKind { F32, I64, Bool };

/// The C++ type of each kind's elements.
template <ElementKind K> struct ElementOf;
template <> struct ElementOf<ElementKind::F32> { using type = float; };
template <> struct ElementOf<ElementKind::I64> { using type = int64_t; };
template <> struct ElementOf<ElementKind::Bool> { using type = uint8_t; };

size_t elementSize(ElementKind kind);
llvm::StringRef stringify(ElementKind kind);

/// A dense row-major host tensor. Copies share the buffer; kernels write only
/// tensors they allocated. Weights borrow the bytes of their constant.
class HostTensor {
public:
  HostTensor() = default;
  /// A zero-filled tensor.
  HostTensor(ElementKind kind, llvm::ArrayRef<int64_t> shape);
  /// A tensor over `data`, kept alive by `owner`.
  static HostTensor borrow(ElementKind kind, llvm::ArrayRef<int64_t> shape,
                           const void *data, std::shared_ptr<const void> owner);

  ElementKind kind() const { return elementKind; }
  llvm::ArrayRef<int64_t> shape() const { return dims; }
  int64_t rank() const { return dims.size(); }
  int64_t numElements() const;
  size_t sizeInBytes() const {
    return numElements() * elementSize(elementKind);
  }
  bool isNull() const { return !bytes; }

  template <typename T> llvm::ArrayRef<T> values() const {
    return {reinterpret_cast<const T *>(bytes),
            static_cast<size_t>(numElements())};
  }
  template <typename T> llvm::MutableArrayRef<T> mutableValues() {
    return {reinterpret_cast<T *>(const_cast<char *>(bytes)),
            static_cast<size_t>(numElements())};
  }
  const char *data() const { return bytes; }
  /// Element `i` as a double, whatever the kind (for casts and comparisons).
  double elementAsDouble(int64_t i) const;

  /// The same elements viewed with another shape of equal element count.
  HostTensor reshaped(llvm::ArrayRef<int64_t> shape) const;
  /// A view of entry `index` along the first dimension.
  HostTensor operator[](int64_t index) const;

private:
  ElementKind elementKind = ElementKind::F32;
  llvm::SmallVector<int64_t, 4> dims;
  std::shared_ptr<const void> owner;
  const char *bytes = nullptr;
};

} // namespace qcc

#endif // QCC_INTERPRETER_HOSTTENSOR_H
