//===- PassUtils.cpp - what several qcc passes share ----------------------===//

#include "passes/PassUtils.h"
#include "mlir/IR/Diagnostics.h"
#include "qcc/Support/Locations.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

using namespace qcc;

LogicalResult qcc::writeJSONReport(Operation *anchor, StringRef path,
                                   llvm::json::Value json) {
  auto write = [&](llvm::raw_ostream &os) {
    os << llvm::formatv("{0:2}", json) << "\n";
    return llvm::Error::success();
  };
  if (llvm::Error error = llvm::writeToOutput(path, write))
    return emitError(anchor->getLoc(), "cannot write the report '")
           << path << "': " << llvm::toString(std::move(error));
  return success();
}

bool qcc::isKeptInFloat(Operation *op, StringRef pattern,
                        const llvm::Regex &regex) {
  return !pattern.empty() &&
         llvm::any_of(getNodeNames(op->getLoc()),
                      [&](StringRef name) { return regex.match(name); });
}

FailureOr<llvm::Regex> qcc::parseKeepFloat(Operation *anchor,
                                           StringRef pattern) {
  llvm::Regex regex(pattern);
  std::string error;
  if (!pattern.empty() && !regex.isValid(error))
    return emitError(anchor->getLoc(), "keep-float: ") << error;
  return regex;
}
