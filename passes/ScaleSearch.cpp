//===- ScaleSearch.cpp - grid search over weight clip ratios --------------===//

#include "dialects/qcc/QccOps.h"
#include "mlir/IR/Builders.h"
#include "passes/CalibrationStats.h"
#include "passes/PassUtils.h"
#include "passes/Passes.h"
#include "passes/WeightQuantizer.h"
#include "qcc/Support/Locations.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>

namespace qcc {
#define GEN_PASS_DEF_SCALESEARCHPASS
#include "passes/Passes.h.inc"
} // namespace qcc

using namespace qcc;

namespace {
// --qcc-scale-search
struct ScaleSearchPass : qcc::impl::ScaleSearchPassBase<ScaleSearchPass> {
  using ScaleSearchPassBase::ScaleSearchPassBase;

  void runOnOperation() override {
    FailureOr<WeightQuantizer> quantizer = WeightQuantizer::get(
        getOperation().getLoc(), format, symmetric, scaleFormat);
    FailureOr<llvm::Regex> keep = parseKeepFloat(getOperation(), keepFloat);
    if (failed(quantizer) || failed(keep))
      return signalPassFailure();
    if (grid < 1 || minRatio <= 0.0 || minRatio > 1.0) {
      emitError(getOperation().getLoc(),
                "grid must be >= 1 and min-ratio in (0, 1]");
      return signalPassFailure();
    }
    if (method != "grid" && method != "percentile") {
      emitError(getOperation().getLoc(), "unknown method '")
          << method << "'; methods: grid, percentile";
      return signalPassFailure();
    }
    if (percentile <= 0.0 || percentile > 100.0) {
      emitError(getOperation().getLoc(), "percentile must be in (0, 100]");
      return signalPassFailure();
    }
    llvm::json::Array layers;
    if (failed(forEachQuantizedLinear(
            getOperation(), keepFloat, *keep, [&](Operation *op) {
              return search(cast<LinearOp>(op), *quantizer, layers);
            })))
      return signalPassFailure();
    if (failed(writeLayersReport(getOperation(), report, std::move(layers))))
      return signalPassFailure();
  }

  /// The clip ratio that keeps the `percentile`-th percentile of |w|.
  float percentileRatio(ArrayRef<float> group) const {
    SmallVector<float> magnitudes;
    for (float w : group)
      magnitudes.push_back(std::fabs(w));
    float absmax = *llvm::max_element(magnitudes);
    if (absmax == 0.0f)
      return 1.0f;
    size_t rank = static_cast<size_t>(
        std::ceil(percentile / 100.0 * magnitudes.size()) - 1);
    rank = std::min(rank, magnitudes.size() - 1);
    std::nth_element(magnitudes.begin(), magnitudes.begin() + rank,
                     magnitudes.end());
    return magnitudes[rank] / absmax;
  }

  LogicalResult search(LinearOp op, const WeightQuantizer &quantizer,
                       llvm::json::Array &layers) {
    FailureOr<GroupedWeight> weights =
        GroupedWeight::get(op, op.getWeight(), groupSize);
    if (failed(weights))
      return failure();
    int64_t n = weights->rows, groups = weights->groups;

    SmallVector<float> importance;
    if (weighted) {
      std::optional<CalibrationStats> stats = getCalibrationStats(op);
      if (!stats)
        return op.emitError("has no calibration statistics for the weighted "
                            "search; run qcc-calibrate first");
      importance = stats->channelMeanSquare;
    }

    SmallVector<float> ratios(n * groups, 1.0f);
    double rtnError = 0.0, searchedError = 0.0;
    int64_t improved = 0;
    for (int64_t row = 0; row < n; ++row) {
      float channel = quantizer.channelScale(weights->row(row));
      for (int64_t g = 0; g < groups; ++g) {
        auto [start, count] = weights->columnRange(g);
        ArrayRef<float> group = weights->group(row, g);
        ArrayRef<float> h =
            importance.empty()
                ? ArrayRef<float>()
                : ArrayRef<float>(importance).slice(start, count);
        double rtn = quantizer.error(group, h, 1.0f, channel);
        rtnError += rtn;
        float bestRatio = 1.0f;
        double best = rtn;
        if (method == "percentile") {
          bestRatio = percentileRatio(group);
          best = quantizer.error(group, h, bestRatio, channel);
        } else {
          for (unsigned step = 1; step < grid; ++step) {
            float ratio = 1.0f - (1.0f - minRatio) * step / (grid - 1);
            double error = quantizer.error(group, h, ratio, channel);
            if (error < best) {
              best = error;
              bestRatio = ratio;
            }
          }
        }
        searchedError += best;
        improved += best < rtn;
        ratios[row * groups + g] = bestRatio;
      }
    }
    Builder b(&getContext());
    op->setAttr("qcc.clip_ratios",
                DenseElementsAttr::get(
                    RankedTensorType::get({n, groups}, b.getF32Type()),
                    ArrayRef<float>(ratios)));
    layers.push_back(llvm::json::Object{
        {"node", getFirstNodeName(op.getLoc())},
        {"groups", n * groups},
        {"groups_improved", improved},
        {"rtn_error", rtnError},
        {"searched_error", searchedError},
    });
    return success();
  }
};
} // namespace
