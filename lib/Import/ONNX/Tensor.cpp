//===- Tensor.cpp - data movement, shape and constant ONNX ops ------------===//

#include "ONNXInternals.h"

using namespace mlir;
using namespace qcc::onnx_import;
using namespace qcc;

static NamedAttribute namedI64(NodeImporter &node, StringRef name,
                               int64_t value) {
  return node.getBuilder().getNamedAttr(
      name, node.getBuilder().getI64IntegerAttr(value));
}

static NamedAttribute namedArray(NodeImporter &node, StringRef name,
                                 ArrayRef<int64_t> values) {
  return node.getBuilder().getNamedAttr(
      name, node.getBuilder().getDenseI64ArrayAttr(values));
}

/// A requested shape for diagnostics, with `?` for entries known only at run
/// time.
static std::string formatShape(ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (auto [i, dim] : llvm::enumerate(shape))
    text +=
        (i ? ", " : "") +
        (ShapedType::isDynamic(dim) ? std::string("?") : std::to_string(dim));
  return text + "]";
}

/// The statically known entries of a shape input, or a diagnostic when not
/// even its length is known.
static FailureOr<SmallVector<int64_t>> knownShape(NodeImporter &node,
                                                  size_t input) {
  std::optional<SmallVector<int64_t>> known =
      getKnownShapeValues(node.input(input));
  if (!known)
    return node.emitError() << "the shape input must be a 1-D tensor of "
                               "static length, got "
                            << node.inputType(input);
  return *known;
}

/// Converts an integer index input (starts, ends) to i64 as qcc ops expect.
static FailureOr<Value> asIndexVector(NodeImporter &node, Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getElementType().isInteger(64))
    return value;
  return node.create<CastOp>(type.clone(node.getBuilder().getI64Type()),
                             {value});
}

static LogicalResult convertGather(NodeImporter &node) {
  if (failed(node.requireInputs(2)))
    return failure();
  return node.bindResult(
      node.create<GatherOp>(Type(), {node.input(0), node.input(1)},
                            {namedI64(node, "axis", node.intAttr("axis", 0))}));
}

static LogicalResult convertReshape(NodeImporter &node) {
  if (failed(node.requireInputs(2)))
    return failure();
  std::optional<SmallVector<ShapeEntry>> requested =
      getShapeEntries(node.input(1));
  if (!requested)
    return node.emitError() << "the shape input must be a 1-D tensor of "
                               "static length, got "
                            << node.inputType(1);
  bool allowZero = node.intAttr("allowzero", 0);
  FailureOr<SmallVector<int64_t>> shape =
      inferReshape(node.input(0), *requested, allowZero);
  if (failed(shape))
    return node.emitError()
           << "cannot reshape " << node.inputType(0) << " to "
           << formatShape(llvm::to_vector(llvm::map_range(
                  *requested, [](const ShapeEntry &e) { return e.value; })));
  FailureOr<Value> shapeInput = asIndexVector(node, node.input(1));
  if (failed(shapeInput))
    return failure();
  return node.bindResult(node.create<ReshapeOp>(
      node.inputType(0).clone(*shape), {node.input(0), *shapeInput},
      {node.getBuilder().getNamedAttr(
          "allowzero", node.getBuilder().getBoolAttr(allowZero))}));
}

static LogicalResult convertTranspose(NodeImporter &node) {
  if (failed(node.requireInputs(1)))
    return failure();
  SmallVector<int64_t> permutation = llvm::to_vector(
      llvm::reverse(llvm::seq<int64_t>(0, node.inputType(0).getRank())));
  if (std::optional<SmallVector<int64_t>> perm = node.intsAttr("perm"))
    permutation = *perm;
  return node.bindResult(node.create<TransposeOp>(
      Type(), {node.input(0)}, {namedArray(node, "permutation", permutation)}));
}

static LogicalResult convertConcat(NodeImporter &node) {
  SmallVector<Value> inputs;
  for (size_t i = 0; i < node.numInputs(); ++i)
    if (node.input(i))
      inputs.push_back(node.input(i));
  std::optional<int64_t> axis = node.intAttr("axis");
  if (!axis)
    return node.emitError() << "has no axis attribute";
  return node.bindResult(
      node.create<ConcatOp>(Type(), inputs, {namedI64(node, "axis", *axis)}));
}

/// The static size of a slice [start, end) by `step` over a dimension of
/// `size`, with ONNX's clamping of out-of-range bounds.
static int64_t sliceSize(int64_t size, int64_t start, int64_t end,
                         int64_t step) {
  auto clampBound = [&](int64_t bound, int64_t low, int64_t high) {
    bound = bound < 0 ? bound + size : bound;
    return std::clamp(bound, low, high);
  };
  if (step > 0) {
    start = clampBound(start, 0, size);
    end = clampBound(end, 0, size);
    return std::max<int64_t>(0, (end - start + step - 1) / step);
  }
  start = clampBound(start, -1, size - 1);
  end = clampBound(end, -1, size - 1);
  return std::max<int64_t>(0, (start - end + (-step) - 1) / (-step));
}

/// Builds a qcc.slice of `input` along `axes`; entries of `starts`, `ends`
/// and `steps` may be unknown (dynamic) when the bounds are run-time values.
static FailureOr<Value> createSlice(NodeImporter &node, Value input,
                                    Value starts, Value ends, Value steps,
                                    ArrayRef<int64_t> axes) {
  auto type = cast<RankedTensorType>(input.getType());
  std::optional<SmallVector<int64_t>> knownStarts = getKnownShapeValues(starts);
  std::optional<SmallVector<int64_t>> knownEnds = getKnownShapeValues(ends);
  std::optional<SmallVector<int64_t>> knownSteps = getKnownShapeValues(steps);
  if (!knownStarts || !knownEnds || !knownSteps ||
      knownStarts->size() != axes.size() || knownEnds->size() != axes.size() ||
      knownSteps->size() != axes.size())
    return node.emitError() << "starts, ends, axes and steps need one entry "
                               "per sliced axis ("
                            << axes.size() << ")";
  SmallVector<int64_t> shape(type.getShape());
  for (auto [i, axis] : llvm::enumerate(axes)) {
    FailureOr<int64_t> dim = normalizeAxis(axis, type.getRank());
    if (failed(dim))
      return node.emitError()
             << "axis " << axis << " is out of range for " << type;
    int64_t start = (*knownStarts)[i], end = (*knownEnds)[i],
            step = (*knownSteps)[i];
    if (step == 0)
      return node.emitError() << "step 0 is not allowed";
    bool known = !ShapedType::isDynamic(shape[*dim]) &&
                 !ShapedType::isDynamic(start) && !ShapedType::isDynamic(end) &&
                 !ShapedType::isDynamic(step);
    shape[*dim] =
        known ? sliceSize(shape[*dim], start, end, step) : ShapedType::kDynamic;
  }
  return node.create<SliceOp>(type.clone(shape), {input, starts, ends, steps},
                              {namedArray(node, "axes", axes)});
}

static LogicalResult convertSlice(NodeImporter &node) {
  if (failed(node.requireInputs(3)))
    return failure();
  if (node.inputType(1).getRank() != 1 || node.inputType(1).isDynamicDim(0) ||
      !isa<IntegerType>(node.inputType(1).getElementType()))
    return node.emitError() << "starts must be a 1-D integer tensor of static "
                               "length, got "
                            << node.inputType(1);
  FailureOr<Value> starts = asIndexVector(node, node.input(1));
  FailureOr<Value> ends = asIndexVector(node, node.input(2));
  if (failed(starts) || failed(ends))
    return failure();
  int64_t count = node.inputType(1).getDimSize(0);
  SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(0, count));
  if (node.input(3)) {
    FailureOr<SmallVector<int64_t>> values = node.constantInts(3, "axes");
    if (failed(values))
      return failure();
    axes = *values;
  }
  FailureOr<Value> steps =
      node.input(4) ? asIndexVector(node, node.input(4))
                    : node.indexVector(SmallVector<int64_t>(count, 1));
  if (failed(steps))
    return failure();
  return node.bindResult(
      createSlice(node, node.input(0), *starts, *ends, *steps, axes));
}

/// Split into parts given by the `split` input, or else into as many equal
/// parts as there are outputs (since opset 18 the last part may be smaller).
static LogicalResult convertSplit(NodeImporter &node) {
  if (failed(node.requireInputs(1)))
    return failure();
  RankedTensorType type = node.inputType(0);
  int64_t axisAttr = node.intAttr("axis", 0);
  FailureOr<int64_t> axis = normalizeAxis(axisAttr, type.getRank());
  if (failed(axis))
    return node.emitError()
           << "axis " << axisAttr << " is out of range for " << type;
  int64_t outputs = node.numOutputs();
  int64_t size = type.getDimSize(*axis);
  SmallVector<int64_t> sizes;
  if (node.input(1)) {
    FailureOr<SmallVector<int64_t>> values = node.constantInts(1, "split");
    if (failed(values))
      return failure();
    sizes = *values;
  } else if (ShapedType::isDynamic(size)) {
    return node.emitError() << "splitting dynamic dimension " << *axis
                            << " needs explicit split sizes";
  } else {
    // Equal parts; since opset 18 the last part may be smaller.
    int64_t part = (size + outputs - 1) / outputs;
    for (int64_t i = 0; i < outputs; ++i)
      sizes.push_back(std::min(part, size - i * part));
  }
  if (static_cast<int64_t>(sizes.size()) != outputs)
    return node.emitError() << "has " << outputs << " outputs but "
                            << sizes.size() << " split sizes";
  int64_t offset = 0;
  for (auto [i, part] : llvm::enumerate(sizes)) {
    FailureOr<Value> slice = createSlice(
        node, node.input(0), node.indexVector({offset}),
        node.indexVector({offset + part}), node.indexVector({1}), {*axis});
    if (failed(slice))
      return failure();
    node.setResult(i, *slice);
    offset += part;
  }
  if (!ShapedType::isDynamic(size) && offset != size)
    return node.emitError() << "split sizes add up to " << offset
                            << ", not the dimension size " << size;
  return success();
}

static LogicalResult convertUnsqueeze(NodeImporter &node) {
  if (failed(node.requireInputs(2)))
    return failure();
  FailureOr<SmallVector<int64_t>> axes = node.constantInts(1, "axes");
  if (failed(axes))
    return failure();
  return node.bindResult(node.create<UnsqueezeOp>(
      Type(), {node.input(0)}, {namedArray(node, "axes", *axes)}));
}

static LogicalResult convertSqueeze(NodeImporter &node) {
  if (failed(node.requireInputs(1)))
    return failure();
  SmallVector<int64_t> axes;
  if (node.input(1)) {
    FailureOr<SmallVector<int64_t>> values = node.constantInts(1, "axes");
    if (failed(values))
      return failure();
    axes = *values;
  } else {
    for (auto [dim, size] : llvm::enumerate(node.inputType(0).getShape())) {
      if (ShapedType::isDynamic(size))
        return node.emitError() << "squeezing without axes needs static "
                                   "dimensions, got "
                                << node.inputType(0);
      if (size == 1)
        axes.push_back(dim);
    }
  }
  return node.bindResult(node.create<SqueezeOp>(
      Type(), {node.input(0)}, {namedArray(node, "axes", axes)}));
}

static LogicalResult convertShape(NodeImporter &node) {
  if (failed(node.requireInputs(1)))
    return failure();
  SmallVector<NamedAttribute> attrs = {
      namedI64(node, "start", node.intAttr("start", 0))};
  if (std::optional<int64_t> end = node.intAttr("end"))
    attrs.push_back(namedI64(node, "end", *end));
  return node.bindResult(node.create<ShapeOp>(Type(), {node.input(0)}, attrs));
}

static LogicalResult convertExpand(NodeImporter &node) {
  if (failed(node.requireInputs(2)))
    return failure();
  FailureOr<SmallVector<int64_t>> requested = knownShape(node, 1);
  if (failed(requested))
    return failure();
  FailureOr<SmallVector<int64_t>> shape =
      broadcastShapes(node.inputType(0).getShape(), *requested);
  if (failed(shape))
    return node.emitError() << "cannot expand " << node.inputType(0) << " to "
                            << formatShape(*requested);
  return node.bindResult(node.create<ExpandOp>(node.inputType(0).clone(*shape),
                                               {node.input(0), node.input(1)}));
}

static LogicalResult convertRange(NodeImporter &node) {
  if (failed(node.requireInputs(3)))
    return failure();
  int64_t length = ShapedType::kDynamic;
  auto scalar = [&](size_t i) -> std::optional<double> {
    DenseElementsAttr attr;
    if (!matchPattern(node.input(i), m_Constant(&attr)) || !attr.isSplat())
      return std::nullopt;
    if (isa<FloatType>(attr.getElementType()))
      return attr.getSplatValue<APFloat>().convertToDouble();
    return static_cast<double>(attr.getSplatValue<APInt>().getSExtValue());
  };
  std::optional<double> start = scalar(0), limit = scalar(1), delta = scalar(2);
  if (start && limit && delta) {
    if (*delta == 0)
      return node.emitError() << "delta is 0";
    length = std::max<int64_t>(
        0, static_cast<int64_t>(std::ceil((*limit - *start) / *delta)));
  }
  return node.bindResult(node.create<RangeOp>(
      RankedTensorType::get({length}, node.inputType(0).getElementType()),
      {node.input(0), node.input(1), node.input(2)}));
}

static LogicalResult convertConstantOfShape(NodeImporter &node) {
  if (failed(node.requireInputs(1)))
    return failure();
  FailureOr<SmallVector<int64_t>> shape = knownShape(node, 0);
  if (failed(shape))
    return failure();
  if (llvm::any_of(
          *shape, [](int64_t d) { return d < 0 && !ShapedType::isDynamic(d); }))
    return node.emitError() << "shape has a negative dimension";
  TypedAttr value = node.getBuilder().getF32FloatAttr(0.0f);
  if (const onnx::AttributeProto *attr = node.attr("value")) {
    FailureOr<ElementsAttr> tensor = node.readTensor(attr->t());
    if (failed(tensor))
      return failure();
    auto dense = dyn_cast<DenseElementsAttr>(*tensor);
    if (!dense || dense.getNumElements() != 1)
      return node.emitError() << "value must hold one element";
    value = cast<TypedAttr>(*dense.value_begin<Attribute>());
  }
  return node.bindResult(node.create<ConstantOfShapeOp>(
      RankedTensorType::get(*shape, value.getType()), {node.input(0)},
      {node.getBuilder().getNamedAttr("value", value)}));
}

static LogicalResult convertConstant(NodeImporter &node) {
  OpBuilder &b = node.getBuilder();
  TypedAttr value;
  if (const onnx::AttributeProto *attr = node.attr("value")) {
    FailureOr<ElementsAttr> tensor = node.readTensor(attr->t());
    if (failed(tensor))
      return failure();
    value = cast<TypedAttr>(*tensor);
  } else if (std::optional<float> f = node.floatAttr("value_float")) {
    value =
        DenseElementsAttr::get(RankedTensorType::get({}, b.getF32Type()), *f);
  } else if (std::optional<int64_t> i = node.intAttr("value_int")) {
    value =
        DenseElementsAttr::get(RankedTensorType::get({}, b.getI64Type()), *i);
  } else if (std::optional<SmallVector<int64_t>> ints =
                 node.intsAttr("value_ints")) {
    value = DenseIntElementsAttr::get(
        RankedTensorType::get({static_cast<int64_t>(ints->size())},
                              b.getI64Type()),
        *ints);
  } else if (const onnx::AttributeProto *floats = node.attr("value_floats")) {
    SmallVector<float> values(floats->floats().begin(), floats->floats().end());
    value = DenseElementsAttr::get(
        RankedTensorType::get({static_cast<int64_t>(values.size())},
                              b.getF32Type()),
        ArrayRef<float>(values));
  } else {
    return node.emitError() << "only tensor, float, int, floats and ints "
                               "values are supported";
  }
  node.setResult(0, node.constant(value));
  return success();
}

/// Identity, and Dropout in inference (its optional mask output is refused).
static LogicalResult convertIdentity(NodeImporter &node) {
  if (failed(node.requireInputs(1)))
    return failure();
  if (node.numOutputs() > 1 && !node.proto().output(1).empty())
    return node.emitError() << "the dropout mask output is not supported";
  node.setResult(0, node.input(0));
  return success();
}

static LogicalResult convertTrilu(NodeImporter &node) {
  if (failed(node.requireInputs(1)))
    return failure();
  int64_t k = 0;
  if (node.input(1)) {
    FailureOr<SmallVector<int64_t>> values = node.constantInts(1, "k");
    if (failed(values))
      return failure();
    k = values->front();
  }
  OpBuilder &b = node.getBuilder();
  return node.bindResult(node.create<TriluOp>(
      node.inputType(0), {node.input(0)},
      {namedI64(node, "k", k),
       b.getNamedAttr("upper", b.getBoolAttr(node.intAttr("upper", 1)))}));
}

void qcc::onnx_import::registerTensorOps(OpRegistry &registry) {
  registry.add("Gather", {13}, convertGather);
  registry.add("Reshape", {13, 14, 19, 21}, convertReshape);
  registry.add("Transpose", {13, 21}, convertTranspose);
  registry.add("Concat", {13}, convertConcat);
  registry.add("Slice", {13}, convertSlice);
  registry.add("Split", {13, 18}, convertSplit);
  registry.add("Unsqueeze", {13, 21}, convertUnsqueeze);
  registry.add("Squeeze", {13, 21}, convertSqueeze);
  registry.add("Shape", {13, 15, 19, 21}, convertShape);
  registry.add("Expand", {13}, convertExpand);
  registry.add("Range", {11}, convertRange);
  registry.add("ConstantOfShape", {9, 20, 21}, convertConstantOfShape);
  registry.add("Constant", {13, 19, 21}, convertConstant);
  registry.add("Identity", {16, 19, 21}, convertIdentity);
  registry.add("Dropout", {13}, convertIdentity);
  registry.add("Trilu", {14}, convertTrilu);
}
