//===- TensorOps.cpp - data movement and shape kernels of generated models ===//
//
// These move bytes and work for every element type. Reshapes and squeezes
// are views; the others copy.
//
//===----------------------------------------------------------------------===//

#include "Ops.h"
#include "ThreadPool.h"
#include <algorithm>
#include <cmath>
#include <cstring>

using namespace qcc::rt;

namespace {

Shape valuesOf(const Tensor &t) {
  return Shape(t.data<int64_t>(), t.data<int64_t>() + t.numElements());
}

/// A copy of x into `shape`, element i read at offset base + strides · index.
Tensor copyStrided(const Tensor &x, const StridedCopy &layout) {
  const Shape &shape = layout.shape, &strides = layout.strides;
  int64_t base = layout.base;
  Tensor result = Tensor::allocate(x.dtype(), shape);
  size_t size = dtypeSize(x.dtype());
  const uint8_t *in = x.data<uint8_t>();
  uint8_t *out = result.mutableData<uint8_t>();
  if (!shape.empty() && strides.back() == 1) {
    // Contiguous rows: one memcpy each.
    size_t rowBytes = shape.back() * size;
    Shape outer(shape.begin(), shape.end() - 1);
    Shape outerStrides(strides.begin(), strides.end() - 1);
    forEachIndex(outer, &outerStrides, 1, [&](int64_t i, const int64_t *at) {
      std::memcpy(out + i * rowBytes, in + (base + at[0]) * size, rowBytes);
    });
    return result;
  }
  forEachIndex(shape, &strides, 1, [&](int64_t i, const int64_t *at) {
    std::memcpy(out + i * size, in + (base + at[0]) * size, size);
  });
  return result;
}

} // namespace

Tensor qcc::rt::gather(Session *s, Node node, const Tensor &data,
                       const Tensor &indices, int64_t axis) {
  if (s->failed())
    return {};
  axis = normalizeAxis(axis, data.rank());
  int64_t size = data.dim(axis), outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= data.dim(d);
  for (int64_t d = axis + 1; d < data.rank(); ++d)
    inner *= data.dim(d);
  Shape shape(data.shape().begin(), data.shape().begin() + axis);
  shape.insert(shape.end(), indices.shape().begin(), indices.shape().end());
  shape.insert(shape.end(), data.shape().begin() + axis + 1,
               data.shape().end());
  Tensor result = Tensor::allocate(data.dtype(), shape);
  size_t rowBytes = inner * dtypeSize(data.dtype());
  int64_t count = indices.numElements();
  // Every index is checked, also where no row is copied (the GPU's way).
  for (int64_t n = 0; n < count; ++n) {
    int64_t index = indices.data<int64_t>()[n];
    if (index < -size || index >= size) {
      s->fail(node, "index " + std::to_string(index) +
                        " is out of range for a dimension of size " +
                        std::to_string(size));
      return {};
    }
  }
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t n = 0; n < count; ++n) {
      int64_t index = indices.data<int64_t>()[n];
      int64_t i = index < 0 ? index + size : index;
      std::memcpy(result.mutableData<uint8_t>() + (o * count + n) * rowBytes,
                  data.data<uint8_t>() + (o * size + i) * rowBytes, rowBytes);
    }
  return result;
}

Tensor qcc::rt::transpose(Session *s, Node, const Tensor &x,
                          Shape permutation) {
  if (s->failed())
    return {};
  return copyStrided(x, transposeCopy(x, permutation));
}

StridedCopy qcc::rt::transposeCopy(const Tensor &x, const Shape &permutation) {
  Shape own = stridesOf(x.shape());
  StridedCopy layout;
  for (int64_t d : permutation) {
    layout.shape.push_back(x.dim(d));
    layout.strides.push_back(own[d]);
  }
  return layout;
}

Tensor qcc::rt::reshape(Session *s, Node node, const Tensor &x,
                        const Tensor &shapeTensor, bool allowZero) {
  if (s->failed())
    return {};
  Shape requested = valuesOf(shapeTensor), shape;
  int64_t inferred = -1, known = 1, total = x.numElements();
  for (size_t i = 0; i < requested.size(); ++i) {
    int64_t size = requested[i];
    if (size == 0 && !allowZero) {
      if (static_cast<int64_t>(i) >= x.rank()) {
        s->fail(node, "shape entry " + std::to_string(i) +
                          " copies a missing dimension");
        return {};
      }
      size = x.dim(i);
    } else if (size == -1) {
      inferred = i;
      size = 1;
    } else if (size < 0) {
      s->fail(node, "shape entry " + std::to_string(size) + " is negative");
      return {};
    }
    shape.push_back(size);
    known *= size;
  }
  if (inferred >= 0 && known != 0 && total % known == 0)
    shape[inferred] = total / known;
  else if (inferred >= 0 || known != total) {
    s->fail(node, "cannot reshape " + formatShape(x.shape()) + " into " +
                      formatShape(requested));
    return {};
  }
  return x.reshaped(shape);
}

Tensor qcc::rt::expand(Session *s, Node node, const Tensor &x,
                       const Tensor &shapeTensor) {
  if (s->failed())
    return {};
  std::optional<StridedCopy> layout = expandCopy(s, node, x, shapeTensor);
  return layout ? copyStrided(x, *layout) : Tensor();
}

std::optional<StridedCopy> qcc::rt::expandCopy(Session *s, Node node,
                                               const Tensor &x,
                                               const Tensor &shapeTensor) {
  Shape shape;
  if (!broadcastShapes(x.shape(), valuesOf(shapeTensor), shape) ||
      std::any_of(shape.begin(), shape.end(),
                  [](int64_t d) { return d < 0; })) {
    s->fail(node, "cannot expand " + formatShape(x.shape()) + " to " +
                      formatShape(valuesOf(shapeTensor)));
    return std::nullopt;
  }
  return StridedCopy{shape, broadcastStrides(x.shape(), shape), 0};
}

Tensor qcc::rt::concat(Session *s, Node node, std::vector<Tensor> inputs,
                       int64_t axis) {
  if (s->failed())
    return {};
  std::optional<Shape> concatenated = concatShape(s, node, inputs, axis);
  if (!concatenated)
    return {};
  const Tensor &first = inputs.front();
  axis = normalizeAxis(axis, first.rank());
  const Shape &shape = *concatenated;
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= shape[d];
  Tensor result = Tensor::allocate(first.dtype(), shape);
  size_t size = dtypeSize(first.dtype());
  size_t slice = outer ? result.sizeInBytes() / outer : 0;
  // Outer slices in parallel: a KV cache's append copies the whole cache.
  int64_t grain = std::max<int64_t>(1, int64_t(kElementGrain) * 4 /
                                           std::max<int64_t>(1, slice));
  parallelFor(outer, grain, [&](int64_t begin, int64_t end) {
    uint8_t *out = result.mutableData<uint8_t>() + begin * slice;
    for (int64_t o = begin; o < end; ++o)
      for (const Tensor &t : inputs) {
        size_t chunk = t.numElements() / outer * size;
        std::memcpy(out, t.data<uint8_t>() + o * chunk, chunk);
        out += chunk;
      }
  });
  return result;
}

std::optional<Shape> qcc::rt::concatShape(Session *s, Node node,
                                          const std::vector<Tensor> &inputs,
                                          int64_t axis) {
  const Tensor &first = inputs.front();
  axis = normalizeAxis(axis, first.rank());
  Shape shape = first.shape();
  shape[axis] = 0;
  for (const Tensor &t : inputs) {
    for (int64_t d = 0; d < first.rank(); ++d)
      if (t.rank() != first.rank() || (d != axis && t.dim(d) != first.dim(d))) {
        s->fail(node, "cannot concatenate " + formatShape(first.shape()) +
                          " and " + formatShape(t.shape()) + " along axis " +
                          std::to_string(axis));
        return std::nullopt;
      }
    shape[axis] += t.dim(axis);
  }
  return shape;
}

Tensor qcc::rt::slice(Session *s, Node node, const Tensor &x,
                      const Tensor &starts, const Tensor &ends,
                      const Tensor &steps, Shape axes) {
  if (s->failed())
    return {};
  std::optional<StridedCopy> layout =
      sliceCopy(s, node, x, starts, ends, steps, axes);
  return layout ? copyStrided(x, *layout) : Tensor();
}

std::optional<StridedCopy>
qcc::rt::sliceCopy(Session *s, Node node, const Tensor &x, const Tensor &starts,
                   const Tensor &ends, const Tensor &steps, const Shape &axes) {
  Shape shape = x.shape(), strides = stridesOf(x.shape());
  int64_t base = 0;
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t d = normalizeAxis(axes[i], x.rank()), size = x.dim(d);
    int64_t step = steps.data<int64_t>()[i];
    if (step == 0) {
      s->fail(node, "step 0 along axis " + std::to_string(axes[i]));
      return std::nullopt;
    }
    auto clampBound = [&](int64_t bound, int64_t low, int64_t high) {
      return std::clamp(bound < 0 ? bound + size : bound, low, high);
    };
    int64_t low = step > 0 ? 0 : -1, high = step > 0 ? size : size - 1;
    int64_t start = clampBound(starts.data<int64_t>()[i], low, high);
    int64_t end = clampBound(ends.data<int64_t>()[i], low, high);
    shape[d] = step > 0
                   ? std::max<int64_t>(0, (end - start + step - 1) / step)
                   : std::max<int64_t>(0, (start - end - step - 1) / -step);
    base += start * strides[d];
    strides[d] *= step;
  }
  return StridedCopy{shape, strides, base};
}

Tensor qcc::rt::squeeze(Session *s, Node node, const Tensor &x, Shape axes) {
  if (s->failed())
    return {};
  Shape shape;
  for (int64_t d = 0; d < x.rank(); ++d) {
    bool removed = std::any_of(axes.begin(), axes.end(), [&](int64_t axis) {
      return normalizeAxis(axis, x.rank()) == d;
    });
    if (removed && x.dim(d) != 1) {
      s->fail(node, "squeezes dimension " + std::to_string(d) + " of size " +
                        std::to_string(x.dim(d)));
      return {};
    }
    if (!removed)
      shape.push_back(x.dim(d));
  }
  return x.reshaped(shape);
}

Tensor qcc::rt::unsqueeze(Session *s, Node, const Tensor &x, Shape axes) {
  if (s->failed())
    return {};
  int64_t rank = x.rank() + static_cast<int64_t>(axes.size());
  Shape shape;
  size_t next = 0;
  for (int64_t d = 0; d < rank; ++d) {
    bool inserted = std::any_of(axes.begin(), axes.end(), [&](int64_t axis) {
      return normalizeAxis(axis, rank) == d;
    });
    shape.push_back(inserted ? 1 : x.dim(next++));
  }
  return x.reshaped(shape);
}

Tensor qcc::rt::shapeOf(Session *s, Node, const Tensor &x, int64_t start,
                        int64_t end, bool hasEnd) {
  if (s->failed())
    return {};
  int64_t rank = x.rank();
  auto clampDim = [rank](int64_t d) {
    return std::clamp<int64_t>(d < 0 ? d + rank : d, 0, rank);
  };
  start = clampDim(start);
  end = hasEnd ? clampDim(end) : rank;
  Tensor result =
      Tensor::allocate(DType::I64, {std::max<int64_t>(end - start, 0)});
  for (int64_t d = start; d < end; ++d)
    result.mutableData<int64_t>()[d - start] = x.dim(d);
  return result;
}

Tensor qcc::rt::constantOfShape(Session *s, Node node,
                                const Tensor &shapeTensor, DType dtype,
                                double value) {
  if (s->failed())
    return {};
  Shape shape = valuesOf(shapeTensor);
  if (std::any_of(shape.begin(), shape.end(),
                  [](int64_t d) { return d < 0; })) {
    s->fail(node, "shape " + formatShape(shape) + " has a negative dimension");
    return {};
  }
  Tensor result = Tensor::allocate(dtype, shape);
  for (int64_t i = 0; i < result.numElements(); ++i) {
    if (dtype == DType::F32)
      result.mutableData<float>()[i] = static_cast<float>(value);
    else if (dtype == DType::I64)
      result.mutableData<int64_t>()[i] = static_cast<int64_t>(value);
    else
      result.mutableData<uint8_t>()[i] = value != 0;
  }
  return result;
}

Tensor qcc::rt::range(Session *s, Node node, const Tensor &start,
                      const Tensor &limit, const Tensor &delta) {
  if (s->failed())
    return {};
  bool isFloat = start.dtype() == DType::F32;
  auto scalar = [&](const Tensor &t) {
    return isFloat ? double(t.data<float>()[0]) : double(t.data<int64_t>()[0]);
  };
  double first = scalar(start), step = scalar(delta);
  if (step == 0) {
    s->fail(node, "delta is 0");
    return {};
  }
  double steps = std::ceil((scalar(limit) - first) / step);
  if (!(steps < 1e12)) {
    s->fail(node, "the range has too many elements");
    return {};
  }
  int64_t count = std::max<int64_t>(0, static_cast<int64_t>(steps));
  Tensor result = Tensor::allocate(start.dtype(), {count});
  for (int64_t i = 0; i < count; ++i) {
    if (isFloat)
      result.mutableData<float>()[i] = static_cast<float>(first + i * step);
    else
      result.mutableData<int64_t>()[i] =
          start.data<int64_t>()[0] + i * delta.data<int64_t>()[0];
  }
  return result;
}

Tensor qcc::rt::trilu(Session *s, Node, const Tensor &x, bool upper,
                      int64_t k) {
  if (s->failed())
    return {};
  Tensor result = Tensor::zeros(x.dtype(), x.shape());
  int64_t rows = x.dim(x.rank() - 2), cols = x.shape().back();
  size_t size = dtypeSize(x.dtype());
  for (int64_t i = 0; i < x.numElements(); ++i) {
    int64_t col = i % cols, row = (i / cols) % rows;
    if (upper ? col - row >= k : col - row <= k)
      std::memcpy(result.mutableData<uint8_t>() + i * size,
                  x.data<uint8_t>() + i * size, size);
  }
  return result;
}
