//===- OutlierAnalysis.cpp - classify activation outliers -----------------===//

#include "dialects/qcc/QccOps.h"
#include "mlir/IR/Builders.h"
#include "passes/CalibrationStats.h"
#include "passes/PassUtils.h"
#include "passes/Passes.h"
#include "qcc/Support/Locations.h"
#include <algorithm>

namespace qcc {
#define GEN_PASS_DEF_OUTLIERANALYSISPASS
#include "passes/Passes.h.inc"
} // namespace qcc

using namespace qcc;

/// The median of `values` (the lower middle for even counts).
static float median(ArrayRef<float> values) {
  if (values.empty())
    return 0.0f;
  SmallVector<float> sorted(values);
  std::nth_element(sorted.begin(), sorted.begin() + (sorted.size() - 1) / 2,
                   sorted.end());
  return sorted[(sorted.size() - 1) / 2];
}

/// The indices of `values` above `ratio` times their median, and the largest
/// value over the median.
static std::pair<SmallVector<int64_t>, float>
aboveMedian(ArrayRef<float> values, double ratio) {
  float middle = median(values);
  SmallVector<int64_t> indices;
  float largest = 0.0f;
  for (auto [i, value] : llvm::enumerate(values)) {
    largest = std::max(largest, value);
    if (middle > 0.0f && value > ratio * middle)
      indices.push_back(i);
  }
  return {indices, middle > 0.0f ? largest / middle : 0.0f};
}

namespace {
// --qcc-outlier-analysis
struct OutlierAnalysisPass
    : qcc::impl::OutlierAnalysisPassBase<OutlierAnalysisPass> {
  using OutlierAnalysisPassBase::OutlierAnalysisPassBase;

  void runOnOperation() override {
    Builder b(&getContext());
    llvm::json::Array layers;
    WalkResult walk = getOperation().walk([&](LinearOp op) {
      std::optional<CalibrationStats> stats = getCalibrationStats(op);
      if (!stats) {
        op.emitError("has no calibration statistics; run qcc-calibrate first");
        return WalkResult::interrupt();
      }
      auto [channels, channelMax] =
          aboveMedian(stats->channelAbsMax, channelRatio);
      auto [positions, tokenMax] = aboveMedian(stats->tokenAbsMax, tokenRatio);
      StringRef kind = channels.empty()
                           ? (positions.empty() ? "none" : "spike")
                           : (positions.empty() ? "channel" : "both");
      op->setAttr(
          "qcc.outliers",
          b.getDictionaryAttr({
              b.getNamedAttr("kind", b.getStringAttr(kind)),
              b.getNamedAttr("channels", b.getDenseI64ArrayAttr(channels)),
              b.getNamedAttr("positions", b.getDenseI64ArrayAttr(positions)),
              b.getNamedAttr("channel_ratio", b.getF32FloatAttr(channelMax)),
              b.getNamedAttr("token_ratio", b.getF32FloatAttr(tokenMax)),
          }));
      layers.push_back(llvm::json::Object{
          {"node", getFirstNodeName(op.getLoc())},
          {"kind", kind},
          {"outlier_channels", llvm::json::Array(channels)},
          {"spike_positions", llvm::json::Array(positions)},
          {"channel_max_over_median", static_cast<double>(channelMax)},
          {"token_max_over_median", static_cast<double>(tokenMax)},
      });
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    if (report.empty())
      return;
    llvm::json::Value json =
        llvm::json::Object{{"channel_ratio", channelRatio.getValue()},
                           {"token_ratio", tokenRatio.getValue()},
                           {"layers", std::move(layers)}};
    if (failed(writeJSONReport(getOperation(), report, std::move(json))))
      return signalPassFailure();
  }
};
} // namespace
