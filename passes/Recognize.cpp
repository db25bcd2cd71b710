//===- Recognize.cpp - recognise transformer ops in imported graphs -------===//

#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "passes/Passes.h"
#include "passes/RecognizeInternals.h"
#include "llvm/ADT/TypeSwitch.h"

namespace qcc {
#define GEN_PASS_DEF_RECOGNIZEPASS
#include "passes/Passes.h.inc"
} // namespace qcc

using namespace mlir;
using namespace qcc;
using namespace qcc::recognize;

std::optional<double> recognize::getScalarConstant(Value value) {
  DenseFPElementsAttr attr;
  if (!matchPattern(value, m_Constant(&attr)) ||
      (!attr.isSplat() && attr.getNumElements() != 1))
    return std::nullopt;
  return (*attr.value_begin<APFloat>()).convertToDouble();
}

bool recognize::isScalarConstant(Value value, double expected,
                                 double tolerance) {
  std::optional<double> actual = getScalarConstant(value);
  return actual && std::abs(*actual - expected) <=
                       tolerance * std::max(1.0, std::abs(expected));
}

Value recognize::otherOperand(Operation *op, Value known) {
  if (op->getNumOperands() != 2)
    return nullptr;
  if (op->getOperand(0) == known)
    return op->getOperand(1);
  if (op->getOperand(1) == known)
    return op->getOperand(0);
  return nullptr;
}

Operation *recognize::singleUser(Value value) {
  return value.hasOneUse() ? *value.getUsers().begin() : nullptr;
}

namespace {
// --qcc-recognize
struct RecognizePass : qcc::impl::RecognizePassBase<RecognizePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateLinearPatterns(patterns);
    populateNormPatterns(patterns);
    populateActivationPatterns(patterns);
    populateAttentionPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns)))) {
      getOperation().emitError("qcc-recognize did not converge");
      return signalPassFailure();
    }
    getOperation().walk([&](Operation *op) {
      llvm::TypeSwitch<Operation *>(op)
          .Case([&](LinearOp) { ++numLinear; })
          .Case([&](RmsNormOp) { ++numRmsNorm; })
          .Case([&](LayerNormOp) { ++numLayerNorm; })
          .Case([&](GeluOp) { ++numGelu; })
          .Case([&](SiluOp) { ++numSilu; })
          .Case([&](RotaryOp) { ++numRotary; })
          .Case([&](AttentionOp) { ++numAttention; });
    });
  }
};
} // namespace
