//===- qcc-opt.cpp - the qcc optimizer driver -----------------------------===//
//
// mlir-opt for qcc IR: parses, runs qcc passes (and the generic MLIR
// transforms a test needs), prints. Only qcc's own passes and the pass
// manager's options are registered, so `--help` lists qcc-prefixed passes.
//
//===----------------------------------------------------------------------===//

#include "dialects/qcc/QccDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"
#include "passes/Passes.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<qcc::QccDialect, mlir::arith::ArithDialect,
                  mlir::func::FuncDialect>();
  qcc::registerQccPasses();
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "qcc optimizer driver\n", registry));
}
