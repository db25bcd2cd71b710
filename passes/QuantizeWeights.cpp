//===- QuantizeWeights.cpp - round-to-nearest weight quantization ---------===//

#include "dialects/qcc/QccOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"
#include "passes/PassUtils.h"
#include "passes/Passes.h"
#include "passes/WeightQuantizer.h"
#include "qcc/Support/Locations.h"
#include "llvm/Support/Regex.h"
#include <cmath>

namespace qcc {
#define GEN_PASS_DEF_QUANTIZEWEIGHTSPASS
#include "passes/Passes.h.inc"
} // namespace qcc

using namespace qcc;

namespace {

/// LoRC factors that qcc-lorc attached to a linear, as constants.
struct LoRCOperands {
  Value u, v, uScales, vScales;
};

LoRCOperands takeLoRC(OpBuilder &builder, LinearOp op) {
  LoRCOperands lorc;
  auto constant = [&](StringRef attr) -> Value {
    auto value = op->getAttrOfType<ElementsAttr>(attr);
    return value ? arith::ConstantOp::create(builder, op.getLoc(),
                                             cast<TypedAttr>(value))
                 : Value();
  };
  lorc.u = constant("qcc.lorc_u");
  lorc.v = constant("qcc.lorc_v");
  lorc.uScales = constant("qcc.lorc_u_scales");
  lorc.vScales = constant("qcc.lorc_v_scales");
  return lorc;
}

// --qcc-quantize-weights
struct QuantizeWeightsPass
    : qcc::impl::QuantizeWeightsPassBase<QuantizeWeightsPass> {
  using QuantizeWeightsPassBase::QuantizeWeightsPassBase;

  void runOnOperation() override {
    FailureOr<WeightQuantizer> quantizer = WeightQuantizer::get(
        getOperation().getLoc(), format, symmetric, scaleFormat);
    FailureOr<llvm::Regex> keep = parseKeepFloat(getOperation(), keepFloat);
    if (failed(quantizer) || failed(keep))
      return signalPassFailure();
    if (activationFormat != "float" &&
        !getActivationStorageType(&getContext(), activationFormat)) {
      emitError(getOperation().getLoc(), "unknown activation format '")
          << activationFormat << "'; formats: float, int8, int4, fp8_e4m3";
      return signalPassFailure();
    }

    if (failed(forEachQuantizedLinear(
            getOperation(), keepFloat, *keep, [&](Operation *op) {
              return quantize(cast<LinearOp>(op), *quantizer);
            })))
      return signalPassFailure();
  }

  LogicalResult quantize(LinearOp op, const WeightQuantizer &quantizer) {
    FailureOr<GroupedWeight> weights =
        GroupedWeight::get(op, op.getWeight(), groupSize);
    if (failed(weights))
      return failure();
    int64_t n = weights->rows, k = weights->columns, groups = weights->groups;
    if (k % weights->size != 0)
      op.emitWarning("K = ")
          << k << " is not a multiple of the group size " << weights->size
          << ": the last group holds " << k % weights->size
          << " columns (scaled as if zero-padded)";

    FailureOr<QuantizedWeight> quantized =
        QuantizedWeight::get(op, *weights, quantizer);
    if (failed(quantized))
      return failure();
    std::vector<char> &codes = quantized->codes;
    std::vector<float> &channels = quantized->channelScales;
    std::vector<float> scales(n * groups);
    std::vector<char> zeros(symmetric ? 0 : n * groups);
    for (auto [i, group] : llvm::enumerate(quantized->groups)) {
      scales[i] = group.scale;
      if (!symmetric)
        zeros[i] = static_cast<char>(group.zeroPoint);
    }

    OpBuilder builder(op);
    std::string name = getFirstNodeName(op.getLoc());
    Location loc = op.getWeight().getLoc();
    Value weight = createBlobConstant(
        builder, loc, RankedTensorType::get({n, k}, quantizer.storageType()),
        name + ".q", codes, 1);
    auto scaleType = RankedTensorType::get({n, groups}, quantizer.scaleType());
    Value scaleValue;
    if (quantizer.getScaleFormat() == ScaleFormat::F32) {
      scaleValue =
          createF32Constant(builder, loc, scaleType, name + ".scales", scales);
    } else {
      std::vector<char> encoded(scales.size());
      llvm::transform(scales, encoded.begin(), [&](float scale) {
        return static_cast<char>(quantizer.encodeScale(scale));
      });
      scaleValue = createBlobConstant(builder, loc, scaleType, name + ".scales",
                                      encoded, 1);
    }
    Value zeroValue, channelValue;
    if (!symmetric)
      zeroValue = createBlobConstant(
          builder, loc,
          RankedTensorType::get({n, groups}, quantizer.storageType()),
          name + ".zeros", zeros, 1);
    if (quantizer.hasChannelScales())
      channelValue = createF32Constant(
          builder, loc, RankedTensorType::get({n}, builder.getF32Type()),
          name + ".channel_scales", channels);
    LoRCOperands lorc = takeLoRC(builder, op);
    IntegerAttr smoothGroup;
    if (auto group = op->getAttrOfType<IntegerAttr>("qcc.runtime_smooth")) {
      if (activationFormat == "float")
        return op.emitError("is marked for Runtime Smooth, which needs "
                            "quantized activations (activation-format)");
      smoothGroup = builder.getI64IntegerAttr(group.getInt());
    }
    auto qlinear = QLinearOp::create(
        builder, op.getLoc(), op.getType(), op.getInput(), weight, scaleValue,
        zeroValue, channelValue, op.getBias(), lorc.u, lorc.v, lorc.uScales,
        lorc.vScales, builder.getStringAttr(format),
        builder.getI64IntegerAttr(weights->size),
        builder.getStringAttr(activationFormat), smoothGroup);
    if (failed(verify(qlinear))) {
      qlinear.erase();
      return failure();
    }
    op.replaceAllUsesWith(qlinear.getResult());
    op.erase();
    return success();
  }
};
} // namespace
