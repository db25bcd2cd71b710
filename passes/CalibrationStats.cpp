//===- CalibrationStats.cpp - activation statistics on the IR -------------===//

#include "passes/CalibrationStats.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include <cmath>
#include <cstdio>

using namespace qcc;
using namespace mlir;

/// |x| histogram: bin 0 holds zeros; bin b > 0 covers
/// [2^((b - 1) / 32 - 64), 2^(b / 32 - 64)), so 128 octaves around 1.
static constexpr int kBinsPerOctave = 32;
static constexpr int kOctaves = 128;
static constexpr int kBins = kBinsPerOctave * kOctaves + 1;

static int binOf(float magnitude) {
  if (magnitude == 0.0f)
    return 0;
  double position = (std::log2(magnitude) + kOctaves / 2) * kBinsPerOctave;
  return std::clamp(static_cast<int>(std::floor(position)) + 1, 1, kBins - 1);
}

/// The geometric middle of a bin, the estimate for values that fall in it.
static float binValue(int bin) {
  if (bin == 0)
    return 0.0f;
  return std::exp2((bin - 0.5) / kBinsPerOctave - kOctaves / 2);
}

void StatsAccumulator::add(const HostTensor &activation) {
  ArrayRef<int64_t> shape = activation.shape();
  if (activation.kind() != ElementKind::F32 || shape.empty())
    return;
  int64_t channels = shape.back();
  int64_t positions = shape.size() >= 2 ? shape[shape.size() - 2] : 1;
  if (channelAbsMax.empty()) {
    channelAbsMax.assign(channels, 0.0f);
    channelSumSquares.assign(channels, 0.0);
    histogram.assign(kBins, 0);
  }
  if (static_cast<int64_t>(tokenAbsMax.size()) < positions)
    tokenAbsMax.resize(positions, 0.0f);
  ArrayRef<float> values = activation.values<float>();
  int64_t rows = channels ? activation.numElements() / channels : 0;
  for (int64_t row = 0; row < rows; ++row) {
    float rowMax = 0.0f;
    for (int64_t c = 0; c < channels; ++c) {
      float x = values[row * channels + c];
      float magnitude = std::fabs(x);
      channelAbsMax[c] = std::max(channelAbsMax[c], magnitude);
      channelSumSquares[c] += double(x) * x;
      rowMax = std::max(rowMax, magnitude);
      ++histogram[binOf(magnitude)];
    }
    float &positionMax = tokenAbsMax[row % positions];
    positionMax = std::max(positionMax, rowMax);
  }
  tokens += rows;
}

CalibrationStats StatsAccumulator::finish() const {
  CalibrationStats stats;
  stats.samples = samples;
  stats.tokens = tokens;
  stats.channelAbsMax.assign(channelAbsMax.begin(), channelAbsMax.end());
  for (double sum : channelSumSquares)
    stats.channelMeanSquare.push_back(tokens ? sum / tokens : 0.0);
  stats.tokenAbsMax.assign(tokenAbsMax.begin(), tokenAbsMax.end());
  uint64_t total = 0;
  for (uint64_t count : histogram)
    total += count;
  for (double percentile : kCalibrationPercentiles) {
    // The smallest bin whose cumulative count reaches the percentile.
    uint64_t target =
        static_cast<uint64_t>(std::ceil(percentile / 100.0 * total));
    uint64_t seen = 0;
    int bin = 0;
    for (; bin < kBins - 1 && seen + histogram[bin] < target; ++bin)
      seen += histogram[bin];
    stats.absPercentiles.push_back(total ? binValue(bin) : 0.0f);
  }
  return stats;
}

static DenseElementsAttr vectorAttr(MLIRContext *context,
                                    ArrayRef<float> values) {
  auto type = RankedTensorType::get({static_cast<int64_t>(values.size())},
                                    Float32Type::get(context));
  return DenseElementsAttr::get(type, values);
}

DictionaryAttr CalibrationStats::toAttr(MLIRContext *context) const {
  Builder b(context);
  SmallVector<float> levels(kCalibrationPercentiles.begin(),
                            kCalibrationPercentiles.end());
  return b.getDictionaryAttr({
      b.getNamedAttr("samples", b.getI64IntegerAttr(samples)),
      b.getNamedAttr("tokens", b.getI64IntegerAttr(tokens)),
      b.getNamedAttr("channel_absmax", vectorAttr(context, channelAbsMax)),
      b.getNamedAttr("channel_mean_square",
                     vectorAttr(context, channelMeanSquare)),
      b.getNamedAttr("token_absmax", vectorAttr(context, tokenAbsMax)),
      b.getNamedAttr("percentile_levels", vectorAttr(context, levels)),
      b.getNamedAttr("abs_percentiles", vectorAttr(context, absPercentiles)),
  });
}

static std::optional<SmallVector<float>> readVector(DictionaryAttr dict,
                                                    StringRef name) {
  auto attr = dict.getAs<DenseFPElementsAttr>(name);
  if (!attr)
    return std::nullopt;
  SmallVector<float> values;
  for (const APFloat &value : attr.getValues<APFloat>())
    values.push_back(value.convertToFloat());
  return values;
}

std::optional<CalibrationStats> CalibrationStats::fromAttr(Attribute attr) {
  auto dict = dyn_cast_or_null<DictionaryAttr>(attr);
  if (!dict)
    return std::nullopt;
  auto samples = dict.getAs<IntegerAttr>("samples");
  auto tokens = dict.getAs<IntegerAttr>("tokens");
  auto absMax = readVector(dict, "channel_absmax");
  auto meanSquare = readVector(dict, "channel_mean_square");
  auto tokenMax = readVector(dict, "token_absmax");
  auto percentiles = readVector(dict, "abs_percentiles");
  if (!samples || !tokens || !absMax || !meanSquare || !tokenMax ||
      !percentiles)
    return std::nullopt;
  CalibrationStats stats;
  stats.samples = samples.getInt();
  stats.tokens = tokens.getInt();
  stats.channelAbsMax = std::move(*absMax);
  stats.channelMeanSquare = std::move(*meanSquare);
  stats.tokenAbsMax = std::move(*tokenMax);
  stats.absPercentiles = std::move(*percentiles);
  return stats;
}

llvm::json::Object CalibrationStats::toJSON() const {
  auto array = [](ArrayRef<float> values) {
    llvm::json::Array out;
    for (float value : values)
      out.push_back(static_cast<double>(value));
    return out;
  };
  llvm::json::Object percentiles;
  for (auto [level, value] :
       llvm::zip(kCalibrationPercentiles, absPercentiles)) {
    char key[32];
    std::snprintf(key, sizeof(key), "%g", level);
    percentiles[std::string(key)] = static_cast<double>(value);
  }
  return llvm::json::Object{
      {"samples", samples},
      {"tokens", tokens},
      {"channel_absmax", array(channelAbsMax)},
      {"channel_mean_square", array(channelMeanSquare)},
      {"token_absmax", array(tokenAbsMax)},
      {"abs_percentiles", std::move(percentiles)},
  };
}

std::optional<CalibrationStats> qcc::getCalibrationStats(Operation *op,
                                                         unsigned index) {
  auto all = op->getAttrOfType<ArrayAttr>("qcc.calibration");
  if (!all || index >= all.size())
    return std::nullopt;
  return CalibrationStats::fromAttr(all[index]);
}
