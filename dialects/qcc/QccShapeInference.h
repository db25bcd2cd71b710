//===- QccShapeInference.h - shape rules shared by ops and importer -*- C++
//-*-===//
//
// The shape rules of ONNX that more than one op (and the importer) needs:
// broadcasting, axis normalisation, and reading the statically known entries
// of a shape computed at run time.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_DIALECTS_QCC_QCCSHAPEINFERENCE_H
#define QCC_DIALECTS_QCC_QCCSHAPEINFERENCE_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/Value.h"
#include "mlir/IR/ValueRange.h"
#include "qcc/Support/MLIR.h"
#include <optional>

namespace qcc {

/// Infers the broadcast result type of `operands` (ONNX multidirectional
/// broadcasting). All operands but a leading `i1` condition share one element
/// type; the result has `resultElementType`, or that shared type when null.
LogicalResult inferBroadcastType(std::optional<Location> location,
                                 ValueRange operands, Type resultElementType,
                                 SmallVectorImpl<Type> &types);

/// Broadcasts two shapes; a dynamic size against 1 or against a dynamic size
/// stays dynamic. Fails when two static sizes other than 1 differ.
FailureOr<SmallVector<int64_t>> broadcastShapes(ArrayRef<int64_t> lhs,
                                                ArrayRef<int64_t> rhs);

/// Maps an axis in [-rank, rank) to [0, rank); fails outside that range.
FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank);

/// A dynamic dimension named by where it comes from: dimension `dim` of
/// `value`. Two dimensions with the same origin have the same size at run
/// time; see getDimOrigin.
struct DimSymbol {
  Value value;
  int64_t dim = 0;
  bool operator==(const DimSymbol &other) const {
    return value == other.value && dim == other.dim;
  }
};

/// Follows dimension `dim` of `value` back through ops that carry it
/// unchanged (unary ops, norms, `linear` rows, `transpose`, `attention`,
/// reshapes whose entry names it, ...) to where it originates.
DimSymbol getDimOrigin(Value value, int64_t dim);

/// Whether two dimensions are the same at run time: equal static sizes, the
/// same origin, or function arguments' dimensions with the same ONNX name
/// (`qcc.dim_names`).
bool isSameDim(Value a, int64_t aDim, Value b, int64_t bDim);

/// One entry of a shape tensor computed at run time: a static value, or
/// unknown, possibly with the dimension it was read from (`shape(x)[i]`).
struct ShapeEntry {
  int64_t value = ShapedType::kDynamic;
  std::optional<DimSymbol> symbol;
};

/// The entries of a 1-D i64 shape tensor. Looks through constants, `shape`,
/// `concat`, `unsqueeze`, `gather` and `cast`; returns std::nullopt when even
/// the length of `shape` is unknown.
std::optional<SmallVector<ShapeEntry>> getShapeEntries(Value shape);

/// The statically known entries of a shape tensor, ShapedType::kDynamic for
/// the others; std::nullopt when its length is unknown.
std::optional<SmallVector<int64_t>> getKnownShapeValues(Value shape);

/// The result shape of ONNX Reshape of `inputShape` to `requested`. Fails when
/// the request contradicts a static input, e.g. element counts that differ.
FailureOr<SmallVector<int64_t>> inferReshape(ArrayRef<int64_t> inputShape,
                                             ArrayRef<int64_t> requested,
                                             bool allowZero);

/// inferReshape for a value `input`, with symbolic entries: a `-1` entry is
/// also inferred when the dynamic input dimensions are matched by entries
/// read from the same dimensions (`[b, s, -1, 16]` of a `[b, s, 64]` input).
FailureOr<SmallVector<int64_t>>
inferReshape(Value input, ArrayRef<ShapeEntry> requested, bool allowZero);

} // namespace qcc

#endif // QCC_DIALECTS_QCC_QCCSHAPEINFERENCE_H
