//===- WeightQuantizer.h - group-wise weight quantization -------*- C++ -*-===//
//
// One group of weights quantized the way qcc-quantize-weights stores it and
// qcc-scale-search simulates it, so that the two cannot drift apart.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_PASSES_WEIGHTQUANTIZER_H
#define QCC_PASSES_WEIGHTQUANTIZER_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/Types.h"
#include "qcc/Support/MLIR.h"

namespace qcc {

/// The scale and zero point chosen for one group. `scale` is the group
/// scale's value: f32, the integer second-level scale (two-level), or the
/// decoded e8m0 / e4m3 scale.
struct GroupParameters {
  float scale = 1.0f;
  int32_t zeroPoint = 0;
};

/// How group scales are stored (qcc.qlinear's scale element types).
enum class ScaleFormat { F32, TwoLevel, E8M0, E4M3 };

class WeightQuantizer {
public:
  /// The quantizer of `format` (int4, int8, fp8_e4m3, fp4_e2m1) with group
  /// scales in `scaleFormat` (float, two-level, e8m0, e4m3); diagnoses at
  /// `loc` why there is none.
  static FailureOr<WeightQuantizer> get(Location loc, StringRef format,
                                        bool symmetric,
                                        StringRef scaleFormat = "float");

  /// The element type weights are stored in.
  Type storageType() const { return storage; }
  /// The element type group scales are stored in.
  Type scaleType() const;
  ScaleFormat getScaleFormat() const { return scaleFormat; }
  /// Whether rows carry a second-level f32 scale (two-level, e4m3).
  bool hasChannelScales() const {
    return scaleFormat == ScaleFormat::TwoLevel ||
           scaleFormat == ScaleFormat::E4M3;
  }
  /// The second-level scale of a row: max|w| / 119 (two-level, so that
  /// int4 codes times integer group scales up to 17 fit int8), max|w| /
  /// (6 · 448) (e4m3, NVFP4's split of the range), 1 otherwise.
  float channelScale(ArrayRef<float> row) const;

  /// Quantizes `weights` with their range scaled by `clipRatio` (1: the full
  /// range) and writes one storage byte per weight to `codes`. f32 scales:
  /// symmetric scale = r · max|w| / qmax; asymmetric scale =
  /// r · (max(w, 0) - min(w, 0)) / qmax with zero point rne(-r · min / scale).
  /// Two-level: integer scale s = clamp(ceil(r · max|w| / (7 · c)), 1, 17),
  /// codes in [-7, 7]. e8m0: the power of two 2^ceil(log2(r · max|w| / 6)).
  /// e4m3: e4m3(r · max|w| / (6 · c)). `channel` is the row's channelScale.
  GroupParameters quantize(ArrayRef<float> weights, float clipRatio,
                           float channel, MutableArrayRef<char> codes) const;

  /// The scale and zero point quantize() chooses for a group.
  GroupParameters parameters(ArrayRef<float> weights, float clipRatio,
                             float channel) const;

  /// The code of one weight in a group with fixed parameters (saturating),
  /// as quantize() rounds it.
  char encode(float weight, const GroupParameters &group, float channel) const;

  /// The value a stored code stands for.
  float dequantize(char code, const GroupParameters &group,
                   float channel) const;

  /// The stored byte of a group scale in a sub-f32 scale format.
  uint8_t encodeScale(float scale) const;

  /// Σ h_i (w_i - dequant(q_i))² for the group quantized with `clipRatio`;
  /// `importance` (h, one per weight) may be empty for plain squared error.
  double error(ArrayRef<float> weights, ArrayRef<float> importance,
               float clipRatio, float channel) const;

private:
  WeightQuantizer(StringRef format, bool symmetric, float qmax, Type storage,
                  ScaleFormat scaleFormat)
      : format(format), symmetric(symmetric), qmax(qmax), storage(storage),
        scaleFormat(scaleFormat) {}

  /// The group scale for a clipped range (before any scale encoding).
  float groupScale(float range, float channel) const;
  /// The factor from weights to codes: 1 / (group scale, times the channel
  /// scale where it is a second level); zero for an e4m3 scale that
  /// underflows, whose codes are then all zero.
  float inverseStep(const GroupParameters &group, float channel) const;

  StringRef format;
  bool symmetric = true;
  float qmax = 0.0f;
  Type storage;
  ScaleFormat scaleFormat = ScaleFormat::F32;
};

/// A linear's constant f32 weight [N, K] in groups of `size` weights along K
/// (the last group may be shorter).
struct GroupedWeight {
  std::vector<float> values;
  int64_t rows = 0, columns = 0, size = 0, groups = 0;

  /// The weight of `op`, grouped by `groupSize` (<= 0: one group per row);
  /// diagnoses at `op` a weight that is not an f32 constant.
  static FailureOr<GroupedWeight> get(Operation *op, Value weight,
                                      int64_t groupSize);

  /// The first column of group `g` and its number of columns.
  std::pair<int64_t, int64_t> columnRange(int64_t g) const {
    return {g * size, std::min(size, columns - g * size)};
  }
  /// The weights of `row`.
  ArrayRef<float> row(int64_t row) const {
    return ArrayRef<float>(values).slice(row * columns, columns);
  }
  /// The weights of group `g` of `row`.
  ArrayRef<float> group(int64_t row, int64_t g) const {
    auto [start, count] = columnRange(g);
    return ArrayRef<float>(values).slice(row * columns + start, count);
  }
};

/// A linear's weight quantized as qcc-quantize-weights stores it, with the
/// clip ratios of qcc-scale-search (`qcc.clip_ratios`) applied.
struct QuantizedWeight {
  std::vector<char> codes;             // [N, K], one byte a code
  std::vector<GroupParameters> groups; // [N, groups]
  std::vector<float> channelScales;    // [N]

  /// Quantizes `weights` of `op`; diagnoses ratios of another group size.
  static FailureOr<QuantizedWeight> get(Operation *op,
                                        const GroupedWeight &weights,
                                        const WeightQuantizer &quantizer);

  /// The dequantized weight [N, K], in qcc.qlinear's order of operations.
  std::vector<float> dequantize(const GroupedWeight &weights,
                                const WeightQuantizer &quantizer) const;
};

} // namespace qcc

#endif // QCC_PASSES_WEIGHTQUANTIZER_H
