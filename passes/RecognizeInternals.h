//===- RecognizeInternals.h - pattern helpers of qcc-recognize --*- C++ -*-===//

#ifndef QCC_PASSES_RECOGNIZEINTERNALS_H
#define QCC_PASSES_RECOGNIZEINTERNALS_H

#include "dialects/qcc/QccOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/Verifier.h"

namespace qcc::recognize {

/// Patterns of each family, added by Recognize.cpp.
void populateLinearPatterns(RewritePatternSet &patterns);
void populateNormPatterns(RewritePatternSet &patterns);
void populateActivationPatterns(RewritePatternSet &patterns);
void populateAttentionPatterns(RewritePatternSet &patterns);

/// The value of a constant splat (or single-element) float operand.
std::optional<double> getScalarConstant(Value value);

/// Whether `value` is a float constant splat equal to `expected` within a
/// relative `tolerance` (exporters print constants such as √2 rounded).
bool isScalarConstant(Value value, double expected, double tolerance = 1e-6);

/// For a binary op `op` whose operands are {a, b} in either order, returns
/// the operand other than `known`, or null when `known` is not an operand.
Value otherOperand(Operation *op, Value known);

/// The single user of `value` when it has exactly one use, else null.
Operation *singleUser(Value value);

/// The matched operand pair of a commutative binary op: `first` satisfies the
/// predicate, `second` is the remaining operand.
template <typename OpTy, typename Pred>
std::optional<std::pair<Value, Value>> matchEitherOrder(OpTy op, Pred pred) {
  if (pred(op.getLhs()))
    return std::make_pair(op.getLhs(), op.getRhs());
  if (pred(op.getRhs()))
    return std::make_pair(op.getRhs(), op.getLhs());
  return std::nullopt;
}

/// Builds `OpTy` detached (outside any block) and returns it if it
/// verifies; destroys it and returns null otherwise. Matchers use this where
/// the op's own verifier is the most precise statement of its preconditions;
/// verifier messages are silenced because a non-match is not an error. The
/// caller inserts the op with `rewriter.insert`.
template <typename OpTy, typename... Args>
OpTy buildIfValid(MLIRContext *context, Location loc, Args &&...args) {
  OpBuilder detached(context);
  OpTy op = OpTy::create(detached, loc, std::forward<Args>(args)...);
  ScopedDiagnosticHandler silence(context,
                                  [](Diagnostic &) { return success(); });
  if (failed(mlir::verify(op))) {
    op->destroy();
    return nullptr;
  }
  return op;
}

} // namespace qcc::recognize

#endif // QCC_PASSES_RECOGNIZEINTERNALS_H
