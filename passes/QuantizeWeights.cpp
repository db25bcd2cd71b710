//===- QuantizeWeights.cpp - round-to-nearest weight quantization ---------===//

#include "dialects/qcc/QccOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectResourceBlobManager.h"
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
    FailureOr<WeightQuantizer> quantizer =
        WeightQuantizer::get(getOperation().getLoc(), format, symmetric);
    FailureOr<llvm::Regex> keep = parseKeepFloat(getOperation(), keepFloat);
    if (failed(quantizer) || failed(keep))
      return signalPassFailure();

    SmallVector<LinearOp> linears;
    getOperation().walk([&](LinearOp op) { linears.push_back(op); });
    for (LinearOp op : linears) {
      if (isKeptInFloat(op, keepFloat, *keep))
        continue;
      if (failed(quantize(op, *quantizer)))
        return signalPassFailure();
    }
  }

  LogicalResult quantize(LinearOp op, const WeightQuantizer &quantizer) {
    FailureOr<GroupedWeight> weights =
        GroupedWeight::get(op, op.getWeight(), groupSize);
    if (failed(weights))
      return failure();
    int64_t n = weights->rows, k = weights->columns, groups = weights->groups;

    // Clip ratios chosen by qcc-scale-search, one per group, if any.
    std::vector<float> ratios(n * groups, 1.0f);
    if (auto searched =
            op->getAttrOfType<DenseFPElementsAttr>("qcc.clip_ratios")) {
      if (searched.getType().getShape() != ArrayRef<int64_t>{n, groups})
        return op.emitError("has qcc.clip_ratios for another group size");
      llvm::transform(searched.getValues<APFloat>(), ratios.begin(),
                      [](const APFloat &r) { return r.convertToFloat(); });
    }
    std::vector<char> codes(n * k);
    std::vector<float> scales(n * groups);
    std::vector<char> zeros(symmetric ? 0 : n * groups);
    for (int64_t row = 0; row < n; ++row) {
      for (int64_t g = 0; g < groups; ++g) {
        auto [start, count] = weights->columnRange(g);
        GroupParameters parameters = quantizer.quantize(
            weights->group(row, g), ratios[row * groups + g],
            MutableArrayRef<char>(codes).slice(row * k + start, count));
        scales[row * groups + g] = parameters.scale;
        if (!symmetric)
          zeros[row * groups + g] = static_cast<char>(parameters.zeroPoint);
      }
    }

    OpBuilder builder(op);
    std::string name = getFirstNodeName(op.getLoc());
    Location loc = op.getWeight().getLoc();
    Value weight = blobConstant(
        builder, loc, RankedTensorType::get({n, k}, quantizer.storageType()),
        name + ".q", codes, 1);
    Value scaleValue = blobConstant(
        builder, loc, RankedTensorType::get({n, groups}, builder.getF32Type()),
        name + ".scales",
        ArrayRef<char>(reinterpret_cast<const char *>(scales.data()),
                       scales.size() * sizeof(float)),
        alignof(float));
    Value zeroValue;
    if (!symmetric)
      zeroValue = blobConstant(
          builder, loc,
          RankedTensorType::get({n, groups}, quantizer.storageType()),
          name + ".zeros", zeros, 1);
    auto qlinear = QLinearOp::create(
        builder, op.getLoc(), op.getType(), op.getInput(), weight, scaleValue,
        zeroValue, /*channel_scales=*/Value(), op.getBias(), /*lorc_u=*/Value(),
        /*lorc_v=*/Value(), /*lorc_u_scales=*/Value(),
        /*lorc_v_scales=*/Value(), builder.getStringAttr(format),
        builder.getI64IntegerAttr(weights->size),
        builder.getStringAttr("float"), IntegerAttr());
    op.replaceAllUsesWith(qlinear.getResult());
    op.erase();
    return success();
  }
};
} // namespace
