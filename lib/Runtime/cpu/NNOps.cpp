//===- NNOps.cpp - transformer kernels of generated models ----------------===//
//
// Norm and softmax reductions accumulate in double, as the interpreter's
// do, so that float rounding differences stay at the level of the products.
//
//===----------------------------------------------------------------------===//

#include "FloatGemm.h"
#include "Ops.h"
#include "QLinearKernels.h"
#include "ThreadPool.h"
#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <xmmintrin.h>

using namespace qcc::rt;

namespace {

int64_t product(const Shape &shape, size_t begin, size_t end) {
  int64_t count = 1;
  for (size_t i = begin; i < end; ++i)
    count *= shape[i];
  return count;
}

/// Rows of `size`: (x - mean) / sqrt(var + eps) when `center`, else
/// x / sqrt(mean(x²) + eps); then · scale (+ bias).
Tensor normalize(const Tensor &x, int64_t size, float epsilon, bool center,
                 const float *scale, const float *bias) {
  Tensor result = Tensor::allocate(DType::F32, x.shape());
  int64_t rows = size ? x.numElements() / size : 0;
  int64_t grain =
      std::max<int64_t>(1, kElementGrain / std::max<int64_t>(1, size));
  parallelFor(rows, grain, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const float *in = x.data<float>() + r * size;
      float *out = result.mutableData<float>() + r * size;
      double mean = 0.0, squares = 0.0;
      if (center) {
        for (int64_t i = 0; i < size; ++i)
          mean += in[i];
        mean /= size;
      }
      for (int64_t i = 0; i < size; ++i)
        squares += (in[i] - mean) * (in[i] - mean);
      double inverse = 1.0 / std::sqrt(squares / size + epsilon);
      for (int64_t i = 0; i < size; ++i) {
        double y = (in[i] - mean) * inverse * scale[i];
        out[i] = static_cast<float>(bias ? y + bias[i] : y);
      }
    }
  });
  return result;
}

/// Query rows per block of attention scores.
constexpr int64_t kAttentionRows = 32;

double largestRowNorm(const Tensor &x) {
  int64_t width = x.shape().back(), count = x.numElements() / width;
  const float *data = x.data<float>();
  double largest = 0.0;
  for (int64_t r = 0; r < count; ++r) {
    double sum = 0.0;
    for (int64_t c = 0; c < width; ++c)
      sum += double(data[r * width + c]) * data[r * width + c];
    largest = std::max(largest, std::sqrt(sum));
  }
  return largest;
}

/// A bound B on every |scale · q · k| (Cauchy–Schwarz), if Q and K bound
/// them and V is finite; none otherwise (NaN or infinity anywhere).
///
/// With it, attention skips dead columns exactly: a column whose masked
/// score is at least 104 below some live one's lower bound gets exactly 0
/// from softmaxInPlace, and adds exactly 0 to the output since V is finite.
/// Past each row's last live column (a causal mask's upper triangle) the
/// scores are then neither computed nor used: the same bits.
std::optional<double> scoreBound(const Tensor &q, const Tensor &k,
                                 const Tensor &v, float scale) {
  if (q.numElements() == 0 || k.numElements() == 0 || q.shape().back() == 0)
    return std::nullopt;
  double bound =
      std::fabs(double(scale)) * largestRowNorm(q) * largestRowNorm(k);
  if (!std::isfinite(bound))
    return std::nullopt;
  const float *values = v.data<float>();
  for (int64_t i = 0; i < v.numElements(); ++i)
    if (!std::isfinite(values[i]))
      return std::nullopt;
  return bound;
}

/// Softmax of `count` values spaced `stride` apart, in place: contiguous
/// rows on AVX2 (softmaxRowAvx2), else with libm's expf, as the interpreter.
void softmaxInPlace(float *data, int64_t count, int64_t stride) {
  if (stride == 1 && hasAvx2())
    return softmaxRowAvx2(data, count);
  // std::fmax's result (NaN ignored) without its library call.
  float maximum = -INFINITY;
  for (int64_t i = 0; i < count; ++i)
    maximum = data[i * stride] > maximum ? data[i * stride] : maximum;
  double sum = 0.0;
  for (int64_t i = 0; i < count; ++i) {
    // Below -104, expf is 0 (2^-150 is e^-103.97), reached through its
    // slow underflow path: masked scores take that path by the thousand.
    float shifted = data[i * stride] - maximum;
    float e = shifted < -104.0f ? 0.0f : std::exp(shifted);
    data[i * stride] = e;
    sum += e;
  }
  for (int64_t i = 0; i < count; ++i)
    data[i * stride] = static_cast<float>(data[i * stride] / sum);
}

} // namespace

Tensor qcc::rt::linear(Session *s, Node node, const Tensor &x,
                       const Tensor &weight, const Tensor &bias) {
  if (s->failed())
    return {};
  std::optional<Shape> checked = linearShape(s, node, x, weight);
  if (!checked)
    return {};
  const Shape &shape = *checked;
  int64_t n = weight.dim(0), k = weight.dim(1);
  // Rows from the leading dimensions: with k = 0 the product is all zeros.
  int64_t m = numElementsOf(Shape(shape.begin(), shape.end() - 1));
  Tensor result = k ? Tensor::allocate(DType::F32, shape)
                    : Tensor::zeros(DType::F32, shape);
  float *y = result.mutableData<float>();
  int64_t grain = std::max<int64_t>(1, 65536 / std::max<int64_t>(1, m * k));
  if (k)
    parallelFor(n, grain, [&](int64_t begin, int64_t end) {
      multiplyTransposed(x.data<float>(), m, k,
                         weight.data<float>() + begin * k, end - begin, k, k,
                         y + begin, n);
    });
  if (!bias.isNull())
    for (int64_t i = 0; i < m * n; ++i)
      y[i] += bias.data<float>()[i % n];
  return result;
}

Tensor qcc::rt::matmul(Session *s, Node node, const Tensor &a,
                       const Tensor &b) {
  if (s->failed())
    return {};
  std::optional<MatmulLayout> layout = matmulLayout(s, node, a, b);
  if (!layout)
    return {};
  int64_t m = layout->m, k = layout->k, n = layout->n;
  Shape shape = layout->batch;
  shape.push_back(m);
  shape.push_back(n);
  Tensor result = Tensor::allocate(DType::F32, shape);
  Shape strides[2] = {layout->aStrides, layout->bStrides};
  forEachIndex(layout->batch, strides, 2,
               [&](int64_t i, const int64_t *offsets) {
                 multiply(a.data<float>() + offsets[0] * m * k, m, k,
                          b.data<float>() + offsets[1] * k * n, n, n, k,
                          result.mutableData<float>() + i * m * n, n);
               });
  return result;
}

Tensor qcc::rt::layerNorm(Session *s, Node, const Tensor &x,
                          const Tensor &scale, const Tensor &bias, int64_t axis,
                          float epsilon) {
  if (s->failed())
    return {};
  int64_t size = product(x.shape(), normalizeAxis(axis, x.rank()), x.rank());
  return normalize(x, size, epsilon, /*center=*/true, scale.data<float>(),
                   bias.isNull() ? nullptr : bias.data<float>());
}

Tensor qcc::rt::rmsNorm(Session *s, Node, const Tensor &x, const Tensor &scale,
                        float epsilon) {
  if (s->failed())
    return {};
  return normalize(x, x.shape().back(), epsilon, /*center=*/false,
                   scale.data<float>(), nullptr);
}

Tensor qcc::rt::softmax(Session *s, Node, const Tensor &x, int64_t axis) {
  if (s->failed())
    return {};
  axis = normalizeAxis(axis, x.rank());
  int64_t size = x.dim(axis), inner = product(x.shape(), axis + 1, x.rank());
  int64_t outer = product(x.shape(), 0, axis);
  Tensor result = Tensor::allocate(DType::F32, x.shape());
  float *out = result.mutableData<float>();
  std::copy(x.data<float>(), x.data<float>() + x.numElements(), out);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i)
      softmaxInPlace(out + o * size * inner + i, size, inner);
  return result;
}

Tensor qcc::rt::gelu(Session *s, Node, const Tensor &x, bool tanhForm) {
  if (s->failed())
    return {};
  Tensor result = Tensor::allocate(DType::F32, x.shape());
  const double root = std::sqrt(2.0 / M_PI);
  for (int64_t i = 0; i < x.numElements(); ++i) {
    double v = x.data<float>()[i];
    double gate = tanhForm ? 1.0 + std::tanh(root * (v + 0.044715 * v * v * v))
                           : 1.0 + std::erf(v * M_SQRT1_2);
    result.mutableData<float>()[i] = static_cast<float>(0.5 * v * gate);
  }
  return result;
}

Tensor qcc::rt::silu(Session *s, Node, const Tensor &x) {
  if (s->failed())
    return {};
  Tensor result = Tensor::allocate(DType::F32, x.shape());
  const float *in = x.data<float>();
  float *out = result.mutableData<float>();
  parallelFor(x.numElements(), kElementGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      out[i] = in[i] / (1.0f + std::exp(-in[i]));
  });
  return result;
}

Tensor qcc::rt::rotary(Session *s, Node node, const Tensor &x,
                       const Tensor &cos, const Tensor &sin) {
  if (s->failed() || !checkRotaryOperands(s, node, x, cos, sin))
    return {};
  const Shape &shape = x.shape();
  int64_t width = shape.back(), half = width / 2;
  Tensor result = Tensor::allocate(DType::F32, shape);
  const float *in = x.data<float>();
  float *out = result.mutableData<float>();
  Shape strides[2] = {broadcastStrides(cos.shape(), shape),
                      broadcastStrides(sin.shape(), shape)};
  int64_t rows = width ? x.numElements() / width : 0;
  parallelFor(
      rows, std::max<int64_t>(1, kElementGrain / std::max<int64_t>(1, width)),
      [&](int64_t begin, int64_t end) {
        for (int64_t row = begin; row < end; ++row) {
          const float *cosines =
              cos.data<float>() +
              broadcastOffset(row * width, shape, strides[0]);
          const float *sines = sin.data<float>() +
                               broadcastOffset(row * width, shape, strides[1]);
          int64_t cosStep = strides[0].back(), sinStep = strides[1].back();
          const float *rowIn = in + row * width;
          float *rowOut = out + row * width;
          for (int64_t d = 0; d < width; ++d) {
            float rotated = d < half ? -rowIn[d + half] : rowIn[d - half];
            rowOut[d] =
                rowIn[d] * cosines[d * cosStep] + rotated * sines[d * sinStep];
          }
        }
      });
  return result;
}

Tensor qcc::rt::attention(Session *s, Node node, const Tensor &q,
                          const Tensor &k, const Tensor &v, const Tensor &mask,
                          float scale, float maskedValue) {
  if (s->failed())
    return {};
  std::optional<Shape> checked = checkAttentionOperands(s, node, q, k, v, mask);
  if (!checked)
    return {};
  const Shape &maskStrides = *checked;
  int64_t batch = q.dim(0), heads = q.dim(1), rows = q.dim(2), d = q.dim(3);
  int64_t kvHeads = k.dim(1), t = k.dim(2), dv = v.dim(3);
  int64_t group = heads / kvHeads;
  Tensor result = Tensor::allocate(DType::F32, {batch, heads, rows, dv});
  auto maskAt = [&](int64_t b, int64_t h, int64_t i, int64_t j) {
    return b * maskStrides[0] + h * maskStrides[1] + i * maskStrides[2] +
           j * maskStrides[3];
  };
  // Skipping needs the bound on the scores (a pass over Q, K and V), worth
  // it only when some row's last column is masked.
  bool candidates = false;
  for (int64_t b = 0; !mask.isNull() && t > 0 && b < batch && !candidates; ++b)
    for (int64_t h = 0; h < heads && !candidates; ++h)
      for (int64_t i = 0; i < rows && !candidates; ++i) {
        int64_t at = maskAt(b, h, i, t - 1);
        candidates = mask.dtype() == DType::Bool
                         ? !mask.data<uint8_t>()[at]
                         : mask.data<float>()[at] < -104.0f;
      }
  std::optional<double> bound =
      candidates ? scoreBound(q, k, v, scale) : std::nullopt;
  // B with room for the f32 rounding of q · k and of the sums below; 105
  // rather than 104 for the rounding of the softmax's subtraction.
  double b2 = bound ? *bound * 1.001 : 0.0;
  // One past row i's last live column; t when nothing can be skipped.
  auto liveColumns = [&](int64_t b, int64_t h, int64_t i) -> int64_t {
    if (!bound)
      return t;
    int64_t j = t, stride = maskStrides[3];
    if (mask.dtype() == DType::Bool) {
      // A dead score becomes maskedValue; a live one stays within ±B.
      const uint8_t *row = mask.data<uint8_t>() + maskAt(b, h, i, 0);
      if (maskedValue + b2 < -105.0)
        while (j > 0 && !row[(j - 1) * stride])
          --j;
    } else {
      // Scores are s + m with |s| <= B: the row's largest m keeps its
      // column at least top = m_max - B, so a column is dead where
      // m + B + slack < top - 105, the slack (1e-6 of the magnitudes)
      // covering the sums' rounding; solved for m, conservatively.
      const float *row = mask.data<float>() + maskAt(b, h, i, 0);
      __m128 largest = _mm_set1_ps(-INFINITY);
      int64_t c = 0;
      if (stride == 1)
        for (; c + 4 <= t; c += 4) // max(x, m) keeps m where x is NaN
          largest = _mm_max_ps(_mm_loadu_ps(row + c), largest);
      alignas(16) float lanes[4];
      _mm_store_ps(lanes, largest);
      float top =
          std::max(std::max(lanes[0], lanes[1]), std::max(lanes[2], lanes[3]));
      for (; c < t; ++c)
        top = row[c * stride] > top ? row[c * stride] : top;
      double limit = double(top) - b2 - b2 - 105.0 -
                     1e-6 * (std::fabs(double(top) - b2) + 2.0 * b2);
      limit = std::min(limit / (1.0 - 1e-6), limit / (1.0 + 1e-6));
      while (j > 0 && double(row[(j - 1) * stride]) < limit)
        --j;
    }
    return j ? j : t;
  };
  // One (batch, head) pair per piece, each with its own score rows.
  parallelFor(batch * heads, 1, [&](int64_t first, int64_t last) {
    // Rows of scores, each written before it is read: no zeroing.
    std::unique_ptr<float[]> scores(new float[rows * t]);
    std::vector<int64_t> live(rows);
    for (int64_t bh = first; bh < last; ++bh) {
      int64_t b = bh / heads, h = bh % heads;
      const float *qp = q.data<float>() + ((b * heads + h) * rows) * d;
      int64_t kvh = h / group;
      const float *kp = k.data<float>() + ((b * kvHeads + kvh) * t) * d;
      const float *vp = v.data<float>() + ((b * kvHeads + kvh) * t) * dv;
      float *out = result.mutableData<float>() + ((b * heads + h) * rows) * dv;
      for (int64_t i = 0; i < rows; ++i)
        live[i] = liveColumns(b, h, i);
      for (int64_t i0 = 0; i0 < rows; i0 += kAttentionRows) {
        int64_t count = std::min(kAttentionRows, rows - i0);
        int64_t width =
            *std::max_element(live.begin() + i0, live.begin() + i0 + count);
        float *block = scores.get() + i0 * t;
        multiplyTransposed(qp + i0 * d, count, d, kp, width, d, d, block, t);
        for (int64_t i = i0; i < i0 + count; ++i) {
          float *row = scores.get() + i * t;
          for (int64_t j = 0; j < width; ++j)
            row[j] *= scale;
          int64_t at = mask.isNull() ? 0 : maskAt(b, h, i, 0);
          int64_t step = maskStrides[3];
          if (!mask.isNull() && mask.dtype() == DType::Bool) {
            const uint8_t *keep = mask.data<uint8_t>() + at;
            for (int64_t j = 0; j < width; ++j)
              if (!keep[j * step])
                row[j] = maskedValue;
          } else if (!mask.isNull()) {
            const float *add = mask.data<float>() + at;
            for (int64_t j = 0; j < width; ++j)
              row[j] += add[j * step];
          }
          softmaxInPlace(row, width, 1);
        }
        multiply(block, count, t, vp, dv, dv, width, out + i0 * dv, dv);
      }
    }
  });
  return result;
}

std::optional<Shape> qcc::rt::linearShape(Session *s, Node node,
                                          const Tensor &x,
                                          const Tensor &weight) {
  if (x.rank() == 0 || x.shape().back() != weight.dim(1)) {
    s->fail(node, "input " + formatShape(x.shape()) +
                      " does not fit the weight " +
                      formatShape(weight.shape()));
    return std::nullopt;
  }
  Shape shape = x.shape();
  shape.back() = weight.dim(0);
  return shape;
}

std::optional<MatmulLayout>
qcc::rt::matmulLayout(Session *s, Node node, const Tensor &a, const Tensor &b) {
  if (a.rank() < 2 || b.rank() < 2 || a.shape().back() != b.dim(b.rank() - 2)) {
    s->fail(node, "cannot multiply " + formatShape(a.shape()) + " by " +
                      formatShape(b.shape()));
    return std::nullopt;
  }
  Shape aBatch(a.shape().begin(), a.shape().end() - 2);
  Shape bBatch(b.shape().begin(), b.shape().end() - 2);
  MatmulLayout layout;
  if (!broadcastShapes(aBatch, bBatch, layout.batch)) {
    s->fail(node, "batch dimensions do not broadcast");
    return std::nullopt;
  }
  layout.aStrides = broadcastStrides(aBatch, layout.batch);
  layout.bStrides = broadcastStrides(bBatch, layout.batch);
  layout.m = a.dim(a.rank() - 2);
  layout.k = a.shape().back();
  layout.n = b.shape().back();
  return layout;
}

bool qcc::rt::checkRotaryOperands(Session *s, Node node, const Tensor &x,
                                  const Tensor &cos, const Tensor &sin) {
  const Shape &shape = x.shape();
  Shape check;
  if (shape.empty() || !broadcastShapes(shape, cos.shape(), check) ||
      check != shape || !broadcastShapes(shape, sin.shape(), check) ||
      check != shape) {
    s->fail(node, "cos and sin do not broadcast to the input");
    return false;
  }
  return true;
}

std::optional<Shape> qcc::rt::checkAttentionOperands(Session *s, Node node,
                                                     const Tensor &q,
                                                     const Tensor &k,
                                                     const Tensor &v,
                                                     const Tensor &mask) {
  if (q.rank() != 4 || k.rank() != 4 || v.rank() != 4) {
    s->fail(node, "query, key and value must have rank 4");
    return std::nullopt;
  }
  int64_t batch = q.dim(0), heads = q.dim(1), rows = q.dim(2), d = q.dim(3);
  int64_t kvHeads = k.dim(1), t = k.dim(2);
  if (k.dim(0) != batch || v.dim(0) != batch || kvHeads == 0 ||
      heads % kvHeads || v.dim(2) != t || k.dim(3) != d ||
      v.dim(1) != kvHeads) {
    s->fail(node, "query " + formatShape(q.shape()) + ", key " +
                      formatShape(k.shape()) + " and value " +
                      formatShape(v.shape()) + " do not fit together");
    return std::nullopt;
  }
  if (mask.isNull())
    return Shape(4, 0);
  Shape scoreShape = {batch, heads, rows, t}, check;
  if (!broadcastShapes(scoreShape, mask.shape(), check) ||
      check != scoreShape) {
    s->fail(node, "mask " + formatShape(mask.shape()) +
                      " does not broadcast to the scores " +
                      formatShape(scoreShape));
    return std::nullopt;
  }
  return broadcastStrides(mask.shape(), scoreShape);
}

Tensor qcc::rt::reduce(Session *s, Node node, Reduction kind, const Tensor &x,
                       Shape axes, bool keepdims) {
  if (s->failed())
    return {};
  if (x.dtype() == DType::Bool) {
    s->fail(node, "reductions are not defined on booleans");
    return {};
  }
  int64_t rank = x.rank();
  std::vector<bool> reduced(rank, axes.empty());
  for (int64_t axis : axes)
    reduced[normalizeAxis(axis, rank)] = true;
  Shape kept, shape;
  int64_t count = 1;
  for (int64_t d = 0; d < rank; ++d) {
    kept.push_back(reduced[d] ? 1 : x.dim(d));
    count *= reduced[d] ? x.dim(d) : 1;
    if (!reduced[d] || keepdims)
      shape.push_back(reduced[d] ? 1 : x.dim(d));
  }
  Shape strides = stridesOf(kept);
  for (int64_t d = 0; d < rank; ++d)
    if (reduced[d])
      strides[d] = 0;
  double init = kind == Reduction::Max ? -INFINITY : 0.0;
  std::vector<double> acc(numElementsOf(kept), init);
  bool isFloat = x.dtype() == DType::F32;
  forEachIndex(x.shape(), &strides, 1, [&](int64_t i, const int64_t *at) {
    double value = isFloat ? x.data<float>()[i] : double(x.data<int64_t>()[i]);
    acc[at[0]] = kind == Reduction::Max ? std::fmax(acc[at[0]], value)
                                        : acc[at[0]] + value;
  });
  Tensor result = Tensor::allocate(x.dtype(), shape);
  for (size_t i = 0; i < acc.size(); ++i) {
    double value =
        kind == Reduction::Mean ? (count ? acc[i] / count : NAN) : acc[i];
    if (isFloat)
      result.mutableData<float>()[i] = static_cast<float>(value);
    else
      result.mutableData<int64_t>()[i] = static_cast<int64_t>(value);
  }
  return result;
}
