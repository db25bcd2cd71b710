//===- QccQuantOps.cpp - quantized op verifiers ---------------------------===//

#include "dialects/qcc/QccOps.h"
#include "qcc/Numerics/Hadamard.h"

using namespace qcc;

/// The storage element type of a weight format, or null for unknown formats.
static Type weightStorageType(MLIRContext *context, StringRef format,
                              bool hasZeroPoints) {
  Builder b(context);
  auto integer = [&](unsigned width) -> Type {
    return hasZeroPoints
               ? IntegerType::get(context, width, IntegerType::Unsigned)
               : b.getIntegerType(width);
  };
  if (format == "int8")
    return integer(8);
  if (format == "int4")
    return integer(4);
  if (format == "fp8_e4m3")
    return b.getType<Float8E4M3FNType>();
  if (format == "fp4_e2m1")
    return b.getType<Float4E2M1FNType>();
  return nullptr;
}

Type qcc::getActivationStorageType(MLIRContext *context, StringRef format) {
  Builder b(context);
  if (format == "int8")
    return b.getIntegerType(8);
  if (format == "int4")
    return b.getIntegerType(4);
  if (format == "fp8_e4m3")
    return b.getType<Float8E4M3FNType>();
  return nullptr;
}

float qcc::getActivationMaximum(StringRef format) {
  if (format == "int8")
    return 127.0f;
  if (format == "int4")
    return 7.0f;
  return 448.0f;
}

int64_t QLinearOp::getAccumulationBlock() {
  int64_t k = cast<RankedTensorType>(getWeight().getType()).getDimSize(1);
  bool twoLevel = getScales().getType().getElementType().isUnsignedInteger(8);
  int64_t block = twoLevel ? k : std::min(getGroupSize(), k);
  if (std::optional<int64_t> smooth = getRuntimeSmoothGroup())
    block = std::min(block, *smooth);
  return block;
}

/// Checks the scale operands against the scale element type (the scheme).
static LogicalResult verifyScales(QLinearOp op, int64_t n) {
  Type scaleType = op.getScales().getType().getElementType();
  StringRef format = op.getWeightFormat();
  bool needsChannelScales = false;
  if (scaleType.isUnsignedInteger(8)) {
    if (format != "int4" || op.getZeroPoints())
      return op.emitOpError("two-level (ui8) scales need symmetric int4 "
                            "weights");
    needsChannelScales = true;
  } else if (isa<Float8E8M0FNUType>(scaleType)) {
    if (format != "fp4_e2m1")
      return op.emitOpError("e8m0 (MX) scales need fp4_e2m1 weights");
  } else if (isa<Float8E4M3FNType>(scaleType)) {
    if (format != "fp4_e2m1")
      return op.emitOpError("e4m3 (NV) scales need fp4_e2m1 weights");
    needsChannelScales = true;
  } else if (!scaleType.isF32()) {
    return op.emitOpError("scales must be f32, ui8 (two-level), f8E8M0FNU "
                          "(MX) or f8E4M3FN (NV), got ")
           << scaleType;
  }
  if (Value channel = op.getChannelScales()) {
    if (!needsChannelScales)
      return op.emitOpError("channel_scales belong to two-level and NV "
                            "scales only");
    if (cast<RankedTensorType>(channel.getType()).getShape() !=
        ArrayRef<int64_t>{n})
      return op.emitOpError("channel_scales must be [N] = [") << n << "]";
  } else if (needsChannelScales) {
    return op.emitOpError("scales of ") << scaleType << " need channel_scales";
  }
  return success();
}

/// Checks the activation format against the weight format and the Runtime
/// Smooth group against the weight groups.
static LogicalResult verifyActivations(QLinearOp op) {
  StringRef activation = op.getActivationFormat(),
            weight = op.getWeightFormat();
  bool integerWeight = weight == "int4" || weight == "int8";
  if (activation == "int8" || activation == "int4") {
    if (!integerWeight)
      return op.emitOpError("activation_format ")
             << activation << " needs int4 or int8 weights";
  } else if (activation == "fp8_e4m3") {
    if (integerWeight)
      return op.emitOpError("activation_format fp8_e4m3 needs fp8_e4m3 or "
                            "fp4_e2m1 weights");
  } else if (activation != "float") {
    return op.emitOpError("activation_format \"")
           << activation << "\" is not one of float, int8, int4, fp8_e4m3";
  }
  std::optional<int64_t> smooth = op.getRuntimeSmoothGroup();
  if (!smooth)
    return success();
  if (activation == "float")
    return op.emitOpError("runtime_smooth_group needs quantized activations");
  int64_t k = cast<RankedTensorType>(op.getWeight().getType()).getDimSize(1);
  int64_t group = std::min(op.getGroupSize(), k);
  bool twoLevel =
      op.getScales().getType().getElementType().isUnsignedInteger(8);
  // Per-channel and two-level weights scale all of K alike.
  bool perChannel = twoLevel || group == k;
  if (*smooth <= 0 ||
      (!perChannel && group % *smooth != 0 && *smooth % group != 0))
    return op.emitOpError("runtime_smooth_group ")
           << *smooth << " must be positive and divide or be divided by the "
           << "group size " << group;
  return success();
}

static LogicalResult verifyLoRC(QLinearOp op, int64_t n, int64_t k) {
  Value u = op.getLorcU(), v = op.getLorcV();
  if (!u)
    return success();
  auto uType = cast<RankedTensorType>(u.getType());
  auto vType = cast<RankedTensorType>(v.getType());
  int64_t rank = uType.getRank() == 2 ? uType.getDimSize(1) : -1;
  if (uType.getRank() != 2 || uType.getDimSize(0) != n ||
      vType.getShape() != ArrayRef<int64_t>{rank, k})
    return op.emitOpError("LoRC factors must be [N, r] and [r, K] with N = ")
           << n << ", K = " << k;
  Type element = uType.getElementType();
  if (element != vType.getElementType() ||
      !(element.isF16() || element.isSignlessInteger(8)))
    return op.emitOpError("LoRC factors must both be f16 or both i8");
  bool quantized = element.isSignlessInteger(8);
  if (quantized != (op.getLorcUScales() != nullptr))
    return op.emitOpError("i8 LoRC factors, and only they, need lorc_scales");
  if (quantized &&
      (op.getLorcUScales().getType().getShape() != ArrayRef<int64_t>{n} ||
       op.getLorcVScales().getType().getShape() != ArrayRef<int64_t>{rank}))
    return op.emitOpError("lorc_scales must be [N] and [r]");
  return success();
}

LogicalResult QLinearOp::verify() {
  RankedTensorType input = getInput().getType();
  auto weight = cast<RankedTensorType>(getWeight().getType());
  auto scales = cast<RankedTensorType>(getScales().getType());
  Type expected = weightStorageType(getContext(), getWeightFormat(),
                                    getZeroPoints() != nullptr);
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
  if (failed(verifyScales(*this, n)) || failed(verifyActivations(*this)) ||
      failed(verifyLoRC(*this, n, k)))
    return failure();
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

/// The shape of per-row scales of a tensor of `shape`.
static SmallVector<int64_t> rowScaleShape(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> scales(shape);
  if (!scales.empty())
    scales.back() = 1;
  return scales;
}

LogicalResult QuantizeOp::verify() {
  Type storage = getActivationStorageType(getContext(), getFormat());
  if (!storage)
    return emitOpError("format \"")
           << getFormat() << "\" is not one of int8, int4, fp8_e4m3";
  RankedTensorType input = getInput().getType();
  auto result = cast<RankedTensorType>(getResult().getType());
  if (input.getRank() < 1)
    return emitOpError("needs rows to quantize");
  if (result != RankedTensorType::get(input.getShape(), storage))
    return emitOpError("result must be ")
           << RankedTensorType::get(input.getShape(), storage);
  if (getScales().getType().getShape() !=
      ArrayRef<int64_t>(rowScaleShape(input.getShape())))
    return emitOpError("scales must have the input's shape with a last "
                       "dimension of 1");
  return success();
}

LogicalResult DequantizeOp::verify() {
  auto input = cast<RankedTensorType>(getInput().getType());
  Type element = input.getElementType();
  if (!element.isSignlessInteger(8) && !element.isSignlessInteger(4) &&
      !isa<Float8E4M3FNType>(element))
    return emitOpError("input must be i8, i4 or f8E4M3FN, got ") << element;
  if (input.getRank() < 1 ||
      getScales().getType().getShape() !=
          ArrayRef<int64_t>(rowScaleShape(input.getShape())))
    return emitOpError("scales must have the input's shape with a last "
                       "dimension of 1");
  if (getResult().getType().getShape() != input.getShape())
    return emitOpError("result must have the input's shape");
  return success();
}

LogicalResult HadamardOp::verify() {
  RankedTensorType input = getInput().getType();
  int64_t block = getBlockSize();
  if (input.getRank() < 1 || ShapedType::isDynamic(input.getShape().back()))
    return emitOpError("needs a static last dimension");
  int64_t size = input.getShape().back();
  if (block <= 0 || size % block != 0)
    return emitOpError("block_size ")
           << block << " does not divide the last dimension " << size;
  if (!numerics::hadamardBase(block))
    return emitOpError("no Hadamard matrix of order ")
           << block << " is constructed (orders m · 2^k with m = 1 or a "
           << "Paley order)";
  return success();
}
