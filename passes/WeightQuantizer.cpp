//===- WeightQuantizer.cpp - group-wise weight quantization ---------------===//

#include "passes/WeightQuantizer.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "passes/PassUtils.h"
#include "qcc/Numerics/Formats.h"
#include "llvm/ADT/StringSwitch.h"
#include <cmath>
#include <cstring>

using namespace qcc;
namespace num = qcc::numerics;

FailureOr<WeightQuantizer> WeightQuantizer::get(Location loc, StringRef format,
                                                bool symmetric,
                                                StringRef scaleFormatName) {
  MLIRContext *context = loc.getContext();
  Builder b(context);
  std::optional<ScaleFormat> scaleFormat =
      llvm::StringSwitch<std::optional<ScaleFormat>>(scaleFormatName)
          .Case("float", ScaleFormat::F32)
          .Case("two-level", ScaleFormat::TwoLevel)
          .Case("e8m0", ScaleFormat::E8M0)
          .Case("e4m3", ScaleFormat::E4M3)
          .Default(std::nullopt);
  if (!scaleFormat)
    return emitError(loc, "unknown scale format '")
           << scaleFormatName << "'; scale formats: float, two-level, e8m0, "
           << "e4m3";
  auto integer = [&](unsigned width) {
    return symmetric ? Type(b.getIntegerType(width))
                     : IntegerType::get(context, width, IntegerType::Unsigned);
  };
  std::optional<WeightQuantizer> quantizer;
  if (format == "int4")
    quantizer = WeightQuantizer("int4", symmetric, symmetric ? 7.0f : 15.0f,
                                integer(4), *scaleFormat);
  else if (format == "int8")
    quantizer = WeightQuantizer("int8", symmetric, symmetric ? 127.0f : 255.0f,
                                integer(8), *scaleFormat);
  else if (format == "fp8_e4m3")
    quantizer = WeightQuantizer("fp8_e4m3", true, 448.0f,
                                b.getType<Float8E4M3FNType>(), *scaleFormat);
  else if (format == "fp4_e2m1")
    quantizer = WeightQuantizer("fp4_e2m1", true, 6.0f,
                                b.getType<Float4E2M1FNType>(), *scaleFormat);
  else
    return emitError(loc, "unknown weight format '")
           << format << "'; formats: int4, int8, fp8_e4m3, fp4_e2m1";
  if (!symmetric && (format == "fp8_e4m3" || format == "fp4_e2m1"))
    return emitError(loc, "format ") << format << " has no asymmetric form";
  if (*scaleFormat == ScaleFormat::TwoLevel && (format != "int4" || !symmetric))
    return emitError(loc, "two-level scales need symmetric int4 weights");
  if ((*scaleFormat == ScaleFormat::E8M0 ||
       *scaleFormat == ScaleFormat::E4M3) &&
      format != "fp4_e2m1")
    return emitError(loc, "scale format ")
           << scaleFormatName << " needs fp4_e2m1 weights";
  return *quantizer;
}

Type WeightQuantizer::scaleType() const {
  MLIRContext *context = storage.getContext();
  switch (scaleFormat) {
  case ScaleFormat::F32:
    return Float32Type::get(context);
  case ScaleFormat::TwoLevel:
    return IntegerType::get(context, 8, IntegerType::Unsigned);
  case ScaleFormat::E8M0:
    return Float8E8M0FNUType::get(context);
  case ScaleFormat::E4M3:
    return Float8E4M3FNType::get(context);
  }
  llvm_unreachable("scale format");
}

/// Two-level codes stay in [-7, 7] and integer scales in [1, 17], so that
/// code · scale fits int8 ([-119, 119]) for the w4a8 kernels.
static constexpr float kTwoLevelCodeMax = 7.0f, kTwoLevelScaleMax = 17.0f;

float WeightQuantizer::channelScale(ArrayRef<float> row) const {
  float absmax = 0.0f;
  for (float w : row)
    absmax = std::max(absmax, std::fabs(w));
  if (absmax == 0.0f)
    return 1.0f;
  if (scaleFormat == ScaleFormat::TwoLevel)
    return absmax / (kTwoLevelCodeMax * kTwoLevelScaleMax);
  if (scaleFormat == ScaleFormat::E4M3)
    return absmax / (6.0f * 448.0f);
  return 1.0f;
}

float WeightQuantizer::groupScale(float range, float channel) const {
  if (range <= 0.0f)
    return scaleFormat == ScaleFormat::E4M3 ? 0.0f : 1.0f;
  switch (scaleFormat) {
  case ScaleFormat::F32:
    return range / qmax;
  case ScaleFormat::TwoLevel:
    return std::clamp(std::ceil(range / (kTwoLevelCodeMax * channel)), 1.0f,
                      kTwoLevelScaleMax);
  case ScaleFormat::E8M0:
    return std::ldexp(
        1.0f, std::clamp(static_cast<int>(std::ceil(std::log2(range / qmax))),
                         -127, 127));
  case ScaleFormat::E4M3:
    return num::decodeE4M3(num::encodeE4M3(range / (qmax * channel)));
  }
  llvm_unreachable("scale format");
}

uint8_t WeightQuantizer::encodeScale(float scale) const {
  if (scaleFormat == ScaleFormat::TwoLevel)
    return static_cast<uint8_t>(scale);
  if (scaleFormat == ScaleFormat::E8M0)
    return num::encodeE8M0Exponent(std::ilogb(scale));
  return num::encodeE4M3(scale);
}

GroupParameters WeightQuantizer::parameters(ArrayRef<float> weights,
                                            float clipRatio,
                                            float channel) const {
  float low = 0.0f, high = 0.0f;
  for (float w : weights) {
    low = std::min(low, w);
    high = std::max(high, w);
  }
  low *= clipRatio;
  high *= clipRatio;
  float range = symmetric ? std::max(-low, high) : high - low;
  GroupParameters group;
  group.scale = groupScale(range, channel);
  if (!symmetric)
    group.zeroPoint = num::quantizeInt(-low, inverseStep(group, channel), 0, 0,
                                       static_cast<int32_t>(qmax));
  return group;
}

float WeightQuantizer::inverseStep(const GroupParameters &group,
                                   float channel) const {
  float step = group.scale;
  if (scaleFormat == ScaleFormat::TwoLevel || scaleFormat == ScaleFormat::E4M3)
    step *= channel;
  return step > 0.0f ? 1.0f / step : 0.0f;
}

char WeightQuantizer::encode(float weight, const GroupParameters &group,
                             float channel) const {
  float inverse = inverseStep(group, channel);
  if (format == "fp8_e4m3")
    return static_cast<char>(num::encodeE4M3(weight * inverse));
  if (format == "fp4_e2m1")
    return static_cast<char>(num::encodeE2M1(weight * inverse));
  // Symmetric integers use the full signed range ([-8, 7] for int4) except
  // in two-level form; asymmetric ones [0, qmax].
  int32_t highCode = scaleFormat == ScaleFormat::TwoLevel
                         ? static_cast<int32_t>(kTwoLevelCodeMax)
                         : static_cast<int32_t>(qmax);
  int32_t lowCode = !symmetric                             ? 0
                    : scaleFormat == ScaleFormat::TwoLevel ? -highCode
                                                           : -highCode - 1;
  return static_cast<char>(
      num::quantizeInt(weight, inverse, group.zeroPoint, lowCode, highCode));
}

GroupParameters WeightQuantizer::quantize(ArrayRef<float> weights,
                                          float clipRatio, float channel,
                                          MutableArrayRef<char> codes) const {
  GroupParameters group = parameters(weights, clipRatio, channel);
  for (auto [w, code] : llvm::zip(weights, codes))
    code = encode(w, group, channel);
  return group;
}

float WeightQuantizer::dequantize(char code, const GroupParameters &group,
                                  float channel) const {
  // The order of qcc.qlinear: code · (group scale · channel scale), and
  // (code · integer scale) · channel scale for two-level.
  float value;
  if (format == "fp8_e4m3")
    value = num::decodeE4M3(static_cast<uint8_t>(code));
  else if (format == "fp4_e2m1")
    value = num::decodeE2M1(static_cast<uint8_t>(code));
  else
    value = static_cast<float>(
        (symmetric ? static_cast<int8_t>(code)
                   : static_cast<int32_t>(static_cast<uint8_t>(code))) -
        group.zeroPoint);
  switch (scaleFormat) {
  case ScaleFormat::TwoLevel:
    return value * group.scale * channel;
  case ScaleFormat::E4M3:
    return value * (group.scale * channel);
  default:
    return value * group.scale;
  }
}

double WeightQuantizer::error(ArrayRef<float> weights,
                              ArrayRef<float> importance, float clipRatio,
                              float channel) const {
  SmallVector<char> codes(weights.size());
  GroupParameters group = quantize(weights, clipRatio, channel, codes);
  double sum = 0.0;
  for (auto [i, w] : llvm::enumerate(weights)) {
    double diff = w - dequantize(codes[i], group, channel);
    sum += (importance.empty() ? 1.0 : importance[i]) * diff * diff;
  }
  return sum;
}

FailureOr<GroupedWeight> GroupedWeight::get(Operation *op, Value weight,
                                            int64_t groupSize) {
  auto type = dyn_cast<RankedTensorType>(weight.getType());
  DenseResourceElementsAttr resource;
  if (matchPattern(weight, m_Constant(&resource)) &&
      !resource.getRawHandle().getBlob())
    return op->emitError("has a weight blob without its data");
  FailureOr<std::vector<float>> values = readF32Constant(weight);
  if (!type || type.getRank() != 2 || failed(values))
    return op->emitError("has a weight that is not an f32 constant");
  GroupedWeight grouped;
  grouped.rows = type.getDimSize(0);
  grouped.columns = type.getDimSize(1);
  grouped.size =
      groupSize > 0 ? std::min(groupSize, grouped.columns) : grouped.columns;
  grouped.groups = (grouped.columns + grouped.size - 1) / grouped.size;
  grouped.values = std::move(*values);
  return grouped;
}

FailureOr<QuantizedWeight>
QuantizedWeight::get(Operation *op, const GroupedWeight &weights,
                     const WeightQuantizer &quantizer) {
  int64_t n = weights.rows, k = weights.columns, groups = weights.groups;
  std::vector<float> ratios(n * groups, 1.0f);
  if (auto searched =
          op->getAttrOfType<DenseFPElementsAttr>("qcc.clip_ratios")) {
    if (searched.getType().getShape() != ArrayRef<int64_t>{n, groups})
      return op->emitError("has qcc.clip_ratios for another group size");
    llvm::transform(searched.getValues<APFloat>(), ratios.begin(),
                    [](const APFloat &r) { return r.convertToFloat(); });
  }
  QuantizedWeight result;
  result.codes.resize(n * k);
  result.groups.resize(n * groups);
  result.channelScales.resize(n);
  for (int64_t row = 0; row < n; ++row) {
    float channel = quantizer.channelScale(weights.row(row));
    result.channelScales[row] = channel;
    for (int64_t g = 0; g < groups; ++g) {
      auto [start, count] = weights.columnRange(g);
      result.groups[row * groups + g] = quantizer.quantize(
          weights.group(row, g), ratios[row * groups + g], channel,
          MutableArrayRef<char>(result.codes).slice(row * k + start, count));
    }
  }
  return result;
}

std::vector<float>
QuantizedWeight::dequantize(const GroupedWeight &weights,
                            const WeightQuantizer &quantizer) const {
  std::vector<float> values(codes.size());
  int64_t k = weights.columns;
  for (size_t i = 0; i < values.size(); ++i) {
    int64_t row = i / k, g = (i % k) / weights.size;
    values[i] = quantizer.dequantize(codes[i], groups[row * weights.groups + g],
                                     channelScales[row]);
  }
  return values;
}
