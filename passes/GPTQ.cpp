//===- GPTQ.cpp - error-feedback rounding of weights ----------------------===//

#include "passes/GPTQ.h"
#include "dialects/qcc/QccOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "qcc/Data/TensorFiles.h"
#include "qcc/Interpreter/Interpreter.h"
#include <cblas.h>
#include <cmath>
#include <lapacke.h>
#include <numeric>

using namespace qcc;

FailureOr<Hessians> qcc::collectHessians(ModuleOp module, StringRef data,
                                         ArrayRef<Operation *> linears) {
  auto func = module.lookupSymbol<func::FuncOp>("main");
  if (!func)
    return emitError(module.getLoc(), "GPTQ needs a function @main");
  auto samples = readSamples(func, data);
  if (!samples)
    return emitError(module.getLoc(), llvm::toString(samples.takeError()));
  // Linears that share an input share H; the first one records it.
  Hessians hessians;
  llvm::DenseMap<Value, size_t> indexOfInput;
  llvm::DenseMap<Operation *, size_t> recorder;
  for (Operation *op : linears) {
    Value input = op->getOperand(0);
    auto [it, inserted] =
        indexOfInput.try_emplace(input, hessians.matrices.size());
    hessians.indexOf[op] = it->second;
    if (!inserted)
      continue;
    int64_t k = cast<ShapedType>(input.getType()).getShape().back();
    hessians.matrices.push_back(Hessian{k, 0, std::vector<double>(k * k)});
    recorder[op] = it->second;
  }
  std::vector<float> product, normalized;
  for (const std::vector<HostTensor> &sample : *samples) {
    auto observe = [&](Operation *op, ArrayRef<HostTensor> operands,
                       ArrayRef<HostTensor>) {
      auto it = recorder.find(op);
      if (it == recorder.end())
        return;
      Hessian &h = hessians.matrices[it->second];
      ArrayRef<float> x = operands[0].values<float>();
      int64_t k = h.size, rows = static_cast<int64_t>(x.size()) / k;
      normalized.resize(x.size());
      for (int64_t t = 0; t < rows; ++t) {
        ArrayRef<float> row = x.slice(t * k, k);
        double norm = std::sqrt(
            std::inner_product(row.begin(), row.end(), row.begin(), 0.0));
        float inverse = norm > 0.0 ? static_cast<float>(1.0 / norm) : 0.0f;
        for (int64_t c = 0; c < k; ++c)
          normalized[t * k + c] = row[c] * inverse;
      }
      // Σ xᵀx in f32 per call (at most one sample's rows), summed in f64.
      product.assign(k * k, 0.0f);
      cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, k, rows, 1.0f,
                  normalized.data(), k, 0.0f, product.data(), k);
      for (int64_t i = 0; i < k; ++i)
        for (int64_t j = i; j < k; ++j)
          h.values[i * k + j] += product[i * k + j];
      h.rows += rows;
    };
    if (failed(interpret(func, sample, observe)))
      return failure();
  }
  for (Hessian &h : hessians.matrices)
    for (int64_t i = 0; i < h.size; ++i)
      for (int64_t j = 0; j < i; ++j)
        h.values[i * h.size + j] = h.values[j * h.size + i];
  return hessians;
}

/// The upper Cholesky factor U of (H + λI)⁻¹ = UᵀU, with H permuted by
/// `order`; row j of U holds how column j's rounding error is spread over
/// the later columns. λ grows tenfold while H stays singular.
static FailureOr<std::vector<float>> inverseCholesky(Operation *op,
                                                     const Hessian &hessian,
                                                     ArrayRef<int64_t> order,
                                                     double damp) {
  int64_t k = hessian.size;
  double meanDiagonal = 0.0;
  for (int64_t i = 0; i < k; ++i)
    meanDiagonal += hessian.values[i * k + i];
  meanDiagonal = meanDiagonal > 0.0 ? meanDiagonal / k : 1.0;
  std::vector<double> h(k * k);
  for (int attempt = 0; attempt < 4; ++attempt, damp *= 10.0) {
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < k; ++j)
        h[i * k + j] = hessian.values[order[i] * k + order[j]];
    for (int64_t i = 0; i < k; ++i) {
      // An input that was always zero gets H_ii = 1: its weights are
      // rounded to nearest and pass no error on.
      if (h[i * k + i] == 0.0)
        h[i * k + i] = 1.0;
      h[i * k + i] += damp * meanDiagonal;
    }
    if (LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'U', k, h.data(), k) != 0 ||
        LAPACKE_dpotri(LAPACK_ROW_MAJOR, 'U', k, h.data(), k) != 0 ||
        LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'U', k, h.data(), k) != 0)
      continue;
    std::vector<float> u(k * k, 0.0f);
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = i; j < k; ++j)
        u[i * k + j] = static_cast<float>(h[i * k + j]);
    return u;
  }
  return op->emitError("has a calibration Hessian that stays singular after "
                       "damping; GPTQ cannot round it");
}

LogicalResult qcc::roundWithGPTQ(Operation *op, const GroupedWeight &weights,
                                 const WeightQuantizer &quantizer,
                                 const Hessian &hessian,
                                 const GPTQOptions &options,
                                 QuantizedWeight &quantized) {
  int64_t n = weights.rows, k = weights.columns;
  assert(hessian.size == k && "H of another width");
  SmallVector<int64_t> order(k);
  std::iota(order.begin(), order.end(), 0);
  if (options.actOrder)
    llvm::stable_sort(order, [&](int64_t a, int64_t b) {
      return hessian.values[a * k + a] > hessian.values[b * k + b];
    });
  FailureOr<std::vector<float>> u =
      inverseCholesky(op, hessian, order, options.damp);
  if (failed(u))
    return failure();

  // Column-major working copy: column j of the permuted weight is contiguous.
  std::vector<float> columns(k * n);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t j = 0; j < k; ++j)
      columns[j * n + r] = weights.values[r * k + order[j]];
  int64_t block = std::max<int64_t>(options.block, 1);
  std::vector<float> errors(block * n);
  for (int64_t begin = 0; begin < k; begin += block) {
    int64_t end = std::min(begin + block, k);
    for (int64_t j = begin; j < end; ++j) {
      float *column = &columns[j * n];
      float *error = &errors[(j - begin) * n];
      float pivot = (*u)[j * k + j];
      int64_t original = order[j], group = original / weights.size;
      for (int64_t r = 0; r < n; ++r) {
        const GroupParameters &params =
            quantized.groups[r * weights.groups + group];
        float channel = quantized.channelScales[r];
        char code = quantizer.encode(column[r], params, channel);
        quantized.codes[r * k + original] = code;
        error[r] =
            (column[r] - quantizer.dequantize(code, params, channel)) / pivot;
      }
      for (int64_t later = j + 1; later < end; ++later) {
        float factor = (*u)[j * k + later];
        float *target = &columns[later * n];
        for (int64_t r = 0; r < n; ++r)
          target[r] -= factor * error[r];
      }
    }
    if (end < k)
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k - end, n,
                  end - begin, -1.0f, &(*u)[begin * k + end], k, errors.data(),
                  n, 1.0f, &columns[end * n], n);
  }
  return success();
}

double qcc::relativeOutputError(const GroupedWeight &weights,
                                ArrayRef<float> dequantized,
                                const Hessian &hessian) {
  int64_t n = weights.rows, k = weights.columns;
  std::vector<double> delta(n * k), w(n * k), product(n * k);
  for (int64_t i = 0; i < n * k; ++i) {
    w[i] = weights.values[i];
    delta[i] = w[i] - dequantized[i];
  }
  // Σ_r v_r H v_rᵀ through one GEMM.
  auto quadratic = [&](const std::vector<double> &v) {
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, k, k, 1.0,
                v.data(), k, hessian.values.data(), k, 0.0, product.data(), k);
    return std::inner_product(v.begin(), v.end(), product.begin(), 0.0);
  };
  double total = quadratic(w);
  return total > 0.0 ? quadratic(delta) / total : 0.0;
}
