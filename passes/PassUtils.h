//===- PassUtils.h - what several qcc passes share --------------*- C++ -*-===//

#ifndef QCC_PASSES_PASSUTILS_H
#define QCC_PASSES_PASSUTILS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"
#include "qcc/Support/MLIR.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Regex.h"

namespace qcc {

/// Writes `json` (indented) to `path` through a temporary file; diagnoses a
/// failure at `anchor`.
LogicalResult writeJSONReport(Operation *anchor, StringRef path,
                              llvm::json::Value json);

/// writeJSONReport of {"layers": layers} when `path` is not empty.
LogicalResult writeLayersReport(Operation *anchor, StringRef path,
                                llvm::json::Array layers);

/// The `--keep-float` regular expression; diagnoses an invalid one at
/// `anchor`.
FailureOr<llvm::Regex> parseKeepFloat(Operation *anchor, StringRef pattern);

/// Whether one of the ONNX node names of `op` matches the `--keep-float`
/// pattern (an empty pattern matches nothing).
bool isKeptInFloat(Operation *op, StringRef pattern, const llvm::Regex &regex);

/// Runs `body` on every qcc.linear of `root` whose ONNX node name does not
/// match `keepFloat` (compiled as `keep`), in order, until one fails. The
/// linears are listed first, so `body` may replace them.
LogicalResult
forEachQuantizedLinear(Operation *root, StringRef keepFloat,
                       const llvm::Regex &keep,
                       llvm::function_ref<LogicalResult(Operation *)> body);

/// Whether readF32Constant would succeed, without copying the values.
bool isF32Constant(Value value);

/// The values of an f32 constant (inline or resource), or failure.
FailureOr<std::vector<float>> readF32Constant(Value value);

/// An arith.constant holding `bytes` as a resource blob named `name`.
Value createBlobConstant(OpBuilder &builder, Location loc,
                         RankedTensorType type, StringRef name,
                         ArrayRef<char> bytes, size_t alignment);

/// An f32 resource constant of `type`.
Value createF32Constant(OpBuilder &builder, Location loc, RankedTensorType type,
                        StringRef name, ArrayRef<float> values);

/// Replaces the f32 constant operand `index` of `op` by one of the same type
/// holding `values`, erasing the old constant when nothing else reads it.
void replaceF32Operand(Operation *op, unsigned index, ArrayRef<float> values,
                       StringRef name);

} // namespace qcc

#endif // QCC_PASSES_PASSUTILS_H
