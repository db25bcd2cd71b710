//===- QccQuantOps.cpp - quantized op verifiers ---------------------------===//

#include "dialects/qcc/QccOps.h"

using namespace qcc;

/// The storage element type of a weight format, or null for unknown formats.
static Type storageType(MLIRContext *context, StringRef format,
                        bool hasZeroPoints) {
  Builder b(context);
  if (format == "int8")
    return hasZeroPoints ? IntegerType::get(context, 8, IntegerType::Unsigned)
                         : b.getIntegerType(8);
  if (format == "int4")
    return hasZeroPoints ? IntegerType::get(context, 4, IntegerType::Unsigned)
                         : b.getIntegerType(4);
  if (format == "fp8_e4m3")
    return b.getType<Float8E4M3FNType>();
  if (format == "fp4_e2m1")
    return b.getType<Float4E2M1FNType>();
  return nullptr;
}

LogicalResult QLinearOp::verify() {
  RankedTensorType input = getInput().getType();
  auto weight = cast<RankedTensorType>(getWeight().getType());
  RankedTensorType scales = getScales().getType();
  Type expected =
      storageType(getContext(), getWeightFormat(), getZeroPoints() != nullptr);
  if (!expected)
    return emitOpError("weight_format \"")
           << getWeightFormat()
           << "\" is not one of int8, int4, fp8_e4m3, fp4_e2m1";
  if (weight.getRank() != 2 || weight.getElementType() != expected)
    return emitOpError("expects a [N, K] weight of ")
           << expected << " for " << getWeightFormat() << ", got " << weight;
  if (getZeroPoints() && getWeightFormat() != "int4" &&
      getWeightFormat() != "int8")
    return emitOpError("zero points apply to integer formats only");
  int64_t n = weight.getDimSize(0), k = weight.getDimSize(1);
  if (input.getRank() < 1 || input.getShape().back() != k)
    return emitOpError("input ")
           << input << " does not have K = " << k << " features";
  if (getGroupSize() <= 0)
    return emitOpError("group_size must be positive");
  int64_t groups = (k + getGroupSize() - 1) / getGroupSize();
  if (scales.getShape() != ArrayRef<int64_t>{n, groups})
    return emitOpError("scales must be [N, ceil(K / group_size)] = [")
           << n << ", " << groups << "], got " << scales;
  if (Value zeros = getZeroPoints()) {
    auto zeroType = cast<RankedTensorType>(zeros.getType());
    if (zeroType.getShape() != scales.getShape() ||
        zeroType.getElementType() != expected)
      return emitOpError("zero points must be of the weight's type, shaped "
                         "like the scales");
  }
  if (Value bias = getBias())
    if (cast<RankedTensorType>(bias.getType()).getShape() !=
        ArrayRef<int64_t>{n})
      return emitOpError("bias must be [N] = [") << n << "]";
  RankedTensorType result = getResult().getType();
  SmallVector<int64_t> shape(input.getShape().drop_back());
  shape.push_back(n);
  if (result.getShape() != ArrayRef<int64_t>(shape) ||
      result.getElementType() != input.getElementType())
    return emitOpError("result must be ")
           << RankedTensorType::get(shape, input.getElementType());
  return success();
}
