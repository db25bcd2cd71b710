//===- TensorKernels.cpp - data movement and shape ops in the interpreter -===//
//
// These kernels move bytes and work for every element kind.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"
#include "qcc/Interpreter/Interpreter.h"
#include <cmath>
#include <cstring>

using namespace qcc;
using namespace qcc::interp;

static char *mutableBytes(HostTensor &tensor) {
  return const_cast<char *>(tensor.data());
}

/// Copies `input` broadcast (or strided) into a new tensor of `shape`, reading
/// element i of the result at offset `strides · index` of the input, plus
/// `base`.
static HostTensor gatherStrided(const HostTensor &input,
                                ArrayRef<int64_t> shape,
                                SmallVector<int64_t> strides,
                                int64_t base = 0) {
  HostTensor result(input.kind(), shape);
  size_t size = elementSize(input.kind());
  char *out = mutableBytes(result);
  if (!shape.empty() && strides.back() == 1) {
    // Rows along the last dimension are contiguous: copy them whole.
    size_t rowBytes = shape.back() * size;
    SmallVector<int64_t> outer(shape.drop_back());
    SmallVector<int64_t> outerStrides(ArrayRef<int64_t>(strides).drop_back());
    forEachIndex(
        outer, {outerStrides}, [&](int64_t i, ArrayRef<int64_t> offsets) {
          std::memcpy(out + i * rowBytes,
                      input.data() + (base + offsets[0]) * size, rowBytes);
        });
    return result;
  }
  forEachIndex(shape, {strides}, [&](int64_t i, ArrayRef<int64_t> offsets) {
    std::memcpy(out + i * size, input.data() + (base + offsets[0]) * size,
                size);
  });
  return result;
}

static FailureOr<HostTensor> gather(GatherOp op,
                                    ArrayRef<HostTensor> operands) {
  const HostTensor &data = operands[0];
  SmallVector<int64_t> indices = integerValues(operands[1]);
  int64_t axis = *normalizeAxis(op.getAxis(), data.rank());
  int64_t axisSize = data.shape()[axis], outer = 1, inner = 1;
  for (int64_t dim : data.shape().take_front(axis))
    outer *= dim;
  for (int64_t dim : data.shape().drop_front(axis + 1))
    inner *= dim;
  SmallVector<int64_t> shape(data.shape().take_front(axis));
  llvm::append_range(shape, operands[1].shape());
  llvm::append_range(shape, data.shape().drop_front(axis + 1));
  HostTensor result(data.kind(), shape);
  size_t rowBytes = inner * elementSize(data.kind());
  char *out = mutableBytes(result);
  for (int64_t o = 0; o < outer; ++o) {
    for (auto [n, index] : llvm::enumerate(indices)) {
      int64_t i = index < 0 ? index + axisSize : index;
      if (i < 0 || i >= axisSize)
        return op.emitError("index ")
               << index << " is out of range for a dimension of size "
               << axisSize;
      std::memcpy(out + (o * indices.size() + n) * rowBytes,
                  data.data() + (o * axisSize + i) * rowBytes, rowBytes);
    }
  }
  return result;
}

static FailureOr<HostTensor> transpose(TransposeOp op,
                                       ArrayRef<HostTensor> operands) {
  const HostTensor &input = operands[0];
  SmallVector<int64_t> inputStrides = stridesOf(input.shape());
  SmallVector<int64_t> shape, strides;
  for (int64_t dim : op.getPermutation()) {
    shape.push_back(input.shape()[dim]);
    strides.push_back(inputStrides[dim]);
  }
  return gatherStrided(input, shape, strides);
}

/// The shape ONNX Reshape produces for `input` and the requested `shape`.
static FailureOr<SmallVector<int64_t>>
reshapeTarget(Operation *op, ArrayRef<int64_t> input,
              ArrayRef<int64_t> requested, bool allowZero) {
  SmallVector<int64_t> shape;
  int64_t inferred = -1, known = 1, total = 1;
  for (int64_t dim : input)
    total *= dim;
  for (auto [i, value] : llvm::enumerate(requested)) {
    int64_t size = value;
    if (value == 0 && !allowZero) {
      if (i >= input.size())
        return op->emitError("shape entry ")
               << i << " copies a missing dimension";
      size = input[i];
    } else if (value == -1) {
      inferred = i;
      size = 1;
    } else if (value < 0) {
      return op->emitError("shape entry ") << value << " is negative";
    }
    shape.push_back(size);
    known *= size;
  }
  if (inferred >= 0) {
    if (known == 0 || total % known)
      return op->emitError("cannot infer -1: ")
             << total << " elements do not divide into " << known;
    shape[inferred] = total / known;
  } else if (known != total) {
    return op->emitError("cannot reshape ")
           << total << " elements into " << known;
  }
  return shape;
}

static FailureOr<HostTensor> reshape(ReshapeOp op,
                                     ArrayRef<HostTensor> operands) {
  FailureOr<SmallVector<int64_t>> shape = reshapeTarget(
      op, operands[0].shape(), integerValues(operands[1]), op.getAllowzero());
  if (failed(shape))
    return failure();
  return operands[0].reshaped(*shape);
}

static FailureOr<HostTensor> expand(ExpandOp op,
                                    ArrayRef<HostTensor> operands) {
  FailureOr<SmallVector<int64_t>> shape =
      broadcastShapes(operands[0].shape(), integerValues(operands[1]));
  if (failed(shape) || llvm::any_of(*shape, [](int64_t d) { return d < 0; }))
    return op.emitError("cannot expand to the requested shape");
  return gatherStrided(operands[0], *shape,
                       broadcastStrides(operands[0].shape(), *shape));
}

static FailureOr<HostTensor> concat(ConcatOp op,
                                    ArrayRef<HostTensor> operands) {
  const HostTensor &first = operands.front();
  int64_t axis = *normalizeAxis(op.getAxis(), first.rank());
  SmallVector<int64_t> shape(first.shape());
  shape[axis] = 0;
  for (const HostTensor &input : operands) {
    for (int64_t dim = 0; dim < first.rank(); ++dim)
      if (dim != axis && input.shape()[dim] != first.shape()[dim])
        return op.emitError("inputs differ in dimension ") << dim;
    shape[axis] += input.shape()[axis];
  }
  int64_t outer = 1;
  for (int64_t dim : ArrayRef<int64_t>(shape).take_front(axis))
    outer *= dim;
  HostTensor result(first.kind(), shape);
  size_t size = elementSize(first.kind());
  char *out = mutableBytes(result);
  for (int64_t o = 0; o < outer; ++o) {
    for (const HostTensor &input : operands) {
      size_t chunk = input.numElements() / std::max<int64_t>(outer, 1) * size;
      std::memcpy(out, input.data() + o * chunk, chunk);
      out += chunk;
    }
  }
  return result;
}

static FailureOr<HostTensor> slice(SliceOp op, ArrayRef<HostTensor> operands) {
  const HostTensor &input = operands[0];
  SmallVector<int64_t> starts = integerValues(operands[1]);
  SmallVector<int64_t> ends = integerValues(operands[2]);
  SmallVector<int64_t> steps = integerValues(operands[3]);
  SmallVector<int64_t> shape(input.shape());
  SmallVector<int64_t> strides = stridesOf(input.shape());
  int64_t base = 0;
  for (auto [i, axis] : llvm::enumerate(op.getAxes())) {
    int64_t dim = *normalizeAxis(axis, input.rank());
    int64_t size = input.shape()[dim], step = steps[i];
    if (step == 0)
      return op.emitError("step 0 along axis ") << axis;
    auto clampBound = [&](int64_t bound, int64_t low, int64_t high) {
      bound = bound < 0 ? bound + size : bound;
      return std::clamp(bound, low, high);
    };
    int64_t start = step > 0 ? clampBound(starts[i], 0, size)
                             : clampBound(starts[i], -1, size - 1);
    int64_t end = step > 0 ? clampBound(ends[i], 0, size)
                           : clampBound(ends[i], -1, size - 1);
    shape[dim] = step > 0
                     ? std::max<int64_t>(0, (end - start + step - 1) / step)
                     : std::max<int64_t>(0, (start - end - step - 1) / -step);
    base += start * strides[dim];
    strides[dim] *= step;
  }
  return gatherStrided(input, shape, strides, base);
}

static FailureOr<HostTensor> squeeze(SqueezeOp op,
                                     ArrayRef<HostTensor> operands) {
  SmallVector<int64_t> shape;
  for (auto [dim, size] : llvm::enumerate(operands[0].shape())) {
    bool removed = llvm::any_of(op.getAxes(), [&](int64_t axis) {
      return *normalizeAxis(axis, operands[0].rank()) ==
             static_cast<int64_t>(dim);
    });
    if (removed && size != 1)
      return op.emitError("squeezes dimension ") << dim << " of size " << size;
    if (!removed)
      shape.push_back(size);
  }
  return operands[0].reshaped(shape);
}

static FailureOr<HostTensor> unsqueeze(UnsqueezeOp op,
                                       ArrayRef<HostTensor> operands) {
  int64_t rank = operands[0].rank() + op.getAxes().size();
  SmallVector<int64_t> shape;
  ArrayRef<int64_t> rest = operands[0].shape();
  for (int64_t dim = 0; dim < rank; ++dim) {
    bool inserted = llvm::any_of(op.getAxes(), [&](int64_t axis) {
      return *normalizeAxis(axis, rank) == dim;
    });
    if (inserted) {
      shape.push_back(1);
    } else {
      shape.push_back(rest.front());
      rest = rest.drop_front();
    }
  }
  return operands[0].reshaped(shape);
}

static FailureOr<HostTensor> shapeOp(ShapeOp op,
                                     ArrayRef<HostTensor> operands) {
  int64_t rank = operands[0].rank();
  auto clampDim = [rank](int64_t dim) {
    return std::clamp<int64_t>(dim < 0 ? dim + rank : dim, 0, rank);
  };
  int64_t start = clampDim(op.getStart());
  int64_t end = op.getEnd() ? clampDim(*op.getEnd()) : rank;
  HostTensor result(ElementKind::I64, {std::max<int64_t>(end - start, 0)});
  for (int64_t dim = start; dim < end; ++dim)
    result.mutableValues<int64_t>()[dim - start] = operands[0].shape()[dim];
  return result;
}

static FailureOr<HostTensor> constantOfShape(ConstantOfShapeOp op,
                                             ArrayRef<HostTensor> operands) {
  SmallVector<int64_t> shape = integerValues(operands[0]);
  if (llvm::any_of(shape, [](int64_t d) { return d < 0; }))
    return op.emitError("shape has a negative dimension");
  ElementKind kind = kindOf(op.getResult());
  HostTensor result(kind, shape);
  TypedAttr value = op.getValue();
  for (int64_t i = 0; i < result.numElements(); ++i) {
    if (auto f = dyn_cast<FloatAttr>(value))
      result.mutableValues<float>()[i] = f.getValueAsDouble();
    else if (kind == ElementKind::Bool)
      result.mutableValues<uint8_t>()[i] =
          !cast<IntegerAttr>(value).getValue().isZero();
    else
      result.mutableValues<int64_t>()[i] = cast<IntegerAttr>(value).getInt();
  }
  return result;
}

static FailureOr<HostTensor> range(RangeOp op, ArrayRef<HostTensor> operands) {
  ElementKind kind = operands[0].kind();
  auto scalar = [&](const HostTensor &t) {
    return kind == ElementKind::F32 ? double(t.values<float>()[0])
                                    : double(t.values<int64_t>()[0]);
  };
  double start = scalar(operands[0]), limit = scalar(operands[1]),
         delta = scalar(operands[2]);
  if (delta == 0)
    return op.emitError("delta is 0");
  double steps = std::ceil((limit - start) / delta);
  if (!(steps < 1e12))
    return op.emitError("the range has too many elements");
  int64_t count = std::max<int64_t>(0, static_cast<int64_t>(steps));
  HostTensor result(kind, {count});
  for (int64_t i = 0; i < count; ++i) {
    if (kind == ElementKind::F32)
      result.mutableValues<float>()[i] = static_cast<float>(start + i * delta);
    else
      result.mutableValues<int64_t>()[i] = operands[0].values<int64_t>()[0] +
                                           i * operands[2].values<int64_t>()[0];
  }
  return result;
}

static FailureOr<HostTensor> trilu(TriluOp op, ArrayRef<HostTensor> operands) {
  const HostTensor &input = operands[0];
  HostTensor result(input.kind(), input.shape());
  int64_t rows = input.shape()[input.rank() - 2], cols = input.shape().back();
  size_t size = elementSize(input.kind());
  char *out = mutableBytes(result);
  for (int64_t i = 0; i < input.numElements(); ++i) {
    int64_t col = i % cols, row = (i / cols) % rows;
    bool keep = op.getUpper() ? col - row >= op.getK() : col - row <= op.getK();
    if (keep)
      std::memcpy(out + i * size, input.data() + i * size, size);
  }
  return result;
}

void interp::registerTensorKernels(KernelRegistry &registry) {
  registry.add(gather);
  registry.add(transpose);
  registry.add(reshape);
  registry.add(expand);
  registry.add(concat);
  registry.add(slice);
  registry.add(squeeze);
  registry.add(unsqueeze);
  registry.add(shapeOp);
  registry.add(constantOfShape);
  registry.add(range);
  registry.add(trilu);
}
