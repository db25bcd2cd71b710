//===- HostTensor.cpp - tensors the reference interpreter computes with ---===//

#include "qcc/Interpreter/HostTensor.h"
#include <cstring>

using namespace qcc;

size_t qcc::elementSize(ElementKind kind) {
  switch (kind) {
  case ElementKind::F32:
    return 4;
  case ElementKind::I64:
    return 8;
  case ElementKind::Bool:
    return 1;
  }
  return 1;
}

llvm::StringRef qcc::stringify(ElementKind kind) {
  switch (kind) {
  case ElementKind::F32:
    return "float32";
  case ElementKind::I64:
    return "int64";
  case ElementKind::Bool:
    return "bool";
  }
  return "";
}

HostTensor::HostTensor(ElementKind kind, llvm::ArrayRef<int64_t> shape)
    : elementKind(kind), dims(shape.begin(), shape.end()) {
  size_t size = std::max<size_t>(sizeInBytes(), 1);
  std::shared_ptr<char[]> buffer(new char[size]);
  std::memset(buffer.get(), 0, size);
  bytes = buffer.get();
  owner = std::move(buffer);
}

HostTensor HostTensor::borrow(ElementKind kind, llvm::ArrayRef<int64_t> shape,
                              const void *data,
                              std::shared_ptr<const void> owner) {
  HostTensor tensor;
  tensor.elementKind = kind;
  tensor.dims.assign(shape.begin(), shape.end());
  tensor.bytes = static_cast<const char *>(data);
  tensor.owner = std::move(owner);
  return tensor;
}

int64_t HostTensor::numElements() const {
  int64_t count = 1;
  for (int64_t dim : dims)
    count *= dim;
  return count;
}

double HostTensor::elementAsDouble(int64_t i) const {
  switch (elementKind) {
  case ElementKind::F32:
    return values<float>()[i];
  case ElementKind::I64:
    return static_cast<double>(values<int64_t>()[i]);
  case ElementKind::Bool:
    return values<uint8_t>()[i];
  }
  return 0;
}

HostTensor HostTensor::reshaped(llvm::ArrayRef<int64_t> shape) const {
  HostTensor view = *this;
  view.dims.assign(shape.begin(), shape.end());
  return view;
}

HostTensor HostTensor::operator[](int64_t index) const {
  HostTensor view = reshaped(shape().drop_front());
  view.bytes += index * view.sizeInBytes();
  return view;
}
