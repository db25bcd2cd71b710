//===- PassUtils.h - what several qcc passes share --------------*- C++ -*-===//

#ifndef QCC_PASSES_PASSUTILS_H
#define QCC_PASSES_PASSUTILS_H

#include "mlir/IR/Operation.h"
#include "qcc/Support/MLIR.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Regex.h"

namespace qcc {

/// Writes `json` (indented) to `path` through a temporary file; diagnoses a
/// failure at `anchor`.
LogicalResult writeJSONReport(Operation *anchor, StringRef path,
                              llvm::json::Value json);

/// The `--keep-float` regular expression; diagnoses an invalid one at
/// `anchor`.
FailureOr<llvm::Regex> parseKeepFloat(Operation *anchor, StringRef pattern);

/// Whether one of the ONNX node names of `op` matches the `--keep-float`
/// pattern (an empty pattern matches nothing).
bool isKeptInFloat(Operation *op, StringRef pattern, const llvm::Regex &regex);

} // namespace qcc

#endif // QCC_PASSES_PASSUTILS_H
