//===- LoRC.cpp - low-rank compensation of weight quantization error ------===//
//
// ZeroQuant-V2's LoRC: E = W - dequant(Q(W)) is approximated by its best
// rank-r factorization U·V from the SVD (LAPACK dgesdd in double), split as
// U = U_r·sqrt(Σ_r), V = sqrt(Σ_r)·V_rᵀ so both factors have similar ranges,
// and stored in f16 or in int8 with a symmetric scale per row. Q is the
// quantization qcc-quantize-weights will apply (same options, same clip
// ratios), so the factors correct exactly the error it leaves.
//
//===----------------------------------------------------------------------===//

#include "dialects/qcc/QccOps.h"
#include "mlir/IR/Builders.h"
#include "passes/PassUtils.h"
#include "passes/Passes.h"
#include "passes/WeightQuantizer.h"
#include "qcc/Numerics/Formats.h"
#include "qcc/Support/Locations.h"
#include "llvm/ADT/APFloat.h"
#include <cmath>
#include <lapacke.h>

namespace qcc {
#define GEN_PASS_DEF_LORCPASS
#include "passes/Passes.h.inc"
} // namespace qcc

using namespace qcc;

namespace {

/// A factor [rows, columns] as an attribute: f16, or i8 codes plus per-row
/// scales (returned through `scales`).
Attribute encodeFactor(Builder &b, ArrayRef<double> values, int64_t rows,
                       int64_t columns, bool int8, Attribute &scales) {
  if (!int8) {
    SmallVector<APFloat> halves;
    for (double v : values) {
      APFloat half(v);
      bool lost;
      half.convert(APFloat::IEEEhalf(), APFloat::rmNearestTiesToEven, &lost);
      halves.push_back(half);
    }
    return DenseElementsAttr::get(
        RankedTensorType::get({rows, columns}, b.getF16Type()), halves);
  }
  SmallVector<int8_t> codes(values.size());
  SmallVector<float> rowScales(rows);
  for (int64_t r = 0; r < rows; ++r) {
    double absmax = 0.0;
    for (int64_t c = 0; c < columns; ++c)
      absmax = std::max(absmax, std::fabs(values[r * columns + c]));
    float scale = absmax > 0.0 ? static_cast<float>(absmax / 127.0) : 1.0f;
    rowScales[r] = scale;
    for (int64_t c = 0; c < columns; ++c)
      codes[r * columns + c] = static_cast<int8_t>(
          numerics::quantizeInt(static_cast<float>(values[r * columns + c]),
                                1.0f / scale, 0, -127, 127));
  }
  scales = DenseElementsAttr::get(RankedTensorType::get({rows}, b.getF32Type()),
                                  ArrayRef<float>(rowScales));
  return DenseElementsAttr::get(
      RankedTensorType::get({rows, columns}, b.getIntegerType(8)),
      ArrayRef<int8_t>(codes));
}

// --qcc-lorc
struct LoRCPass : qcc::impl::LoRCPassBase<LoRCPass> {
  using LoRCPassBase::LoRCPassBase;

  void runOnOperation() override {
    FailureOr<WeightQuantizer> quantizer = WeightQuantizer::get(
        getOperation().getLoc(), format, symmetric, scaleFormat);
    FailureOr<llvm::Regex> keep = parseKeepFloat(getOperation(), keepFloat);
    if (failed(quantizer) || failed(keep))
      return signalPassFailure();
    if (factorFormat != "f16" && factorFormat != "int8") {
      emitError(getOperation().getLoc(), "unknown factor format '")
          << factorFormat << "'; factor formats: f16, int8";
      return signalPassFailure();
    }
    if (rank < 1) {
      emitError(getOperation().getLoc(), "rank must be at least 1");
      return signalPassFailure();
    }
    llvm::json::Array layers;
    if (failed(forEachQuantizedLinear(
            getOperation(), keepFloat, *keep, [&](Operation *op) {
              return compensate(cast<LinearOp>(op), *quantizer, layers);
            })))
      return signalPassFailure();
    if (failed(writeLayersReport(getOperation(), report, std::move(layers))))
      return signalPassFailure();
  }

  LogicalResult compensate(LinearOp op, const WeightQuantizer &quantizer,
                           llvm::json::Array &layers) {
    FailureOr<GroupedWeight> weights =
        GroupedWeight::get(op, op.getWeight(), groupSize);
    if (failed(weights))
      return failure();
    int64_t n = weights->rows, k = weights->columns;
    int64_t r = rank;
    if (r > std::min(n, k))
      return op.emitError("LoRC rank ")
             << r << " exceeds min(N, K) = " << std::min(n, k);
    FailureOr<QuantizedWeight> quantized =
        QuantizedWeight::get(op, *weights, quantizer);
    if (failed(quantized))
      return failure();
    std::vector<float> dequantized = quantized->dequantize(*weights, quantizer);
    std::vector<double> error(n * k);
    double before = 0.0;
    for (int64_t i = 0; i < n * k; ++i) {
      error[i] = double(weights->values[i]) - dequantized[i];
      before += error[i] * error[i];
    }
    int64_t m = std::min(n, k);
    std::vector<double> sigma(m), u(n * m), vt(m * k);
    lapack_int info =
        LAPACKE_dgesdd(LAPACK_ROW_MAJOR, 'S', n, k, error.data(), k,
                       sigma.data(), u.data(), m, vt.data(), k);
    if (info != 0)
      return op.emitError("the SVD of the quantization error failed (LAPACK "
                          "info ")
             << info << ")";
    std::vector<double> left(n * r), right(r * k);
    for (int64_t i = 0; i < r; ++i) {
      double root = std::sqrt(sigma[i]);
      for (int64_t row = 0; row < n; ++row)
        left[row * r + i] = u[row * m + i] * root;
      for (int64_t col = 0; col < k; ++col)
        right[i * k + col] = vt[i * k + col] * root;
    }
    double kept = 0.0;
    for (int64_t i = 0; i < r; ++i)
      kept += sigma[i] * sigma[i];

    Builder b(&getContext());
    bool int8 = factorFormat == "int8";
    Attribute uScales, vScales;
    op->setAttr("qcc.lorc_u", encodeFactor(b, left, n, r, int8, uScales));
    op->setAttr("qcc.lorc_v", encodeFactor(b, right, r, k, int8, vScales));
    if (int8) {
      op->setAttr("qcc.lorc_u_scales", uScales);
      op->setAttr("qcc.lorc_v_scales", vScales);
    }
    layers.push_back(llvm::json::Object{
        {"node", getFirstNodeName(op.getLoc())},
        {"rank", r},
        {"error_before", before},
        {"error_after", std::max(0.0, before - kept)},
    });
    return success();
  }
};
} // namespace
