//===- Interpreter.cpp - reference executor of qcc IR ---------------------===//

#include "qcc/Interpreter/Interpreter.h"
#include "Kernels.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/StringMap.h"
#include <array>
#include <cblas.h>
#include <cstring>

using namespace qcc;
using namespace qcc::interp;

std::optional<ElementKind> qcc::getElementKind(Type elementType) {
  if (elementType.isInteger(1))
    return ElementKind::Bool;
  if (isa<IntegerType>(elementType))
    return ElementKind::I64;
  // Every float type widens exactly to f32 or rounds from f64.
  if (isa<FloatType>(elementType))
    return ElementKind::F32;
  return std::nullopt;
}

ElementKind interp::kindOf(Value value) {
  return *getElementKind(cast<ShapedType>(value.getType()).getElementType());
}

SmallVector<int64_t> interp::stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

SmallVector<int64_t> interp::broadcastStrides(ArrayRef<int64_t> shape,
                                              ArrayRef<int64_t> target) {
  SmallVector<int64_t> own = stridesOf(shape);
  SmallVector<int64_t> strides(target.size(), 0);
  size_t offset = target.size() - shape.size();
  for (size_t i = 0; i < shape.size(); ++i)
    strides[offset + i] = shape[i] == 1 ? 0 : own[i];
  return strides;
}

void interp::forEachIndex(
    ArrayRef<int64_t> shape, ArrayRef<SmallVector<int64_t>> strides,
    llvm::function_ref<void(int64_t, ArrayRef<int64_t>)> body) {
  int64_t count = 1;
  for (int64_t dim : shape)
    count *= dim;
  if (count == 0)
    return;
  size_t rank = shape.size();
  SmallVector<int64_t> index(rank, 0);
  SmallVector<int64_t> offsets(strides.size(), 0);
  for (int64_t i = 0; i < count; ++i) {
    body(i, offsets);
    // Advance the multi-index, updating the offsets incrementally.
    for (int64_t dim = rank - 1; dim >= 0; --dim) {
      if (++index[dim] < shape[dim]) {
        for (size_t s = 0; s < strides.size(); ++s)
          offsets[s] += strides[s][dim];
        break;
      }
      for (size_t s = 0; s < strides.size(); ++s)
        offsets[s] -= strides[s][dim] * (shape[dim] - 1);
      index[dim] = 0;
    }
  }
}

SmallVector<int64_t> interp::integerValues(const HostTensor &tensor) {
  if (tensor.kind() == ElementKind::I64)
    return SmallVector<int64_t>(tensor.values<int64_t>());
  SmallVector<int64_t> values;
  if (tensor.kind() == ElementKind::Bool)
    for (uint8_t v : tensor.values<uint8_t>())
      values.push_back(v);
  else
    for (float v : tensor.values<float>())
      values.push_back(static_cast<int64_t>(v));
  return values;
}

const KernelRegistry &KernelRegistry::get() {
  static const KernelRegistry registry = [] {
    // Kernels split work across threads themselves (see NNKernels.cpp).
    openblas_set_num_threads(1);
    KernelRegistry r;
    registerElementwiseKernels(r);
    registerNNKernels(r);
    registerQuantKernels(r);
    registerTensorKernels(r);
    return r;
  }();
  return registry;
}

const Kernel *KernelRegistry::lookup(Operation *op) const {
  auto it = kernels.find(op->getName().getTypeID());
  return it == kernels.end() ? nullptr : &it->second;
}

/// Widens the raw bytes of a resource of a narrower or wider type (f16, bf16,
/// f64, i8, ...) into the kind the interpreter computes in.
static FailureOr<HostTensor> widenBytes(Location loc, RankedTensorType type,
                                        ElementKind kind,
                                        ArrayRef<char> bytes) {
  Type elementType = type.getElementType();
  // Sub-byte types (i4, f4) are stored one element a byte.
  unsigned width = elementType.getIntOrFloatBitWidth();
  size_t stride = std::max(1u, width / 8);
  if ((width > 8 && width % 8) ||
      bytes.size() != type.getNumElements() * stride)
    return emitError(loc, "the weight blob does not hold ")
           << type.getNumElements() << " elements of " << elementType;
  HostTensor tensor(kind, type.getShape());
  if (stride == 1 && kind != ElementKind::Bool) {
    // One byte an element (i8, i4, f8, f4 codes): decode each of the 256
    // bytes once; quantized weights are hundreds of millions of them.
    std::array<double, 256> table;
    for (unsigned byte = 0; byte < 256; ++byte) {
      APInt bits(width, byte & ((1u << width) - 1));
      if (auto floatType = dyn_cast<FloatType>(elementType))
        table[byte] =
            APFloat(floatType.getFloatSemantics(), bits).convertToDouble();
      else
        table[byte] = elementType.isUnsignedInteger()
                          ? static_cast<double>(bits.getZExtValue())
                          : static_cast<double>(bits.getSExtValue());
    }
    const auto *in = reinterpret_cast<const uint8_t *>(bytes.data());
    if (kind == ElementKind::F32)
      for (int64_t i = 0; i < type.getNumElements(); ++i)
        tensor.mutableValues<float>()[i] = static_cast<float>(table[in[i]]);
    else
      for (int64_t i = 0; i < type.getNumElements(); ++i)
        tensor.mutableValues<int64_t>()[i] = static_cast<int64_t>(table[in[i]]);
    return tensor;
  }
  for (int64_t i = 0; i < type.getNumElements(); ++i) {
    uint64_t raw = 0;
    std::memcpy(&raw, bytes.data() + i * stride, stride);
    APInt bits(width, raw);
    if (auto floatType = dyn_cast<FloatType>(elementType))
      tensor.mutableValues<float>()[i] = static_cast<float>(
          APFloat(floatType.getFloatSemantics(), bits).convertToDouble());
    else if (kind == ElementKind::Bool)
      tensor.mutableValues<uint8_t>()[i] = raw != 0;
    else
      tensor.mutableValues<int64_t>()[i] = elementType.isUnsignedInteger()
                                               ? bits.getZExtValue()
                                               : bits.getSExtValue();
  }
  return tensor;
}

FailureOr<HostTensor> qcc::toHostTensor(ElementsAttr attr, Location loc) {
  auto type = dyn_cast<RankedTensorType>(attr.getShapedType());
  std::optional<ElementKind> kind =
      type ? getElementKind(type.getElementType()) : std::nullopt;
  if (!kind || !type.hasStaticShape())
    return emitError(loc, "the interpreter does not support tensors of type ")
           << attr.getShapedType();
  Type elementType = type.getElementType();
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return emitError(loc, "the weight blob '")
             << resource.getRawHandle().getKey() << "' has no data";
    ArrayRef<char> bytes = blob->getData();
    size_t nativeBytes = type.getNumElements() * elementSize(*kind);
    bool native = (elementType.isF32() || elementType.isInteger(64)) &&
                  bytes.size() == nativeBytes;
    if (native)
      // The blob lives as long as the context; nothing to keep alive.
      return HostTensor::borrow(*kind, type.getShape(), bytes.data(), nullptr);
    return widenBytes(loc, type, *kind, bytes);
  }
  ElementsAttr elements = attr;
  HostTensor tensor(*kind, type.getShape());
  int64_t i = 0;
  switch (*kind) {
  case ElementKind::F32: {
    MutableArrayRef<float> out = tensor.mutableValues<float>();
    for (const APFloat &value : elements.getValues<APFloat>())
      out[i++] = static_cast<float>(value.convertToDouble());
    break;
  }
  case ElementKind::I64: {
    MutableArrayRef<int64_t> out = tensor.mutableValues<int64_t>();
    bool isUnsigned = elementType.isUnsignedInteger();
    for (const APInt &value : elements.getValues<APInt>())
      out[i++] = isUnsigned ? value.getZExtValue() : value.getSExtValue();
    break;
  }
  case ElementKind::Bool: {
    MutableArrayRef<uint8_t> out = tensor.mutableValues<uint8_t>();
    for (bool value : elements.getValues<bool>())
      out[i++] = value;
    break;
  }
  }
  return tensor;
}

/// Checks a computed tensor against the static parts of the op's result type.
static LogicalResult checkResult(Operation *op, Value result,
                                 const HostTensor &tensor) {
  auto type = cast<RankedTensorType>(result.getType());
  bool matches = type.getRank() == tensor.rank();
  for (int64_t dim = 0; matches && dim < type.getRank(); ++dim)
    matches =
        type.isDynamicDim(dim) || type.getDimSize(dim) == tensor.shape()[dim];
  if (matches)
    return success();
  std::string shape;
  llvm::raw_string_ostream os(shape);
  llvm::interleave(tensor.shape(), os, "x");
  return op->emitError("computed a result of shape ")
         << (shape.empty() ? "scalar" : shape) << ", but its type is " << type;
}

FailureOr<SmallVector<HostTensor>> qcc::interpret(func::FuncOp func,
                                                  ArrayRef<HostTensor> inputs,
                                                  OpObserver observer) {
  Block &body = func.getBody().front();
  // The last op that reads each value, so that its tensor is freed there.
  llvm::DenseMap<Value, Operation *> lastUse;
  for (Operation &op : body)
    for (Value operand : op.getOperands())
      lastUse[operand] = &op;

  llvm::DenseMap<Value, HostTensor> values;
  for (auto [arg, input] : llvm::zip(body.getArguments(), inputs))
    values[arg] = input;

  const KernelRegistry &registry = KernelRegistry::get();
  for (Operation &op : body) {
    SmallVector<HostTensor> operands;
    for (Value operand : op.getOperands())
      operands.push_back(values.lookup(operand));
    if (auto ret = dyn_cast<func::ReturnOp>(op))
      return operands;

    FailureOr<interp::Results> results = failure();
    if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
      FailureOr<HostTensor> value = toHostTensor(
          cast<ElementsAttr>(constant.getValue()), constant.getLoc());
      if (succeeded(value))
        results = interp::Results{std::move(*value)};
    } else if (const Kernel *kernel = registry.lookup(&op)) {
      results = (*kernel)(&op, operands);
    } else {
      return op.emitError("the interpreter has no kernel for this op");
    }
    if (failed(results))
      return failure();
    for (auto [value, tensor] : llvm::zip_equal(op.getResults(), *results))
      if (failed(checkResult(&op, value, tensor)))
        return failure();
    if (observer)
      observer(&op, operands, *results);
    for (auto [value, tensor] : llvm::zip_equal(op.getResults(), *results))
      values[value] = std::move(tensor);
    for (Value operand : op.getOperands())
      if (lastUse.lookup(operand) == &op)
        values.erase(operand);
  }
  return func.emitError("function body has no return");
}

std::optional<std::string> qcc::checkInputs(func::FuncOp func,
                                            ArrayRef<HostTensor> inputs,
                                            ArrayRef<std::string> names) {
  if (inputs.size() != func.getNumArguments())
    return "the model has " + std::to_string(func.getNumArguments()) +
           " inputs, got " + std::to_string(inputs.size());
  llvm::StringMap<std::pair<int64_t, std::string>> namedDims;
  for (auto [i, input] : llvm::enumerate(inputs)) {
    auto type = cast<RankedTensorType>(func.getArgumentTypes()[i]);
    std::string what = "input '" + names[i] + "'";
    std::optional<ElementKind> kind = getElementKind(type.getElementType());
    if (!kind || *kind != input.kind())
      return what + " is " + stringify(input.kind()).str() +
             "; the model expects " +
             (kind ? stringify(*kind).str() : std::string("another type"));
    if (input.rank() != type.getRank())
      return what + " has rank " + std::to_string(input.rank()) +
             "; the model expects rank " + std::to_string(type.getRank());
    auto dimNames = func.getArgAttrOfType<ArrayAttr>(i, "qcc.dim_names");
    for (int64_t dim = 0; dim < type.getRank(); ++dim) {
      int64_t size = input.shape()[dim];
      if (!type.isDynamicDim(dim) && type.getDimSize(dim) != size)
        return what + " has size " + std::to_string(size) + " in dimension " +
               std::to_string(dim) + "; the model fixes it at " +
               std::to_string(type.getDimSize(dim));
      auto name = dimNames && dim < static_cast<int64_t>(dimNames.size())
                      ? dyn_cast<StringAttr>(dimNames[dim])
                      : StringAttr();
      if (!name || name.getValue().empty())
        continue;
      auto [it, inserted] = namedDims.try_emplace(name.getValue(), size, what);
      if (!inserted && it->second.first != size)
        return what + " has " + name.getValue().str() + " = " +
               std::to_string(size) + " but " + it->second.second + " has " +
               name.getValue().str() + " = " + std::to_string(it->second.first);
    }
  }
  return std::nullopt;
}
