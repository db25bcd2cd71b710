//===- Calibrate.cpp - record activation statistics -----------------------===//

#include "dialects/qcc/QccOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "passes/CalibrationStats.h"
#include "passes/PassUtils.h"
#include "passes/Passes.h"
#include "qcc/Data/TensorFiles.h"
#include "qcc/Interpreter/Interpreter.h"
#include "qcc/Support/Locations.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

namespace qcc {
#define GEN_PASS_DEF_CALIBRATEPASS
#include "passes/Passes.h.inc"
} // namespace qcc

using namespace qcc;

/// The operands whose statistics are recorded.
static SmallVector<unsigned> recordedOperands(Operation *op) {
  if (isa<LinearOp>(op))
    return {0};
  if (isa<MatMulOp>(op))
    return {0, 1};
  return {};
}

namespace {
// --qcc-calibrate
struct CalibratePass : qcc::impl::CalibratePassBase<CalibratePass> {
  using CalibratePassBase::CalibratePassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto func = module.lookupSymbol<func::FuncOp>("main");
    if (!func) {
      emitError(module.getLoc(), "qcc-calibrate needs a function @main");
      return signalPassFailure();
    }
    if (data.empty()) {
      emitError(module.getLoc(),
                "qcc-calibrate needs calibration data (data=PATH)");
      return signalPassFailure();
    }
    auto samples = readSamples(func, data);
    if (!samples) {
      emitError(module.getLoc(), llvm::toString(samples.takeError()));
      return signalPassFailure();
    }

    llvm::MapVector<Operation *, SmallVector<StatsAccumulator>> accumulators;
    for (const std::vector<HostTensor> &sample : *samples) {
      auto observe = [&](Operation *op, ArrayRef<HostTensor> operands,
                         ArrayRef<HostTensor>) {
        SmallVector<unsigned> recorded = recordedOperands(op);
        if (recorded.empty())
          return;
        auto &stats = accumulators[op];
        stats.resize(recorded.size());
        for (auto [accumulator, index] : llvm::zip(stats, recorded))
          accumulator.add(operands[index]);
      };
      if (failed(interpret(func, sample, observe)))
        return signalPassFailure();
      for (auto &entry : accumulators)
        for (StatsAccumulator &accumulator : entry.second)
          accumulator.finishSample();
    }

    llvm::json::Array layers;
    for (auto &[op, stats] : accumulators) {
      SmallVector<Attribute> attrs;
      for (auto [index, accumulator] : llvm::enumerate(stats)) {
        CalibrationStats result = accumulator.finish();
        attrs.push_back(result.toAttr(&getContext()));
        llvm::json::Object layer = result.toJSON();
        layer["op"] = op->getName().getStringRef().str();
        layer["node"] = getFirstNodeName(op->getLoc());
        layer["operand"] = static_cast<int64_t>(index);
        layers.push_back(std::move(layer));
      }
      op->setAttr("qcc.calibration", ArrayAttr::get(&getContext(), attrs));
    }
    if (!report.empty() &&
        failed(writeJSONReport(
            module, report, llvm::json::Object{{"layers", std::move(layers)}})))
      return signalPassFailure();
  }
};
} // namespace
