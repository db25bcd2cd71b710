//===- QuantizeWeights.cpp - weights into qlinear ops ---------------------===//

#include "dialects/qcc/QccOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"
#include "passes/GPTQ.h"
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

    if (method != "rtn" && method != "gptq") {
      emitError(getOperation().getLoc(), "unknown method '")
          << method << "'; methods: rtn, gptq";
      return signalPassFailure();
    }
    if (method == "gptq" && failed(collectGPTQHessians(*keep)))
      return signalPassFailure();

    llvm::json::Array layers;
    if (failed(forEachQuantizedLinear(
            getOperation(), keepFloat, *keep, [&](Operation *op) {
              return quantize(cast<LinearOp>(op), *quantizer, layers);
            })))
      return signalPassFailure();
    if (failed(writeLayersReport(getOperation(), report, std::move(layers))))
      return signalPassFailure();
    if (underdetermined > 0)
      emitWarning(getOperation().getLoc())
          << "GPTQ: " << underdetermined
          << " linears have fewer calibration rows than inputs (K), so H is "
             "singular and GPTQ fits those rows; give it several times K "
             "rows of calibration data";
  }

  LogicalResult collectGPTQHessians(const llvm::Regex &keep) {
    if (data.empty())
      return emitError(getOperation().getLoc(),
                       "method=gptq needs calibration data (data=PATH)");
    if (damp <= 0.0)
      return emitError(getOperation().getLoc(), "damp must be > 0");
    SmallVector<Operation *> linears;
    (void)forEachQuantizedLinear(getOperation(), keepFloat, keep,
                                 [&](Operation *op) {
                                   linears.push_back(op);
                                   return success();
                                 });
    auto collected = collectHessians(getOperation(), data, linears);
    if (failed(collected))
      return failure();
    hessians = std::move(*collected);
    return success();
  }

  /// GPTQ's codes in place of `quantized`'s, with the layer's output errors
  /// before and after in `layer`.
  LogicalResult applyGPTQ(LinearOp op, const GroupedWeight &weights,
                          const WeightQuantizer &quantizer,
                          QuantizedWeight &quantized,
                          llvm::json::Object &layer) {
    if (op->hasAttr("qcc.lorc_u"))
      return op.emitError("has LoRC factors computed for round-to-nearest; "
                          "they do not correct GPTQ's rounding");
    const Hessian &hessian = hessians.of(op);
    if (!report.empty())
      layer["rtn_error"] = relativeOutputError(
          weights, quantized.dequantize(weights, quantizer), hessian);
    GPTQOptions options;
    options.damp = damp;
    options.actOrder = actOrder;
    if (failed(
            roundWithGPTQ(op, weights, quantizer, hessian, options, quantized)))
      return failure();
    if (!report.empty())
      layer["gptq_error"] = relativeOutputError(
          weights, quantized.dequantize(weights, quantizer), hessian);
    layer["calibration_rows"] = hessian.rows;
    underdetermined += hessian.rows < hessian.size;
    return success();
  }

  LogicalResult quantize(LinearOp op, const WeightQuantizer &quantizer,
                         llvm::json::Array &layers) {
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
    std::string name = getFirstNodeName(op.getLoc());
    if (method == "gptq") {
      llvm::json::Object layer{{"node", name}};
      if (failed(applyGPTQ(op, *weights, quantizer, *quantized, layer)))
        return failure();
      layers.push_back(std::move(layer));
    }
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

  /// H of each quantized linear's input (method=gptq).
  Hessians hessians;
  /// Linears whose H has fewer calibration rows than columns.
  int64_t underdetermined = 0;
};
} // namespace
