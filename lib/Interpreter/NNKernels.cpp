//===- NNKernels.cpp - transformer blocks in the interpreter --------------===//
//
// Float GEMMs go through OpenBLAS (cblas_sgemm); reductions inside norms and
// softmax accumulate in double so that the oracle's own rounding stays well
// below the tolerances it is used with.
//
// Work is split across threads here (llvm::parallelFor) and OpenBLAS runs
// single-threaded inside each piece: its own pool would spin beside ours.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"
#include "llvm/Support/Parallel.h"
#include <cblas.h>
#include <cmath>

using namespace qcc;
using namespace qcc::interp;

void interp::sgemm(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                   const float *b, int64_t ldb, bool bTransposed, float *c,
                   int64_t ldc) {
  if (m == 0 || n == 0)
    return;
  cblas_sgemm(CblasRowMajor, CblasNoTrans,
              bTransposed ? CblasTrans : CblasNoTrans, m, n, k, 1.0f, a, lda, b,
              ldb, 0.0f, c, ldc);
}

static void sgemm(int64_t m, int64_t n, int64_t k, const float *a,
                  const float *b, bool bTransposed, float *c) {
  sgemm(m, n, k, a, k, b, bTransposed ? k : n, bTransposed, c, n);
}

void interp::parallelChunks(int64_t count,
                            llvm::function_ref<void(int64_t, int64_t)> body) {
  int64_t threads = llvm::parallel::strategy.compute_thread_count();
  int64_t pieces = std::min<int64_t>(count, threads * 4);
  if (pieces <= 1) {
    body(0, count);
    return;
  }
  llvm::parallelFor(0, pieces, [&](size_t piece) {
    body(count * piece / pieces, count * (piece + 1) / pieces);
  });
}

HostTensor interp::multiplyLinear(const HostTensor &input,
                                  const HostTensor &weight,
                                  const HostTensor *biasTensor) {
  int64_t n = weight.shape()[0], k = weight.shape()[1];
  SmallVector<int64_t> shape(input.shape().drop_back());
  shape.push_back(n);
  HostTensor result(ElementKind::F32, shape);
  int64_t m = k ? input.numElements() / k : 0;
  const float *x = input.values<float>().data();
  const float *w = weight.values<float>().data();
  float *y = result.mutableValues<float>().data();
  if (m >= 64)
    parallelChunks(m, [&](int64_t begin, int64_t end) {
      sgemm(end - begin, n, k, x + begin * k, k, w, k, /*bTransposed=*/true,
            y + begin * n, n);
    });
  else
    parallelChunks(n, [&](int64_t begin, int64_t end) {
      sgemm(m, end - begin, k, x, k, w + begin * k, k, /*bTransposed=*/true,
            y + begin, n);
    });
  if (biasTensor) {
    ArrayRef<float> bias = biasTensor->values<float>();
    MutableArrayRef<float> out = result.mutableValues<float>();
    for (int64_t row = 0; row < m; ++row)
      for (int64_t col = 0; col < n; ++col)
        out[row * n + col] += bias[col];
  }
  return result;
}

static FailureOr<HostTensor> linear(LinearOp, ArrayRef<HostTensor> operands) {
  return multiplyLinear(operands[0], operands[1],
                        operands.size() > 2 ? &operands[2] : nullptr);
}

static FailureOr<HostTensor> matmul(MatMulOp op,
                                    ArrayRef<HostTensor> operands) {
  const HostTensor &lhs = operands[0], &rhs = operands[1];
  if (lhs.kind() != ElementKind::F32)
    return op.emitError("the interpreter multiplies float matrices only");
  int64_t m = lhs.shape()[lhs.rank() - 2], k = lhs.shape().back();
  int64_t n = rhs.shape().back();
  SmallVector<int64_t> batch =
      *broadcastShapes(lhs.shape().drop_back(2), rhs.shape().drop_back(2));
  SmallVector<int64_t> shape(batch);
  shape.append({m, n});
  HostTensor result(ElementKind::F32, shape);
  const float *a = lhs.values<float>().data(), *b = rhs.values<float>().data();
  float *c = result.mutableValues<float>().data();
  // Broadcast strides count whole matrices.
  SmallVector<int64_t> lhsBatch(lhs.shape().drop_back(2));
  SmallVector<int64_t> rhsBatch(rhs.shape().drop_back(2));
  forEachIndex(
      batch,
      {broadcastStrides(lhsBatch, batch), broadcastStrides(rhsBatch, batch)},
      [&](int64_t i, ArrayRef<int64_t> offsets) {
        sgemm(m, n, k, a + offsets[0] * m * k, b + offsets[1] * k * n,
              /*bTransposed=*/false, c + i * m * n);
      });
  return result;
}

/// Normalizes rows of `size` elements: (x - mean) / sqrt(var + eps) when
/// `center`, x / sqrt(mean(x²) + eps) otherwise, then scales (and shifts).
static HostTensor normalizeRows(const HostTensor &input, int64_t size,
                                float epsilon, bool center,
                                ArrayRef<float> scale, ArrayRef<float> bias) {
  HostTensor result(ElementKind::F32, input.shape());
  ArrayRef<float> in = input.values<float>();
  MutableArrayRef<float> out = result.mutableValues<float>();
  int64_t rows = size ? input.numElements() / size : 0;
  parallelChunks(rows, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const float *x = in.data() + row * size;
      double mean = 0.0;
      if (center) {
        for (int64_t i = 0; i < size; ++i)
          mean += x[i];
        mean /= size;
      }
      double squares = 0.0;
      for (int64_t i = 0; i < size; ++i)
        squares += (x[i] - mean) * (x[i] - mean);
      double inverse = 1.0 / std::sqrt(squares / size + epsilon);
      for (int64_t i = 0; i < size; ++i) {
        double y = (x[i] - mean) * inverse * scale[i];
        out[row * size + i] =
            static_cast<float>(bias.empty() ? y : y + bias[i]);
      }
    }
  });
  return result;
}

static FailureOr<HostTensor> layerNorm(LayerNormOp op,
                                       ArrayRef<HostTensor> operands) {
  int64_t axis = *normalizeAxis(op.getAxis(), operands[0].rank());
  int64_t size = 1;
  for (int64_t dim : operands[0].shape().drop_front(axis))
    size *= dim;
  ArrayRef<float> bias =
      operands.size() > 2 ? operands[2].values<float>() : ArrayRef<float>();
  return normalizeRows(operands[0], size, op.getEpsilon().convertToFloat(),
                       /*center=*/true, operands[1].values<float>(), bias);
}

static FailureOr<HostTensor> rmsNorm(RmsNormOp op,
                                     ArrayRef<HostTensor> operands) {
  return normalizeRows(operands[0], operands[0].shape().back(),
                       op.getEpsilon().convertToFloat(), /*center=*/false,
                       operands[1].values<float>(), {});
}

/// Softmax over `axisSize` elements spaced `inner` apart, in place.
static void softmaxInPlace(float *data, int64_t axisSize, int64_t inner) {
  float maximum = -INFINITY;
  for (int64_t i = 0; i < axisSize; ++i)
    maximum = std::fmax(maximum, data[i * inner]);
  double sum = 0.0;
  for (int64_t i = 0; i < axisSize; ++i) {
    float e = std::exp(data[i * inner] - maximum);
    data[i * inner] = e;
    sum += e;
  }
  for (int64_t i = 0; i < axisSize; ++i)
    data[i * inner] = static_cast<float>(data[i * inner] / sum);
}

static FailureOr<HostTensor> softmax(SoftmaxOp op,
                                     ArrayRef<HostTensor> operands) {
  const HostTensor &input = operands[0];
  int64_t axis = *normalizeAxis(op.getAxis(), input.rank());
  int64_t axisSize = input.shape()[axis], inner = 1, outer = 1;
  for (int64_t dim : input.shape().drop_front(axis + 1))
    inner *= dim;
  for (int64_t dim : input.shape().take_front(axis))
    outer *= dim;
  HostTensor result(ElementKind::F32, input.shape());
  MutableArrayRef<float> out = result.mutableValues<float>();
  llvm::copy(input.values<float>(), out.begin());
  parallelChunks(outer * inner, [&](int64_t begin, int64_t end) {
    for (int64_t j = begin; j < end; ++j)
      softmaxInPlace(out.data() + (j / inner) * axisSize * inner + j % inner,
                     axisSize, inner);
  });
  return result;
}

static FailureOr<HostTensor> gelu(GeluOp op, ArrayRef<HostTensor> operands) {
  bool tanhForm = op.getApproximate() == "tanh";
  HostTensor result(ElementKind::F32, operands[0].shape());
  for (auto [out, x] :
       llvm::zip(result.mutableValues<float>(), operands[0].values<float>())) {
    double v = x;
    out = static_cast<float>(
        tanhForm ? 0.5 * v *
                       (1.0 + std::tanh(std::sqrt(2.0 / M_PI) *
                                        (v + 0.044715 * v * v * v)))
                 : 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))));
  }
  return result;
}

static FailureOr<HostTensor> silu(SiluOp, ArrayRef<HostTensor> operands) {
  HostTensor result(ElementKind::F32, operands[0].shape());
  for (auto [out, x] :
       llvm::zip(result.mutableValues<float>(), operands[0].values<float>()))
    out = x / (1.0f + std::exp(-x));
  return result;
}

static FailureOr<HostTensor> rotary(RotaryOp, ArrayRef<HostTensor> operands) {
  const HostTensor &input = operands[0];
  ArrayRef<int64_t> shape = input.shape();
  int64_t half = shape.back() / 2;
  HostTensor result(ElementKind::F32, shape);
  ArrayRef<float> x = input.values<float>();
  ArrayRef<float> cos = operands[1].values<float>();
  ArrayRef<float> sin = operands[2].values<float>();
  MutableArrayRef<float> out = result.mutableValues<float>();
  forEachIndex(shape,
               {broadcastStrides(operands[1].shape(), shape),
                broadcastStrides(operands[2].shape(), shape)},
               [&](int64_t i, ArrayRef<int64_t> offsets) {
                 int64_t d = i % shape.back();
                 float rotated = d < half ? -x[i + half] : x[i - half];
                 out[i] = x[i] * cos[offsets[0]] + rotated * sin[offsets[1]];
               });
  return result;
}

static FailureOr<HostTensor> attention(AttentionOp op,
                                       ArrayRef<HostTensor> operands) {
  const HostTensor &q = operands[0], &k = operands[1], &v = operands[2];
  int64_t batch = q.shape()[0], heads = q.shape()[1], s = q.shape()[2];
  int64_t d = q.shape()[3], kvHeads = k.shape()[1], t = k.shape()[2];
  int64_t dv = v.shape()[3];
  if (k.shape()[0] != batch || v.shape()[0] != batch || kvHeads == 0 ||
      heads % kvHeads || v.shape()[2] != t || k.shape()[3] != d)
    return op.emitError("query, key and value shapes do not fit together");
  int64_t group = heads / kvHeads;
  float scale = op.getScale().convertToFloat();
  float maskedValue =
      op.getMaskedValue() ? op.getMaskedValue()->convertToFloat() : 0.0f;
  HostTensor result(ElementKind::F32, {batch, heads, s, dv});
  SmallVector<int64_t> scoreShape = {batch, heads, s, t};
  SmallVector<int64_t> maskStrides;
  if (operands.size() > 3)
    maskStrides = broadcastStrides(operands[3].shape(), scoreShape);
  parallelChunks(batch * heads, [&](int64_t begin, int64_t end) {
    std::vector<float> scores(s * t);
    for (int64_t bh = begin; bh < end; ++bh) {
      int64_t b = bh / heads, h = bh % heads;
      const float *qp = q.values<float>().data() + ((b * heads + h) * s) * d;
      int64_t kvh = h / group;
      const float *kp =
          k.values<float>().data() + ((b * kvHeads + kvh) * t) * d;
      const float *vp =
          v.values<float>().data() + ((b * kvHeads + kvh) * t) * dv;
      sgemm(s, t, d, qp, kp, /*bTransposed=*/true, scores.data());
      for (int64_t i = 0; i < s; ++i) {
        float *row = scores.data() + i * t;
        for (int64_t j = 0; j < t; ++j)
          row[j] *= scale;
        if (!maskStrides.empty()) {
          int64_t rowOffset =
              b * maskStrides[0] + h * maskStrides[1] + i * maskStrides[2];
          int64_t step = maskStrides[3];
          if (operands[3].kind() == ElementKind::Bool) {
            const uint8_t *keep =
                operands[3].values<uint8_t>().data() + rowOffset;
            for (int64_t j = 0; j < t; ++j)
              if (!keep[j * step])
                row[j] = maskedValue;
          } else {
            const float *add = operands[3].values<float>().data() + rowOffset;
            for (int64_t j = 0; j < t; ++j)
              row[j] += add[j * step];
          }
        }
        softmaxInPlace(row, t, 1);
      }
      float *out =
          result.mutableValues<float>().data() + ((b * heads + h) * s) * dv;
      sgemm(s, dv, t, scores.data(), vp, /*bTransposed=*/false, out);
    }
  });
  return result;
}

/// Reduces over `axes` (all when empty) with `combine`, starting from `init`;
/// `finish(acc, count)` turns the accumulator into the result.
template <typename T, typename Combine, typename Finish>
static HostTensor reduce(const HostTensor &input, ArrayRef<int64_t> axes,
                         bool keepdims, double init, Combine combine,
                         Finish finish) {
  int64_t rank = input.rank();
  SmallVector<bool> reduced(rank, axes.empty());
  for (int64_t axis : axes)
    reduced[*normalizeAxis(axis, rank)] = true;
  SmallVector<int64_t> kept, resultShape;
  int64_t count = 1;
  for (int64_t dim = 0; dim < rank; ++dim) {
    int64_t size = input.shape()[dim];
    kept.push_back(reduced[dim] ? 1 : size);
    if (reduced[dim])
      count *= size;
    if (!reduced[dim])
      resultShape.push_back(size);
    else if (keepdims)
      resultShape.push_back(1);
  }
  SmallVector<int64_t> keptStrides = stridesOf(kept);
  for (int64_t dim = 0; dim < rank; ++dim)
    if (reduced[dim])
      keptStrides[dim] = 0;
  int64_t outputs = 1;
  for (int64_t size : kept)
    outputs *= size;
  std::vector<double> acc(outputs, init);
  ArrayRef<T> in = input.values<T>();
  forEachIndex(input.shape(), {keptStrides},
               [&](int64_t i, ArrayRef<int64_t> offsets) {
                 acc[offsets[0]] = combine(acc[offsets[0]], double(in[i]));
               });
  HostTensor result(input.kind(), resultShape);
  MutableArrayRef<T> out = result.mutableValues<T>();
  for (int64_t i = 0; i < outputs; ++i)
    out[i] = static_cast<T>(finish(acc[i], count));
  return result;
}

template <typename OpTy, typename Combine, typename Finish>
static FailureOr<HostTensor> reduceOp(OpTy op, ArrayRef<HostTensor> operands,
                                      double init, Combine combine,
                                      Finish finish) {
  if (operands[0].kind() == ElementKind::F32)
    return reduce<float>(operands[0], op.getAxes(), op.getKeepdims(), init,
                         combine, finish);
  if (operands[0].kind() == ElementKind::I64)
    return reduce<int64_t>(operands[0], op.getAxes(), op.getKeepdims(), init,
                           combine, finish);
  return op.emitError("is not defined on booleans");
}

static FailureOr<HostTensor> reduceMean(ReduceMeanOp op,
                                        ArrayRef<HostTensor> operands) {
  return reduceOp(
      op, operands, 0.0, std::plus<double>(),
      [](double acc, int64_t count) { return count ? acc / count : NAN; });
}

static FailureOr<HostTensor> reduceSum(ReduceSumOp op,
                                       ArrayRef<HostTensor> operands) {
  return reduceOp(op, operands, 0.0, std::plus<double>(),
                  [](double acc, int64_t) { return acc; });
}

static FailureOr<HostTensor> reduceMax(ReduceMaxOp op,
                                       ArrayRef<HostTensor> operands) {
  return reduceOp(
      op, operands, -INFINITY,
      [](double a, double b) { return std::fmax(a, b); },
      [](double acc, int64_t) { return acc; });
}

void interp::registerNNKernels(KernelRegistry &registry) {
  registry.add(linear);
  registry.add(matmul);
  registry.add(layerNorm);
  registry.add(rmsNorm);
  registry.add(softmax);
  registry.add(gelu);
  registry.add(silu);
  registry.add(rotary);
  registry.add(attention);
  registry.add(reduceMean);
  registry.add(reduceSum);
  registry.add(reduceMax);
}
