//===- QccShapeInference.cpp - shape rules shared by ops and importer -----===//

#include "dialects/qcc/QccShapeInference.h"
#include "dialects/qcc/QccOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

using namespace mlir;
using namespace qcc;

FailureOr<SmallVector<int64_t>> qcc::broadcastShapes(ArrayRef<int64_t> lhs,
                                                     ArrayRef<int64_t> rhs) {
  size_t rank = std::max(lhs.size(), rhs.size());
  SmallVector<int64_t> result(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t a = i < rank - lhs.size() ? 1 : lhs[i - (rank - lhs.size())];
    int64_t b = i < rank - rhs.size() ? 1 : rhs[i - (rank - rhs.size())];
    if (a == 1) {
      result[i] = b;
    } else if (b == 1) {
      result[i] = a;
    } else if (ShapedType::isDynamic(a)) {
      result[i] = b;
    } else if (ShapedType::isDynamic(b) || a == b) {
      result[i] = a;
    } else {
      return failure();
    }
  }
  return result;
}

FailureOr<int64_t> qcc::normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return failure();
  return axis < 0 ? axis + rank : axis;
}

LogicalResult qcc::inferBroadcastType(std::optional<Location> location,
                                      ValueRange operands,
                                      Type resultElementType,
                                      SmallVectorImpl<Type> &types) {
  SmallVector<int64_t> shape;
  Type elementType;
  for (auto [index, operand] : llvm::enumerate(operands)) {
    auto type = dyn_cast<RankedTensorType>(operand.getType());
    if (!type)
      return emitOptionalError(location, "operand #", index,
                               " is not a ranked tensor");
    bool isCondition = index == 0 && operands.size() == 3;
    if (!isCondition) {
      if (elementType && elementType != type.getElementType())
        return emitOptionalError(location,
                                 "operands have different element "
                                 "types ",
                                 elementType, " and ", type.getElementType());
      elementType = type.getElementType();
    }
    FailureOr<SmallVector<int64_t>> broadcast =
        broadcastShapes(shape, type.getShape());
    if (failed(broadcast))
      return emitOptionalError(location, "operand shapes do not broadcast: ",
                               operands[0].getType(), " and ", type);
    shape = std::move(*broadcast);
  }
  types.push_back(RankedTensorType::get(
      shape, resultElementType ? resultElementType : elementType));
  return success();
}

/// The ONNX name of a function argument's dimension, or "" when unnamed.
static StringRef dimName(const DimSymbol &symbol) {
  auto arg = dyn_cast<BlockArgument>(symbol.value);
  auto func =
      arg ? dyn_cast_or_null<FunctionOpInterface>(arg.getOwner()->getParentOp())
          : nullptr;
  if (!func || !arg.getOwner()->isEntryBlock())
    return "";
  auto names =
      func.getArgAttrOfType<ArrayAttr>(arg.getArgNumber(), "qcc.dim_names");
  if (!names || symbol.dim >= static_cast<int64_t>(names.size()))
    return "";
  auto name = dyn_cast<StringAttr>(names[symbol.dim]);
  return name ? name.getValue() : "";
}

namespace {
class DimOriginFinder;
/// getShapeEntries with `finder`'s memo, which reshapes inside the walk
/// share: a fresh one per reshape would retrace every earlier layer.
std::optional<SmallVector<ShapeEntry>> shapeEntries(Value shape,
                                                    DimOriginFinder &finder);

/// Memoized getDimOrigin: residual adds make the walk a DAG, and following
/// both operands of every add without a cache would be exponential.
class DimOriginFinder {
public:
  DimSymbol find(Value value, int64_t dim) {
    auto key = std::make_pair(value.getAsOpaquePointer(), dim);
    if (auto it = cache.find(key); it != cache.end())
      return it->second;
    DimSymbol origin = step(value, dim);
    cache[key] = origin;
    return origin;
  }

private:
  /// The origin of a broadcast result dimension: the operands that can supply
  /// it must agree, or the dimension is its own origin.
  DimSymbol broadcast(Value result, int64_t dim, ValueRange operands) {
    int64_t rank = cast<RankedTensorType>(result.getType()).getRank();
    std::optional<DimSymbol> common;
    for (Value operand : operands) {
      auto type = cast<RankedTensorType>(operand.getType());
      int64_t aligned = dim - (rank - type.getRank());
      if (aligned < 0 || type.getDimSize(aligned) == 1 ||
          type.getElementType().isInteger(1))
        continue;
      if (!type.isDynamicDim(aligned))
        return {result, dim};
      DimSymbol origin = find(operand, aligned);
      if (common && !(*common == origin) &&
          (dimName(*common).empty() || dimName(*common) != dimName(origin)))
        return {result, dim};
      common = origin;
    }
    return common.value_or(DimSymbol{result, dim});
  }

  DimSymbol step(Value value, int64_t dim) {
    Operation *def = value.getDefiningOp();
    if (!def)
      return {value, dim};
    auto rank = [](Value v) {
      return cast<RankedTensorType>(v.getType()).getRank();
    };
    if (isa<NegOp, AbsOp, SqrtOp, ReciprocalOp, ExpOp, LogOp, ErfOp, TanhOp,
            SigmoidOp, CosOp, SinOp, ReluOp, NotOp, ClipOp, CastOp, GeluOp,
            SiluOp, SoftmaxOp, LayerNormOp, RmsNormOp, RotaryOp, TriluOp>(def))
      return find(def->getOperand(0), dim);
    if (isa<AddOp, SubOp, MulOp, DivOp, PowOp, MaxOp, MinOp, EqualOp, LessOp,
            GreaterOp, WhereOp>(def))
      return broadcast(value, dim, def->getOperands());
    if (auto op = dyn_cast<LinearOp>(def))
      return dim + 1 < rank(value) ? find(op.getInput(), dim)
                                   : DimSymbol{value, dim};
    if (auto op = dyn_cast<TransposeOp>(def))
      return find(op.getInput(), op.getPermutation()[dim]);
    if (auto op = dyn_cast<AttentionOp>(def))
      return dim < 3 ? find(op.getQuery(), dim) : find(op.getValue(), dim);
    if (auto op = dyn_cast<MatMulOp>(def)) {
      if (dim == rank(value) - 2)
        return find(op.getLhs(), rank(op.getLhs()) - 2);
      if (dim == rank(value) - 1)
        return find(op.getRhs(), rank(op.getRhs()) - 1);
      return broadcast(value, dim, op->getOperands());
    }
    if (auto op = dyn_cast<ConcatOp>(def)) {
      FailureOr<int64_t> axis = normalizeAxis(op.getAxis(), rank(value));
      return succeeded(axis) && dim != *axis ? find(op.getInputs().front(), dim)
                                             : DimSymbol{value, dim};
    }
    if (auto op = dyn_cast<GatherOp>(def)) {
      FailureOr<int64_t> axis = normalizeAxis(op.getAxis(), rank(op.getData()));
      if (failed(axis))
        return {value, dim};
      int64_t indicesRank = rank(op.getIndices());
      if (dim < *axis)
        return find(op.getData(), dim);
      if (dim < *axis + indicesRank)
        return find(op.getIndices(), dim - *axis);
      return find(op.getData(), dim - indicesRank + 1);
    }
    if (auto op = dyn_cast<SliceOp>(def)) {
      for (int64_t axis : op.getAxes())
        if (axis == dim || axis + rank(value) == dim)
          return {value, dim};
      return find(op.getInput(), dim);
    }
    if (isa<ReduceMeanOp, ReduceSumOp, ReduceMaxOp>(def)) {
      // Kept (unreduced) dimensions come from the input; reduced ones are 1.
      Value input = def->getOperand(0);
      auto axes = def->getAttrOfType<DenseI64ArrayAttr>("axes").asArrayRef();
      bool keepdims = def->getAttrOfType<BoolAttr>("keepdims").getValue();
      int64_t inputDim = 0;
      for (int64_t remaining = dim; inputDim < rank(input); ++inputDim) {
        bool reduced =
            axes.empty() || llvm::any_of(axes, [&](int64_t axis) {
              return axis == inputDim || axis + rank(input) == inputDim;
            });
        if (reduced && !keepdims)
          continue;
        if (remaining-- == 0)
          return reduced ? DimSymbol{value, dim} : find(input, inputDim);
      }
      return {value, dim};
    }
    if (auto op = dyn_cast<UnsqueezeOp>(def)) {
      int64_t inputDim = dim;
      for (int64_t axis : op.getAxes()) {
        int64_t normalized = axis < 0 ? axis + rank(value) : axis;
        if (normalized == dim)
          return {value, dim};
        if (normalized < dim)
          --inputDim;
      }
      return find(op.getInput(), inputDim);
    }
    if (auto op = dyn_cast<ReshapeOp>(def)) {
      std::optional<SmallVector<ShapeEntry>> entries =
          shapeEntries(op.getShape(), *this);
      if (!entries || dim >= static_cast<int64_t>(entries->size()))
        return {value, dim};
      const ShapeEntry &entry = (*entries)[dim];
      if (entry.symbol)
        return *entry.symbol;
      if (entry.value == 0 && !op.getAllowzero() && dim < rank(op.getInput()))
        return find(op.getInput(), dim);
    }
    return {value, dim};
  }

  llvm::DenseMap<std::pair<void *, int64_t>, DimSymbol> cache;
};
} // namespace

DimSymbol qcc::getDimOrigin(Value value, int64_t dim) {
  return DimOriginFinder().find(value, dim);
}

bool qcc::isSameDim(Value a, int64_t aDim, Value b, int64_t bDim) {
  auto aType = cast<RankedTensorType>(a.getType());
  auto bType = cast<RankedTensorType>(b.getType());
  if (!aType.isDynamicDim(aDim) || !bType.isDynamicDim(bDim))
    return aType.getDimSize(aDim) == bType.getDimSize(bDim);
  DimOriginFinder finder;
  DimSymbol aOrigin = finder.find(a, aDim), bOrigin = finder.find(b, bDim);
  if (aOrigin == bOrigin)
    return true;
  StringRef aName = dimName(aOrigin);
  return !aName.empty() && aName == dimName(bOrigin);
}

std::optional<SmallVector<ShapeEntry>> qcc::getShapeEntries(Value shape) {
  DimOriginFinder finder;
  return shapeEntries(shape, finder);
}

namespace {
std::optional<SmallVector<ShapeEntry>> shapeEntries(Value shape,
                                                    DimOriginFinder &finder) {
  auto type = dyn_cast<RankedTensorType>(shape.getType());
  if (!type || type.getRank() > 1 || !type.hasStaticShape())
    return std::nullopt;
  int64_t length = type.getRank() == 0 ? 1 : type.getDimSize(0);
  SmallVector<ShapeEntry> unknown(length);

  DenseIntElementsAttr constant;
  if (matchPattern(shape, m_Constant(&constant))) {
    SmallVector<ShapeEntry> entries;
    for (const APInt &value : constant.getValues<APInt>())
      entries.push_back({value.getSExtValue(), std::nullopt});
    return entries;
  }
  Operation *def = shape.getDefiningOp();
  if (!def)
    return unknown;
  if (auto op = dyn_cast<ShapeOp>(def)) {
    RankedTensorType input = op.getInput().getType();
    int64_t start =
        op.getStart() < 0 ? op.getStart() + input.getRank() : op.getStart();
    start = std::clamp<int64_t>(start, 0, input.getRank());
    SmallVector<ShapeEntry> entries;
    for (int64_t dim = start; dim < start + length && dim < input.getRank();
         ++dim) {
      if (input.isDynamicDim(dim))
        entries.push_back(
            {ShapedType::kDynamic, finder.find(op.getInput(), dim)});
      else
        entries.push_back({input.getDimSize(dim), std::nullopt});
    }
    return entries.size() == static_cast<size_t>(length) ? entries : unknown;
  }
  if (auto op = dyn_cast<ConcatOp>(def)) {
    SmallVector<ShapeEntry> entries;
    for (Value input : op.getInputs()) {
      std::optional<SmallVector<ShapeEntry>> part = shapeEntries(input, finder);
      if (!part)
        return unknown;
      entries.append(*part);
    }
    return entries.size() == static_cast<size_t>(length) ? entries : unknown;
  }
  if (isa<UnsqueezeOp, SqueezeOp, CastOp, ReshapeOp>(def))
    return shapeEntries(def->getOperand(0), finder).value_or(unknown);
  if (auto op = dyn_cast<GatherOp>(def)) {
    std::optional<SmallVector<ShapeEntry>> data =
        shapeEntries(op.getData(), finder);
    DenseIntElementsAttr indices;
    if (!data || !matchPattern(op.getIndices(), m_Constant(&indices)))
      return unknown;
    SmallVector<ShapeEntry> entries;
    for (const APInt &index : indices.getValues<APInt>()) {
      int64_t i = index.getSExtValue();
      i = i < 0 ? i + data->size() : i;
      if (i < 0 || i >= static_cast<int64_t>(data->size()))
        return unknown;
      entries.push_back((*data)[i]);
    }
    return entries;
  }
  return unknown;
}
} // namespace

std::optional<SmallVector<int64_t>> qcc::getKnownShapeValues(Value shape) {
  std::optional<SmallVector<ShapeEntry>> entries = getShapeEntries(shape);
  if (!entries)
    return std::nullopt;
  return llvm::to_vector(
      llvm::map_range(*entries, [](const ShapeEntry &e) { return e.value; }));
}

/// ONNX Reshape shape inference; `sameDim(i, symbol)` says whether dynamic
/// input dimension `i` equals a requested entry's dimension.
static FailureOr<SmallVector<int64_t>>
inferReshapeImpl(ArrayRef<int64_t> inputShape, ArrayRef<ShapeEntry> requested,
                 bool allowZero,
                 function_ref<bool(int64_t, const DimSymbol &)> sameDim) {
  SmallVector<int64_t> result;
  SmallVector<std::optional<DimSymbol>> symbols;
  SmallVector<int64_t> copiedDims;
  int64_t inferredIndex = -1;
  for (auto [index, entry] : llvm::enumerate(requested)) {
    std::optional<DimSymbol> symbol = entry.symbol;
    int64_t value = entry.value;
    if (value == 0 && !allowZero) {
      if (index >= inputShape.size())
        return failure();
      value = inputShape[index];
      if (ShapedType::isDynamic(value))
        copiedDims.push_back(index);
    } else if (value == -1) {
      if (inferredIndex >= 0)
        return failure();
      inferredIndex = index;
      value = ShapedType::kDynamic;
    } else if (value < 0 && !ShapedType::isDynamic(value)) {
      return failure();
    }
    result.push_back(value);
    symbols.push_back(symbol);
  }

  // Element counts: static parts multiply; dynamic input dimensions must each
  // be matched by a requested dimension that is the same at run time.
  int64_t inputCount = 1, knownCount = 1;
  SmallVector<int64_t> unmatchedInput;
  for (auto [dim, size] : llvm::enumerate(inputShape)) {
    if (ShapedType::isDynamic(size))
      unmatchedInput.push_back(dim);
    else
      inputCount *= size;
  }
  bool resultKnown = true;
  for (auto [index, size] : llvm::enumerate(result)) {
    if (static_cast<int64_t>(index) == inferredIndex)
      continue;
    if (!ShapedType::isDynamic(size)) {
      knownCount *= size;
      continue;
    }
    // A copied dimension (0) matches its own input dimension; a symbolic one
    // matches an input dimension with the same origin.
    auto match = llvm::find_if(unmatchedInput, [&](int64_t inputDim) {
      if (llvm::is_contained(copiedDims, static_cast<int64_t>(index)))
        return inputDim == static_cast<int64_t>(index);
      return symbols[index] && sameDim(inputDim, *symbols[index]);
    });
    if (match == unmatchedInput.end()) {
      resultKnown = false;
      continue;
    }
    unmatchedInput.erase(match);
  }
  bool countsKnown = resultKnown && unmatchedInput.empty();
  if (inferredIndex >= 0 && countsKnown) {
    if (knownCount == 0 || inputCount % knownCount != 0)
      return failure();
    result[inferredIndex] = inputCount / knownCount;
  } else if (inferredIndex < 0 && countsKnown && inputCount != knownCount) {
    return failure();
  }
  return result;
}

FailureOr<SmallVector<int64_t>> qcc::inferReshape(ArrayRef<int64_t> inputShape,
                                                  ArrayRef<int64_t> requested,
                                                  bool allowZero) {
  SmallVector<ShapeEntry> entries;
  for (int64_t value : requested)
    entries.push_back({value, std::nullopt});
  return inferReshapeImpl(inputShape, entries, allowZero,
                          [](int64_t, const DimSymbol &) { return false; });
}

FailureOr<SmallVector<int64_t>>
qcc::inferReshape(Value input, ArrayRef<ShapeEntry> requested, bool allowZero) {
  auto type = cast<RankedTensorType>(input.getType());
  return inferReshapeImpl(type.getShape(), requested, allowZero,
                          [&](int64_t inputDim, const DimSymbol &symbol) {
                            return isSameDim(input, inputDim, symbol.value,
                                             symbol.dim);
                          });
}
