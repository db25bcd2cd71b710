//===- QuantizeWeights.cpp - round-to-nearest weight quantization ---------===//

#include "dialects/qcc/QccOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "passes/Passes.h"
#include "qcc/Numerics/Formats.h"
#include "qcc/Support/Locations.h"
#include "llvm/Support/Regex.h"
#include <cmath>

namespace qcc {
#define GEN_PASS_DEF_QUANTIZEWEIGHTSPASS
#include "passes/Passes.h.inc"
} // namespace qcc

using namespace qcc;
namespace num = qcc::numerics;

namespace {

/// How one weight format is stored and encoded.
struct WeightFormat {
  Type storage;
  float qmax; // largest magnitude (symmetric) or code (asymmetric)
  bool isInteger;
  /// Encodes w * inverseScale (+ zero point) as one storage byte.
  uint8_t encode(float w, float inverseScale, int32_t zeroPoint, StringRef name,
                 bool symmetric) const {
    if (name == "fp8_e4m3")
      return num::encodeE4M3(w * inverseScale);
    if (name == "fp4_e2m1")
      return num::encodeE2M1(w * inverseScale);
    // Symmetric integers use the full signed range ([-8, 7] for int4),
    // asymmetric ones [0, qmax].
    int32_t low = symmetric ? -static_cast<int32_t>(qmax) - 1 : 0;
    int32_t high = static_cast<int32_t>(qmax);
    return static_cast<uint8_t>(
        num::quantizeInt(w, inverseScale, zeroPoint, low, high));
  }
};

/// The f32 values of a constant weight [N, K].
FailureOr<std::vector<float>> weightValues(ElementsAttr attr) {
  std::vector<float> values;
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob || !attr.getElementType().isF32())
      return failure();
    ArrayRef<char> bytes = blob->getData();
    values.resize(bytes.size() / sizeof(float));
    std::memcpy(values.data(), bytes.data(), values.size() * sizeof(float));
    return values;
  }
  for (const APFloat &value : attr.getValues<APFloat>())
    values.push_back(static_cast<float>(value.convertToDouble()));
  return values;
}

/// A resource constant of `type` holding `bytes`.
Value blobConstant(OpBuilder &builder, Location loc, RankedTensorType type,
                   StringRef name, ArrayRef<char> bytes, size_t alignment) {
  AsmResourceBlob blob =
      HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, alignment);
  auto attr = DenseResourceElementsAttr::get(type, name, std::move(blob));
  return arith::ConstantOp::create(builder, loc, attr);
}

// --qcc-quantize-weights
struct QuantizeWeightsPass
    : qcc::impl::QuantizeWeightsPassBase<QuantizeWeightsPass> {
  using QuantizeWeightsPassBase::QuantizeWeightsPassBase;

  void runOnOperation() override {
    MLIRContext *context = &getContext();
    Builder b(context);
    bool isInteger = format == "int4" || format == "int8";
    if (!symmetric && !isInteger) {
      emitError(getOperation().getLoc(), "format ")
          << format << " has no asymmetric form";
      return signalPassFailure();
    }
    WeightFormat weightFormat;
    if (format == "int4")
      weightFormat = {symmetric
                          ? b.getIntegerType(4)
                          : IntegerType::get(context, 4, IntegerType::Unsigned),
                      symmetric ? 7.0f : 15.0f, true};
    else if (format == "int8")
      weightFormat = {symmetric
                          ? b.getIntegerType(8)
                          : IntegerType::get(context, 8, IntegerType::Unsigned),
                      symmetric ? 127.0f : 255.0f, true};
    else if (format == "fp8_e4m3")
      weightFormat = {b.getType<Float8E4M3FNType>(), 448.0f, false};
    else if (format == "fp4_e2m1")
      weightFormat = {b.getType<Float4E2M1FNType>(), 6.0f, false};
    else {
      emitError(getOperation().getLoc(), "unknown weight format '")
          << format << "'; formats: int4, int8, fp8_e4m3, fp4_e2m1";
      return signalPassFailure();
    }
    llvm::Regex keep(keepFloat);
    std::string regexError;
    if (!keepFloat.empty() && !keep.isValid(regexError)) {
      emitError(getOperation().getLoc(), "keep-float: ") << regexError;
      return signalPassFailure();
    }

    SmallVector<LinearOp> linears;
    getOperation().walk([&](LinearOp op) { linears.push_back(op); });
    for (LinearOp op : linears) {
      if (!keepFloat.empty() &&
          llvm::any_of(getNodeNames(op.getLoc()),
                       [&](StringRef name) { return keep.match(name); }))
        continue;
      if (failed(quantize(op, weightFormat)))
        return signalPassFailure();
    }
  }

  LogicalResult quantize(LinearOp op, const WeightFormat &weightFormat) {
    ElementsAttr attr;
    if (!matchPattern(op.getWeight(), m_Constant(&attr)))
      return op.emitError("has a weight that is not a constant");
    FailureOr<std::vector<float>> values = weightValues(attr);
    if (failed(values))
      return op.emitError("has a weight that is not f32");
    int64_t n = op.getWeight().getType().getDimSize(0);
    int64_t k = op.getWeight().getType().getDimSize(1);
    int64_t group = groupSize > 0 ? std::min<int64_t>(groupSize, k) : k;
    int64_t groups = (k + group - 1) / group;

    std::vector<char> codes(n * k);
    std::vector<float> scales(n * groups);
    std::vector<char> zeros(symmetric ? 0 : n * groups);
    for (int64_t row = 0; row < n; ++row) {
      for (int64_t g = 0; g < groups; ++g) {
        const float *w = values->data() + row * k + g * group;
        int64_t count = std::min(group, k - g * group);
        float low = 0.0f, high = 0.0f;
        for (int64_t i = 0; i < count; ++i) {
          low = std::min(low, w[i]);
          high = std::max(high, w[i]);
        }
        float range = symmetric ? std::max(-low, high) : high - low;
        float scale = range > 0.0f ? range / weightFormat.qmax : 1.0f;
        float inverse = 1.0f / scale;
        int32_t zeroPoint = 0;
        if (!symmetric)
          zeroPoint = num::quantizeInt(-low, inverse, 0, 0,
                                       static_cast<int32_t>(weightFormat.qmax));
        scales[row * groups + g] = scale;
        if (!symmetric)
          zeros[row * groups + g] = static_cast<char>(zeroPoint);
        for (int64_t i = 0; i < count; ++i)
          codes[row * k + g * group + i] = static_cast<char>(
              weightFormat.encode(w[i], inverse, zeroPoint, format, symmetric));
      }
    }

    OpBuilder builder(op);
    std::string name = getFirstNodeName(op.getLoc());
    Location loc = op.getWeight().getLoc();
    Value weight = blobConstant(
        builder, loc, RankedTensorType::get({n, k}, weightFormat.storage),
        name + ".q", codes, 1);
    Value scaleValue = blobConstant(
        builder, loc, RankedTensorType::get({n, groups}, builder.getF32Type()),
        name + ".scales",
        ArrayRef<char>(reinterpret_cast<const char *>(scales.data()),
                       scales.size() * sizeof(float)),
        alignof(float));
    Value zeroValue;
    if (!symmetric)
      zeroValue =
          blobConstant(builder, loc,
                       RankedTensorType::get({n, groups}, weightFormat.storage),
                       name + ".zeros", zeros, 1);
    auto qlinear = QLinearOp::create(
        builder, op.getLoc(), op.getType(), op.getInput(), weight, scaleValue,
        zeroValue, op.getBias(), builder.getStringAttr(format),
        builder.getI64IntegerAttr(group));
    op.replaceAllUsesWith(qlinear.getResult());
    op.erase();
    return success();
  }
};
} // namespace
