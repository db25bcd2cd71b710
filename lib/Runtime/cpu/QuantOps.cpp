//===- QuantOps.cpp - quantized kernels of generated models ---------------===//
//
// qlinear runs the x86 kernels of QLinearKernels.h on weights that
// qcc-lower-x86 packed; quantize, dequantize and hadamard use qcc's shared
// numerics, as the interpreter does.
//
//===----------------------------------------------------------------------===//

#include "FloatGemm.h"
#include "MinifloatKernels.h"
#include "Ops.h"
#include "QLinearKernels.h"
#include "ThreadPool.h"
#include "qcc/Numerics/Activations.h"
#include "qcc/Numerics/Hadamard.h"

using namespace qcc::rt;
namespace num = qcc::numerics;

std::optional<Shape> qcc::rt::qlinearShape(Session *s, Node node,
                                           const Tensor &x, int64_t n,
                                           int64_t k) {
  if (x.rank() == 0 || x.shape().back() != k) {
    s->fail(node, "input " + formatShape(x.shape()) + " does not have " +
                      std::to_string(k) + " columns");
    return std::nullopt;
  }
  Shape shape = x.shape();
  shape.back() = n;
  return shape;
}

Tensor qcc::rt::qlinear(Session *s, Node node, const Tensor &x,
                        const Tensor &codes, const Tensor &scales,
                        const Tensor &channelScales, const Tensor &bias,
                        const Tensor &lorcU, const Tensor &lorcV,
                        QLinearLayout layout) {
  if (s->failed())
    return {};
  int64_t n = layout.n, k = layout.k;
  std::optional<Shape> shape = qlinearShape(s, node, x, n, k);
  if (!shape)
    return {};
  Tensor result = Tensor::allocate(DType::F32, *shape);
  float *y = result.mutableData<float>();
  int64_t m = k ? x.numElements() / k : 0;
  // Output columns split across threads, pieces of at least ~64k MACs.
  int64_t grain = std::max<int64_t>(1, 65536 / std::max<int64_t>(1, m * k));
  const float *channels =
      channelScales.isNull() ? nullptr : channelScales.data<float>();
  std::vector<float> maxima;
  if (layout.smoothGroup && layout.activationMaximum != 0.0f) {
    maxima.resize((k + layout.smoothGroup - 1) / layout.smoothGroup);
    runtimeSmoothMaxima(x.data<float>(), m, k, layout.smoothGroup,
                        maxima.data());
  }
  const float *smooth = maxima.empty() ? nullptr : maxima.data();

  if (layout.codes == WeightCodes::E4M3 || layout.codes == WeightCodes::E2M1) {
    MinifloatWeight weight{n,
                           k,
                           layout.groupSize,
                           layout.groups,
                           codes.data<uint8_t>(),
                           layout.codes == WeightCodes::E2M1,
                           scales.data<float>(),
                           channels};
    if (!layout.fp8Activations) {
      parallelFor(n, grain, [&](int64_t begin, int64_t end) {
        minifloatWeightOnlyLinear(x.data<float>(), m, weight, y, n, begin, end);
      });
    } else {
      // As the interpreter: smooth, then round each row to e4m3 codes.
      std::vector<float> smoothed(x.data<float>(),
                                  x.data<float>() + x.numElements());
      if (smooth)
        for (int64_t i = 0; i < m * k; ++i)
          smoothed[i] *= 1.0f / smooth[(i % k) / layout.smoothGroup];
      std::vector<float> activationCodes(m * k), tokenScales(m);
      num::quantizeRows(smoothed.data(), m, k, layout.activationMaximum,
                        /*fp8=*/true, activationCodes.data(),
                        tokenScales.data());
      parallelFor(n, grain, [&](int64_t begin, int64_t end) {
        minifloatLinear(activationCodes.data(), tokenScales.data(), m,
                        layout.block, smooth, layout.smoothGroup, weight, y, n,
                        begin, end);
      });
    }
  } else {
    IntegerWeight weight;
    weight.n = n;
    weight.k = k;
    weight.groupSize = layout.groupSize;
    weight.groups = layout.groups;
    if (layout.codes == WeightCodes::Int4)
      weight.packedInt4 = codes.data<uint8_t>();
    else
      weight.codes = codes.data<int8_t>();
    if (layout.twoLevel)
      weight.integerScales = scales.data<uint8_t>();
    else
      weight.groupScales = scales.data<float>();
    weight.channelScales = channels;
    if (layout.activationMaximum == 0.0f) {
      // w4a16's 16-bit activations: bf16 on x86 (QLinearKernels.h).
      parallelFor(n, grain, [&](int64_t begin, int64_t end) {
        weightOnlyLinear(x.data<float>(), m, weight, y, n, begin, end);
      });
    } else {
      std::vector<int8_t> activationCodes(m * paddedWidth(k));
      std::vector<float> tokenScales(m);
      quantizeActivations(x.data<float>(), m, k, layout.activationMaximum,
                          smooth, layout.smoothGroup, activationCodes.data(),
                          tokenScales.data());
      IntegerProduct product;
      product.codes = activationCodes.data();
      product.tokenScales = tokenScales.data();
      product.rows = m;
      product.block = layout.block;
      product.maxima = smooth;
      product.smoothGroup = layout.smoothGroup;
      parallelFor(n, grain, [&](int64_t begin, int64_t end) {
        integerLinear(product, weight, y, n, begin, end);
      });
    }
  }
  if (!lorcU.isNull()) {
    // The low-rank correction from the float input: (x · Vᵀ) · Uᵀ.
    int64_t rank = lorcV.dim(0);
    std::vector<float> projected(m * rank), correction(m * n);
    multiplyTransposed(x.data<float>(), m, k, lorcV.data<float>(), rank, k, k,
                       projected.data(), rank);
    parallelFor(n, grain, [&](int64_t begin, int64_t end) {
      multiplyTransposed(projected.data(), m, rank,
                         lorcU.data<float>() + begin * rank, end - begin, rank,
                         rank, correction.data() + begin, n);
    });
    for (int64_t i = 0; i < m * n; ++i)
      y[i] += correction[i];
  }
  if (!bias.isNull())
    for (int64_t i = 0; i < m * n; ++i)
      y[i] += bias.data<float>()[i % n];
  return result;
}

namespace {

/// Codes (as f32 values) and scales of qcc.quantize over the last dimension.
void quantizeLastDimension(const Tensor &x, float maximum, bool fp8,
                           std::vector<float> &codes,
                           std::vector<float> &scales) {
  int64_t width = x.shape().back();
  int64_t rows = width ? x.numElements() / width : 0;
  codes.resize(x.numElements());
  scales.resize(rows);
  num::quantizeRows(x.data<float>(), rows, width, maximum, fp8, codes.data(),
                    scales.data());
}

} // namespace

Tensor qcc::rt::quantizeCodes(Session *s, Node, const Tensor &x, float maximum,
                              bool fp8) {
  if (s->failed())
    return {};
  std::vector<float> codes, scales;
  quantizeLastDimension(x, maximum, fp8, codes, scales);
  Tensor result = Tensor::allocate(fp8 ? DType::F32 : DType::I64, x.shape());
  for (size_t i = 0; i < codes.size(); ++i) {
    if (fp8)
      result.mutableData<float>()[i] = codes[i];
    else
      result.mutableData<int64_t>()[i] = static_cast<int64_t>(codes[i]);
  }
  return result;
}

Tensor qcc::rt::quantizeScales(Session *s, Node, const Tensor &x, float maximum,
                               bool fp8) {
  if (s->failed())
    return {};
  std::vector<float> codes, scales;
  quantizeLastDimension(x, maximum, fp8, codes, scales);
  Shape shape = x.shape();
  shape.back() = 1;
  Tensor result = Tensor::allocate(DType::F32, shape);
  std::copy(scales.begin(), scales.end(), result.mutableData<float>());
  return result;
}

Tensor qcc::rt::dequantize(Session *s, Node, const Tensor &codes,
                           const Tensor &scales) {
  if (s->failed())
    return {};
  int64_t width = codes.shape().back();
  Tensor result = Tensor::allocate(DType::F32, codes.shape());
  for (int64_t i = 0; i < codes.numElements(); ++i) {
    float code = codes.dtype() == DType::F32
                     ? codes.data<float>()[i]
                     : static_cast<float>(codes.data<int64_t>()[i]);
    result.mutableData<float>()[i] = code * scales.data<float>()[i / width];
  }
  return result;
}

Tensor qcc::rt::hadamard(Session *s, Node, const Tensor &x, int64_t block,
                         bool transpose) {
  if (s->failed())
    return {};
  Tensor result = Tensor::allocate(DType::F32, x.shape());
  float *out = result.mutableData<float>();
  std::copy(x.data<float>(), x.data<float>() + x.numElements(), out);
  // Blocks are independent: split them over the pool.
  int64_t blocks = block ? x.numElements() / block : 0;
  parallelFor(blocks,
              std::max<int64_t>(1, kElementGrain / std::max<int64_t>(1, block)),
              [&](int64_t begin, int64_t end) {
                num::applyHadamard(out + begin * block, (end - begin) * block,
                                   block, transpose);
              });
  return result;
}
