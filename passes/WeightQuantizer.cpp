//===- WeightQuantizer.cpp - group-wise weight quantization ---------------===//

#include "passes/WeightQuantizer.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "qcc/Numerics/Formats.h"
#include <cstring>

using namespace qcc;
namespace num = qcc::numerics;

FailureOr<WeightQuantizer> WeightQuantizer::get(Location loc, StringRef format,
                                                bool symmetric) {
  MLIRContext *context = loc.getContext();
  Builder b(context);
  auto integer = [&](unsigned width) {
    return symmetric ? Type(b.getIntegerType(width))
                     : IntegerType::get(context, width, IntegerType::Unsigned);
  };
  if (format == "int4")
    return WeightQuantizer("int4", symmetric, symmetric ? 7.0f : 15.0f,
                           integer(4));
  if (format == "int8")
    return WeightQuantizer("int8", symmetric, symmetric ? 127.0f : 255.0f,
                           integer(8));
  if (format != "fp8_e4m3" && format != "fp4_e2m1")
    return emitError(loc, "unknown weight format '")
           << format << "'; formats: int4, int8, fp8_e4m3, fp4_e2m1";
  if (!symmetric)
    return emitError(loc, "format ") << format << " has no asymmetric form";
  if (format == "fp8_e4m3")
    return WeightQuantizer("fp8_e4m3", true, 448.0f,
                           b.getType<Float8E4M3FNType>());
  return WeightQuantizer("fp4_e2m1", true, 6.0f, b.getType<Float4E2M1FNType>());
}

GroupParameters WeightQuantizer::quantize(ArrayRef<float> weights,
                                          float clipRatio,
                                          MutableArrayRef<char> codes) const {
  float low = 0.0f, high = 0.0f;
  for (float w : weights) {
    low = std::min(low, w);
    high = std::max(high, w);
  }
  low *= clipRatio;
  high *= clipRatio;
  float range = symmetric ? std::max(-low, high) : high - low;
  GroupParameters group;
  group.scale = range > 0.0f ? range / qmax : 1.0f;
  float inverse = 1.0f / group.scale;
  if (!symmetric)
    group.zeroPoint =
        num::quantizeInt(-low, inverse, 0, 0, static_cast<int32_t>(qmax));
  // Symmetric integers use the full signed range ([-8, 7] for int4),
  // asymmetric ones [0, qmax].
  int32_t lowCode = symmetric ? -static_cast<int32_t>(qmax) - 1 : 0;
  for (auto [w, code] : llvm::zip(weights, codes)) {
    if (format == "fp8_e4m3")
      code = static_cast<char>(num::encodeE4M3(w * inverse));
    else if (format == "fp4_e2m1")
      code = static_cast<char>(num::encodeE2M1(w * inverse));
    else
      code = static_cast<char>(num::quantizeInt(
          w, inverse, group.zeroPoint, lowCode, static_cast<int32_t>(qmax)));
  }
  return group;
}

float WeightQuantizer::dequantize(char code,
                                  const GroupParameters &group) const {
  if (format == "fp8_e4m3")
    return num::decodeE4M3(static_cast<uint8_t>(code)) * group.scale;
  if (format == "fp4_e2m1")
    return num::decodeE2M1(static_cast<uint8_t>(code)) * group.scale;
  int32_t value = symmetric ? static_cast<int8_t>(code)
                            : static_cast<int32_t>(static_cast<uint8_t>(code));
  return static_cast<float>(value - group.zeroPoint) * group.scale;
}

double WeightQuantizer::error(ArrayRef<float> weights,
                              ArrayRef<float> importance,
                              float clipRatio) const {
  SmallVector<char> codes(weights.size());
  GroupParameters group = quantize(weights, clipRatio, codes);
  double sum = 0.0;
  for (auto [i, w] : llvm::enumerate(weights)) {
    double diff = w - dequantize(codes[i], group);
    sum += (importance.empty() ? 1.0 : importance[i]) * diff * diff;
  }
  return sum;
}

FailureOr<GroupedWeight> GroupedWeight::get(Operation *op, Value weight,
                                            int64_t groupSize) {
  ElementsAttr attr;
  auto type = dyn_cast<RankedTensorType>(weight.getType());
  if (!type || type.getRank() != 2 || !type.getElementType().isF32() ||
      !matchPattern(weight, m_Constant(&attr)))
    return op->emitError("has a weight that is not an f32 constant");
  GroupedWeight grouped;
  grouped.rows = type.getDimSize(0);
  grouped.columns = type.getDimSize(1);
  grouped.size =
      groupSize > 0 ? std::min(groupSize, grouped.columns) : grouped.columns;
  grouped.groups = (grouped.columns + grouped.size - 1) / grouped.size;
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob ||
        blob->getData().size() != type.getNumElements() * sizeof(float))
      return op->emitError("has a weight blob without its data");
    ArrayRef<char> bytes = blob->getData();
    grouped.values.resize(type.getNumElements());
    std::memcpy(grouped.values.data(), bytes.data(), bytes.size());
    return grouped;
  }
  for (const APFloat &value : attr.getValues<APFloat>())
    grouped.values.push_back(value.convertToFloat());
  return grouped;
}
