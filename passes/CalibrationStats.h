//===- CalibrationStats.h - activation statistics on the IR ----*- C++ -*-===//
//
// qcc-calibrate records, for every activation operand of a `linear` (its
// input) and a `matmul` (both operands), statistics over all calibration
// tokens. They live on the op as `qcc.calibration`, an array with one
// dictionary per recorded operand, so they survive printing and parsing;
// later passes read them through getCalibrationStats.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_PASSES_CALIBRATIONSTATS_H
#define QCC_PASSES_CALIBRATIONSTATS_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Operation.h"
#include "qcc/Interpreter/HostTensor.h"
#include "llvm/Support/JSON.h"
#include <array>

namespace qcc {

/// The percentiles of |x| that are recorded.
constexpr std::array<double, 4> kCalibrationPercentiles = {50.0, 99.0, 99.9,
                                                           99.99};

/// Statistics of one activation operand, as stored on the IR.
struct CalibrationStats {
  int64_t samples = 0;
  /// Rows seen: every index of all dimensions but the last.
  int64_t tokens = 0;
  /// Per channel (last dimension): max |x| and mean of x².
  llvm::SmallVector<float> channelAbsMax, channelMeanSquare;
  /// Per position along the second-last (sequence) dimension: the largest
  /// max |x| of a token at that position.
  llvm::SmallVector<float> tokenAbsMax;
  /// |x| at kCalibrationPercentiles, from a log-scale histogram (bins 1/32
  /// of an octave wide, so within 1.1% of the exact percentile).
  llvm::SmallVector<float> absPercentiles;

  mlir::DictionaryAttr toAttr(mlir::MLIRContext *context) const;
  static std::optional<CalibrationStats> fromAttr(mlir::Attribute attr);
  llvm::json::Object toJSON() const;
};

/// The statistics of activation operand `index` of `op` (0: the input of a
/// linear, the lhs of a matmul; 1: the rhs of a matmul), if calibrated.
std::optional<CalibrationStats> getCalibrationStats(mlir::Operation *op,
                                                    unsigned index = 0);

/// Accumulates CalibrationStats over calibration runs in constant memory.
class StatsAccumulator {
public:
  void add(const HostTensor &activation);
  /// Counts one more calibration sample.
  void finishSample() { ++samples; }
  CalibrationStats finish() const;

private:
  int64_t samples = 0, tokens = 0;
  std::vector<float> channelAbsMax, tokenAbsMax;
  std::vector<double> channelSumSquares;
  std::vector<uint64_t> histogram;
};

} // namespace qcc

#endif // QCC_PASSES_CALIBRATIONSTATS_H
