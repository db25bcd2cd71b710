//===- QuantKernels.cpp - quantized ops in the interpreter ----------------===//
//
// These kernels define what the generated kernels compute (see the op
// descriptions in QccQuantOps.td): codes are produced with the rounding of
// include/qcc/Numerics/Formats.h and integer products accumulate exactly, as
// int32 does. Integer block sums run through sgemm in chunks small enough
// that every partial sum is an integer below 2^24, which f32 holds exactly,
// so the oracle is exact and still as fast as a float GEMM.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"
#include "qcc/Numerics/Activations.h"
#include "qcc/Numerics/Hadamard.h"
#include <cmath>

using namespace qcc;
using namespace qcc::interp;
namespace num = qcc::numerics;

namespace {

/// Rows of activations quantized symmetrically, one scale a row.
struct QuantizedRows {
  std::vector<float> codes; // code values (decoded for fp8)
  std::vector<float> scales;
};

/// `qcc.quantize` over rows of `width`, split across cores.
QuantizedRows quantizeRows(ArrayRef<float> x, int64_t width, StringRef format) {
  int64_t rows = width ? x.size() / width : 0;
  QuantizedRows result;
  result.codes.resize(x.size());
  result.scales.resize(rows);
  float qmax = getActivationMaximum(format);
  parallelChunks(rows, [&](int64_t begin, int64_t end) {
    num::quantizeRows(x.data() + begin * width, end - begin, width, qmax,
                      format == "fp8_e4m3", result.codes.data() + begin * width,
                      result.scales.data() + begin);
  });
  return result;
}

/// A qlinear weight as its product reads it: code values per weight (q - z
/// for integers, q · s2 for two-level, decoded minifloats) and the float
/// scales of each group and output channel.
struct DecodedWeight {
  int64_t n = 0, k = 0, groupSize = 0, groups = 0;
  std::vector<float> codes;
  std::vector<float> groupScales;   // [N, groups]; 1 for two-level
  std::vector<float> channelScales; // [N] or empty
  float maxAbsCode = 0.0f;
};

/// The operand of `op` at ODS index `index`, if present.
const HostTensor *odsOperand(QLinearOp op, ArrayRef<HostTensor> operands,
                             unsigned index) {
  auto [start, length] = op.getODSOperandIndexAndLength(index);
  return length ? &operands[start] : nullptr;
}

DecodedWeight decodeWeight(QLinearOp op, ArrayRef<HostTensor> operands) {
  const HostTensor &weight = operands[1], &scales = operands[2];
  DecodedWeight w;
  w.n = weight.shape()[0];
  w.k = weight.shape()[1];
  w.groups = scales.shape()[1];
  w.groupSize = std::min(op.getGroupSize(), w.k);
  bool twoLevel =
      op.getScales().getType().getElementType().isUnsignedInteger(8);
  const HostTensor *zeros = odsOperand(op, operands, 3);
  SmallVector<int64_t> zeroValues;
  if (zeros)
    zeroValues = integerValues(*zeros);
  SmallVector<int64_t> integerScales;
  if (twoLevel)
    integerScales = integerValues(scales);
  else
    w.groupScales.assign(scales.values<float>().begin(),
                         scales.values<float>().end());
  if (const HostTensor *channel = odsOperand(op, operands, 4))
    w.channelScales.assign(channel->values<float>().begin(),
                           channel->values<float>().end());
  w.codes.resize(w.n * w.k);
  for (int64_t row = 0; row < w.n; ++row)
    for (int64_t col = 0; col < w.k; ++col) {
      int64_t g = row * w.groups + col / w.groupSize;
      double q = weight.elementAsDouble(row * w.k + col);
      if (zeros)
        q -= zeroValues[g];
      if (twoLevel)
        q *= integerScales[g];
      w.codes[row * w.k + col] = static_cast<float>(q);
      w.maxAbsCode = std::max(w.maxAbsCode, std::fabs(static_cast<float>(q)));
    }
  if (twoLevel)
    w.groupScales.assign(w.n * w.groups, 1.0f);
  return w;
}

/// Weight-only product: x · (code · (group scale · channel scale))ᵀ in f32.
HostTensor multiplyDequantized(const HostTensor &input,
                               const DecodedWeight &w) {
  HostTensor dequantized(ElementKind::F32, {w.n, w.k});
  MutableArrayRef<float> out = dequantized.mutableValues<float>();
  for (int64_t row = 0; row < w.n; ++row)
    for (int64_t col = 0; col < w.k; ++col) {
      float scale = w.groupScales[row * w.groups + col / w.groupSize];
      if (!w.channelScales.empty())
        scale *= w.channelScales[row];
      out[row * w.k + col] = w.codes[row * w.k + col] * scale;
    }
  return multiplyLinear(input, dequantized, nullptr);
}

/// Runtime Smooth: each group of `group` channels divided (as a multiply by
/// the reciprocal) by its max |x| over all rows; returns the maxima.
std::vector<float> runtimeSmooth(MutableArrayRef<float> x, int64_t width,
                                 int64_t group) {
  int64_t rows = width ? x.size() / width : 0;
  int64_t groups = (width + group - 1) / group;
  std::vector<float> maxima(groups, 0.0f);
  for (int64_t row = 0; row < rows; ++row)
    for (int64_t col = 0; col < width; ++col)
      maxima[col / group] =
          std::max(maxima[col / group], std::fabs(x[row * width + col]));
  for (float &m : maxima)
    m = m > 0.0f ? m : 1.0f;
  for (int64_t row = 0; row < rows; ++row)
    for (int64_t col = 0; col < width; ++col)
      x[row * width + col] *= 1.0f / maxima[col / group];
  return maxima;
}

/// The quantized-activation product of the op description: block sums
/// (exact integers, or f32 for fp8), scaled per block, then per token and
/// per channel.
HostTensor multiplyQuantized(QLinearOp op, const HostTensor &input,
                             const DecodedWeight &w) {
  int64_t k = w.k, n = w.n;
  int64_t m = k ? input.numElements() / k : 0;
  std::vector<float> x(input.values<float>().begin(),
                       input.values<float>().end());
  std::vector<float> smooth;
  int64_t smoothGroup = op.getRuntimeSmoothGroup().value_or(0);
  if (smoothGroup)
    smooth = runtimeSmooth(x, k, smoothGroup);
  StringRef format = op.getActivationFormat();
  QuantizedRows rows = quantizeRows(x, k, format);
  x.clear();

  int64_t block = op.getAccumulationBlock();
  // Columns per sgemm call: all of a block for f32 accumulation; for
  // integers few enough that |partial sums| <= 2^24 stay exact.
  int64_t chunk = block;
  if (format != "fp8_e4m3") {
    double bound = getActivationMaximum(format) * std::max(1.0f, w.maxAbsCode);
    chunk = std::max<int64_t>(1, std::min<double>(block, 16777216.0 / bound));
  }
  SmallVector<int64_t> shape(input.shape().drop_back());
  shape.push_back(n);
  HostTensor result(ElementKind::F32, shape);
  float *y = result.mutableValues<float>().data();
  parallelChunks(n, [&](int64_t begin, int64_t end) {
    int64_t width = end - begin;
    std::vector<float> sums(m * width, 0.0f), part(m * width);
    std::vector<int64_t> exact(m * width);
    for (int64_t start = 0; start < k; start += block) {
      int64_t size = std::min(block, k - start);
      std::fill(exact.begin(), exact.end(), 0);
      for (int64_t c = start; c < start + size; c += chunk) {
        int64_t columns = std::min(chunk, start + size - c);
        sgemm(m, width, columns, rows.codes.data() + c, k,
              w.codes.data() + begin * k + c, k, /*bTransposed=*/true,
              part.data(), width);
        if (chunk == block)
          break;
        for (int64_t i = 0; i < m * width; ++i)
          exact[i] += static_cast<int64_t>(part[i]);
      }
      if (chunk != block)
        for (int64_t i = 0; i < m * width; ++i)
          part[i] = static_cast<float>(static_cast<int32_t>(exact[i]));
      for (int64_t col = 0; col < width; ++col) {
        float scale =
            w.groupScales[(begin + col) * w.groups + start / w.groupSize];
        if (smoothGroup)
          scale *= smooth[start / smoothGroup];
        for (int64_t row = 0; row < m; ++row)
          sums[row * width + col] += part[row * width + col] * scale;
      }
    }
    for (int64_t row = 0; row < m; ++row)
      for (int64_t col = 0; col < width; ++col) {
        float value = sums[row * width + col] * rows.scales[row];
        if (!w.channelScales.empty())
          value *= w.channelScales[begin + col];
        y[row * n + begin + col] = value;
      }
  });
  return result;
}

/// A LoRC factor in f32: f16 widened, or i8 codes times per-row scales.
HostTensor loRCFactor(const HostTensor &factor, const HostTensor *scales) {
  if (!scales)
    return factor;
  HostTensor out(ElementKind::F32, factor.shape());
  int64_t columns = factor.shape()[1];
  ArrayRef<float> rowScales = scales->values<float>();
  MutableArrayRef<float> values = out.mutableValues<float>();
  for (int64_t i = 0; i < factor.numElements(); ++i)
    values[i] =
        static_cast<float>(factor.elementAsDouble(i)) * rowScales[i / columns];
  return out;
}

FailureOr<HostTensor> qlinear(QLinearOp op, ArrayRef<HostTensor> operands) {
  const HostTensor &input = operands[0];
  DecodedWeight w = decodeWeight(op, operands);
  HostTensor result = op.getActivationFormat() == "float"
                          ? multiplyDequantized(input, w)
                          : multiplyQuantized(op, input, w);
  MutableArrayRef<float> y = result.mutableValues<float>();
  if (const HostTensor *u = odsOperand(op, operands, 6)) {
    HostTensor v =
        loRCFactor(*odsOperand(op, operands, 7), odsOperand(op, operands, 9));
    HostTensor projected = multiplyLinear(input, v, nullptr);
    HostTensor correction = multiplyLinear(
        projected, loRCFactor(*u, odsOperand(op, operands, 8)), nullptr);
    for (auto [out, extra] : llvm::zip(y, correction.values<float>()))
      out += extra;
  }
  if (const HostTensor *bias = odsOperand(op, operands, 5)) {
    ArrayRef<float> b = bias->values<float>();
    for (int64_t i = 0; i < static_cast<int64_t>(y.size()); ++i)
      y[i] += b[i % w.n];
  }
  return result;
}

FailureOr<Results> quantize(QuantizeOp op, ArrayRef<HostTensor> operands) {
  const HostTensor &input = operands[0];
  int64_t width = input.shape().back();
  QuantizedRows rows =
      quantizeRows(input.values<float>(), width, op.getFormat());
  bool fp8 = op.getFormat() == "fp8_e4m3";
  HostTensor codes(fp8 ? ElementKind::F32 : ElementKind::I64, input.shape());
  if (fp8)
    llvm::copy(rows.codes, codes.mutableValues<float>().begin());
  else
    llvm::transform(rows.codes, codes.mutableValues<int64_t>().begin(),
                    [](float q) { return static_cast<int64_t>(q); });
  SmallVector<int64_t> scaleShape(input.shape());
  scaleShape.back() = 1;
  HostTensor scales(ElementKind::F32, scaleShape);
  llvm::copy(rows.scales, scales.mutableValues<float>().begin());
  return Results{std::move(codes), std::move(scales)};
}

FailureOr<HostTensor> dequantize(DequantizeOp, ArrayRef<HostTensor> operands) {
  const HostTensor &codes = operands[0];
  ArrayRef<float> scales = operands[1].values<float>();
  int64_t width = codes.shape().back();
  HostTensor result(ElementKind::F32, codes.shape());
  MutableArrayRef<float> out = result.mutableValues<float>();
  for (int64_t i = 0; i < codes.numElements(); ++i)
    out[i] = static_cast<float>(codes.elementAsDouble(i)) * scales[i / width];
  return result;
}

FailureOr<HostTensor> hadamard(HadamardOp op, ArrayRef<HostTensor> operands) {
  const HostTensor &input = operands[0];
  HostTensor result(ElementKind::F32, input.shape());
  MutableArrayRef<float> out = result.mutableValues<float>();
  llvm::copy(input.values<float>(), out.begin());
  int64_t block = op.getBlockSize();
  int64_t rows = out.size() / block;
  parallelChunks(rows, [&](int64_t begin, int64_t end) {
    num::applyHadamard(out.data() + begin * block, (end - begin) * block, block,
                       op.getTranspose());
  });
  return result;
}

} // namespace

void interp::registerQuantKernels(KernelRegistry &registry) {
  registry.add(qlinear);
  registry.addMultiResult(quantize);
  registry.add(dequantize);
  registry.add(hadamard);
}
