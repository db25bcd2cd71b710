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

/// The scale and zero point chosen for one group.
struct GroupParameters {
  float scale = 1.0f;
  int32_t zeroPoint = 0;
};

class WeightQuantizer {
public:
  /// The quantizer of `format` (int4, int8, fp8_e4m3, fp4_e2m1); diagnoses
  /// at `loc` why there is none.
  static FailureOr<WeightQuantizer> get(Location loc, StringRef format,
                                        bool symmetric);

  /// The element type weights are stored in.
  Type storageType() const { return storage; }

  /// Quantizes `weights` with their range scaled by `clipRatio` (1: the full
  /// range): symmetric scale = r · max|w| / qmax; asymmetric scale =
  /// r · (max(w, 0) - min(w, 0)) / qmax with zero point rne(-r · min / scale).
  /// Writes one storage byte per weight to `codes`.
  GroupParameters quantize(ArrayRef<float> weights, float clipRatio,
                           MutableArrayRef<char> codes) const;

  /// The value a stored code stands for.
  float dequantize(char code, const GroupParameters &group) const;

  /// Σ h_i (w_i - dequant(q_i))² for the group quantized with `clipRatio`;
  /// `importance` (h, one per weight) may be empty for plain squared error.
  double error(ArrayRef<float> weights, ArrayRef<float> importance,
               float clipRatio) const;

private:
  WeightQuantizer(StringRef format, bool symmetric, float qmax, Type storage)
      : format(format), symmetric(symmetric), qmax(qmax), storage(storage) {}

  StringRef format;
  bool symmetric = true;
  float qmax = 0.0f;
  Type storage;
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
  /// The weights of group `g` of `row`.
  ArrayRef<float> group(int64_t row, int64_t g) const {
    auto [start, count] = columnRange(g);
    return ArrayRef<float>(values).slice(row * columns + start, count);
  }
};

} // namespace qcc

#endif // QCC_PASSES_WEIGHTQUANTIZER_H
