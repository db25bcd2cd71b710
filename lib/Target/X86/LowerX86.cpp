//===- LowerX86.cpp - qcc ops to calls into the x86 or CUDA runtime -------===//
//
// One walk over @main in order: each op becomes an emitc.call_opaque of its
// kernel in lib/Runtime/cpu/Ops.h (qcc-lower-x86) or of its namesake in
// lib/Runtime/cuda/DeviceOps.h (qcc-lower-cuda), constants become views
// into the packed weight blob, and every tensor is released after its last
// use so that a run holds only live activations. The two differ only in the
// namespace and in how qlinear weights are packed.
//
//===----------------------------------------------------------------------===//

#include "ModelDescription.h"
#include "WeightBlob.h"
#include "dialects/qcc/QccOps.h"
#include "lib/Runtime/cpu/QLinearKernels.h"
#include "lib/Runtime/cpu/WeightsFile.h"
#include "lib/Runtime/cuda/WeightPacking.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/EmitC/IR/EmitC.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "passes/Passes.h"
#include "qcc/Interpreter/Interpreter.h"
#include "qcc/Numerics/Formats.h"
#include "qcc/Support/Locations.h"
#include "llvm/ADT/TypeSwitch.h"
#include <fmt/format.h>

namespace qcc {
#define GEN_PASS_DEF_LOWERCUDAPASS
#define GEN_PASS_DEF_LOWERX86PASS
#include "passes/Passes.h.inc"
} // namespace qcc

using namespace mlir;
using namespace qcc;
using namespace qcc::x86;

namespace {

/// One argument of a runtime call: an IR value or a C++ literal.
using CallArg = std::variant<Value, std::string>;

std::string cppFloat(double value) {
  if (std::isinf(value))
    return value > 0 ? "INFINITY" : "-INFINITY";
  return fmt::format("{:#.9g}f", value);
}

std::string cppShape(ArrayRef<int64_t> values) {
  return fmt::format("qcc::rt::Shape{{{}}}", fmt::join(values, ", "));
}

std::string cppBool(bool value) { return value ? "true" : "false"; }

/// The runtime's dtype of a value's element type.
std::string dtypeOf(Type type) {
  Type element = cast<ShapedType>(type).getElementType();
  if (element.isInteger(1))
    return "qcc::rt::DType::Bool";
  if (isa<IntegerType>(element))
    return "qcc::rt::DType::I64";
  return "qcc::rt::DType::F32";
}

/// Which runtime the generated code calls: lib/Runtime/cpu's kernels
/// (qcc::rt) or lib/Runtime/cuda's (qcc::gpu, same signatures), whose
/// qlinear weights are packed in fragment order.
enum class Backend { X86, Cuda };

class Lowering {
public:
  Lowering(Backend backend, func::FuncOp func, emitc::FuncOp forward,
           WeightBlob &blob)
      : backend(backend), func(func), blob(blob), builder(forward.getContext()),
        session(forward.getArgument(0)),
        tensorType(
            emitc::OpaqueType::get(forward.getContext(), "qcc::rt::Tensor")) {
    builder.setInsertionPointToEnd(&forward.getBody().front());
  }

  LogicalResult run();

private:
  /// The runtime function `name` of the backend.
  std::string kernel(StringRef name) const {
    return (backend == Backend::Cuda ? "qcc::gpu::" : "qcc::rt::") + name.str();
  }
  /// A call of `kernel` with exactly `args`.
  Value emit(Location loc, StringRef kernel, ArrayRef<CallArg> args,
             bool hasResult);
  /// A call of an op's kernel: session and ONNX node name, then `args`.
  Value call(Operation *op, StringRef kernel, ArrayRef<CallArg> args);
  /// The lowered value of an operand of the original function.
  FailureOr<Value> lowered(Value original);
  CallArg optional(Value original);
  LogicalResult lowerOp(Operation *op);
  LogicalResult lowerQLinear(QLinearOp op);
  /// The weight view of `bytes` at a new blob offset.
  Value addWeight(Location loc, ArrayRef<uint8_t> bytes, StringRef dtype,
                  ArrayRef<int64_t> shape);
  LogicalResult lowerCast(CastOp op);
  void releaseDeadOperands(Operation *op);

  Backend backend;
  func::FuncOp func;
  WeightBlob &blob;
  OpBuilder builder;
  Value session;
  Type tensorType;
  DenseMap<Value, Value> values;
  /// Operands that failed to lower have been diagnosed already.
  bool failedOperand = false;
};

Value Lowering::emit(Location loc, StringRef kernel, ArrayRef<CallArg> args,
                     bool hasResult) {
  SmallVector<Value> operands;
  SmallVector<Attribute> attrs;
  for (const CallArg &arg : args) {
    if (auto *value = std::get_if<Value>(&arg)) {
      attrs.push_back(builder.getIndexAttr(operands.size()));
      operands.push_back(*value);
    } else {
      attrs.push_back(emitc::OpaqueAttr::get(builder.getContext(),
                                             std::get<std::string>(arg)));
    }
  }
  SmallVector<Type> results;
  if (hasResult)
    results.push_back(tensorType);
  auto callOp =
      emitc::CallOpaqueOp::create(builder, loc, results, kernel, operands,
                                  builder.getArrayAttr(attrs), nullptr);
  return hasResult ? callOp.getResult(0) : Value();
}

Value Lowering::call(Operation *op, StringRef kernel, ArrayRef<CallArg> args) {
  SmallVector<CallArg> all = {session,
                              cppString(getFirstNodeName(op->getLoc()))};
  all.append(args.begin(), args.end());
  return emit(op->getLoc(), kernel, all, /*hasResult=*/true);
}

FailureOr<Value> Lowering::lowered(Value original) {
  if (Value value = values.lookup(original))
    return value;
  auto constant = original.getDefiningOp<arith::ConstantOp>();
  auto elements =
      constant ? dyn_cast<ElementsAttr>(constant.getValue()) : ElementsAttr();
  if (!elements) {
    if (Operation *def = original.getDefiningOp())
      def->emitError("'") << def->getName() << "' has no "
                          << (backend == Backend::Cuda ? "CUDA" : "x86")
                          << " kernel; it cannot be lowered";
    failedOperand = true;
    return failure();
  }
  FailureOr<HostTensor> host = toHostTensor(elements, constant.getLoc());
  if (failed(host)) {
    failedOperand = true;
    return failure();
  }
  int64_t offset = blob.add(host->data(), host->sizeInBytes());
  Value value = emit(constant.getLoc(), kernel("weight"),
                     {session, std::to_string(offset),
                      dtypeOf(original.getType()), cppShape(host->shape())},
                     /*hasResult=*/true);
  values[original] = value;
  return value;
}

CallArg Lowering::optional(Value original) {
  if (!original)
    return std::string("qcc::rt::Tensor()");
  FailureOr<Value> value = lowered(original);
  return succeeded(value) ? CallArg(*value) : CallArg(std::string());
}

/// Shorthands for the common argument shapes.
std::string enumArg(StringRef type, StringRef value) {
  return fmt::format("qcc::rt::{}::{}", type.str(), value.str());
}

LogicalResult Lowering::lowerOp(Operation *op) {
  auto operandsOf = [&](Operation *from) {
    SmallVector<CallArg> args;
    for (Value operand : from->getOperands())
      args.push_back(optional(operand));
    return args;
  };
  auto binary = [&](StringRef kind) {
    SmallVector<CallArg> args = {enumArg("Binary", kind)};
    llvm::append_range(args, operandsOf(op));
    return call(op, kernel("binary"), args);
  };
  auto compare = [&](StringRef kind) {
    SmallVector<CallArg> args = {enumArg("Comparison", kind)};
    llvm::append_range(args, operandsOf(op));
    return call(op, kernel("compare"), args);
  };
  auto unary = [&](StringRef kind) {
    return call(op, kernel("unary"),
                {enumArg("Unary", kind), optional(op->getOperand(0))});
  };
  auto reduction = [&](auto reduce, StringRef kind) {
    return call(op, kernel("reduce"),
                {enumArg("Reduction", kind), optional(reduce.getInput()),
                 cppShape(reduce.getAxes()), cppBool(reduce.getKeepdims())});
  };
  auto simple = [&](StringRef kernel, SmallVector<CallArg> extra = {}) {
    SmallVector<CallArg> args = operandsOf(op);
    llvm::append_range(args, extra);
    return call(op, kernel, args);
  };

  Value result =
      llvm::TypeSwitch<Operation *, Value>(op)
          .Case([&](AddOp) { return binary("Add"); })
          .Case([&](SubOp) { return binary("Sub"); })
          .Case([&](MulOp) { return binary("Mul"); })
          .Case([&](DivOp) { return binary("Div"); })
          .Case([&](PowOp) { return binary("Pow"); })
          .Case([&](MaxOp) { return binary("Max"); })
          .Case([&](MinOp) { return binary("Min"); })
          .Case([&](EqualOp) { return compare("Equal"); })
          .Case([&](LessOp) { return compare("Less"); })
          .Case([&](GreaterOp) { return compare("Greater"); })
          .Case([&](NegOp) { return unary("Neg"); })
          .Case([&](AbsOp) { return unary("Abs"); })
          .Case([&](SqrtOp) { return unary("Sqrt"); })
          .Case([&](ReciprocalOp) { return unary("Reciprocal"); })
          .Case([&](ExpOp) { return unary("Exp"); })
          .Case([&](LogOp) { return unary("Log"); })
          .Case([&](ErfOp) { return unary("Erf"); })
          .Case([&](TanhOp) { return unary("Tanh"); })
          .Case([&](SigmoidOp) { return unary("Sigmoid"); })
          .Case([&](CosOp) { return unary("Cos"); })
          .Case([&](SinOp) { return unary("Sin"); })
          .Case([&](ReluOp) { return unary("Relu"); })
          .Case([&](NotOp) { return unary("Not"); })
          .Case([&](ClipOp clip) {
            double low =
                clip.getMin() ? clip.getMin()->convertToDouble() : -INFINITY;
            double high =
                clip.getMax() ? clip.getMax()->convertToDouble() : INFINITY;
            return simple(kernel("clip"), {cppFloat(low), cppFloat(high)});
          })
          .Case([&](WhereOp) { return simple(kernel("where")); })
          .Case([&](LinearOp linear) {
            return call(op, kernel("linear"),
                        {optional(linear.getInput()),
                         optional(linear.getWeight()),
                         optional(linear.getBias())});
          })
          .Case([&](MatMulOp) { return simple(kernel("matmul")); })
          .Case([&](LayerNormOp norm) {
            return call(op, kernel("layerNorm"),
                        {optional(norm.getInput()), optional(norm.getScale()),
                         optional(norm.getBias()),
                         std::to_string(norm.getAxis()),
                         cppFloat(norm.getEpsilon().convertToDouble())});
          })
          .Case([&](RmsNormOp norm) {
            return simple(kernel("rmsNorm"),
                          {cppFloat(norm.getEpsilon().convertToDouble())});
          })
          .Case([&](SoftmaxOp softmax) {
            return simple(kernel("softmax"),
                          {std::to_string(softmax.getAxis())});
          })
          .Case([&](GeluOp gelu) {
            return simple(kernel("gelu"),
                          {cppBool(gelu.getApproximate() == "tanh")});
          })
          .Case([&](SiluOp) { return simple(kernel("silu")); })
          .Case([&](RotaryOp) { return simple(kernel("rotary")); })
          .Case([&](AttentionOp attention) {
            double masked = attention.getMaskedValue()
                                ? attention.getMaskedValue()->convertToDouble()
                                : 0.0;
            return call(
                op, kernel("attention"),
                {optional(attention.getQuery()), optional(attention.getKey()),
                 optional(attention.getValue()), optional(attention.getMask()),
                 cppFloat(attention.getScale().convertToDouble()),
                 cppFloat(masked)});
          })
          .Case([&](ReduceMeanOp reduce) { return reduction(reduce, "Mean"); })
          .Case([&](ReduceSumOp reduce) { return reduction(reduce, "Sum"); })
          .Case([&](ReduceMaxOp reduce) { return reduction(reduce, "Max"); })
          .Case([&](DequantizeOp) { return simple(kernel("dequantize")); })
          .Case([&](HadamardOp hadamard) {
            return simple(kernel("hadamard"),
                          {std::to_string(hadamard.getBlockSize()),
                           cppBool(hadamard.getTranspose())});
          })
          .Case([&](GatherOp gather) {
            return simple(kernel("gather"), {std::to_string(gather.getAxis())});
          })
          .Case([&](TransposeOp transpose) {
            return simple(kernel("transpose"),
                          {cppShape(transpose.getPermutation())});
          })
          .Case([&](ReshapeOp reshape) {
            return simple(kernel("reshape"), {cppBool(reshape.getAllowzero())});
          })
          .Case([&](ExpandOp) { return simple(kernel("expand")); })
          .Case([&](ConcatOp concat) {
            // call_opaque cannot build a braced list of operands: a
            // variadic helper collects them.
            SmallVector<CallArg> args = {std::to_string(concat.getAxis())};
            llvm::append_range(args, operandsOf(op));
            return call(op, kernel("concatValues"), args);
          })
          .Case([&](SliceOp slice) {
            return call(op, kernel("slice"),
                        {optional(slice.getInput()),
                         optional(slice.getStarts()), optional(slice.getEnds()),
                         optional(slice.getSteps()),
                         cppShape(slice.getAxes())});
          })
          .Case([&](SqueezeOp squeeze) {
            return simple(kernel("squeeze"), {cppShape(squeeze.getAxes())});
          })
          .Case([&](UnsqueezeOp unsqueeze) {
            return simple(kernel("unsqueeze"), {cppShape(unsqueeze.getAxes())});
          })
          .Case([&](ShapeOp shape) {
            std::optional<int64_t> end = shape.getEnd();
            return simple(kernel("shapeOf"), {std::to_string(shape.getStart()),
                                              std::to_string(end.value_or(0)),
                                              cppBool(end.has_value())});
          })
          .Case([&](ConstantOfShapeOp constant) {
            TypedAttr value = constant.getValue();
            double number =
                isa<FloatAttr>(value)
                    ? cast<FloatAttr>(value).getValueAsDouble()
                    : static_cast<double>(
                          cast<IntegerAttr>(value).getValue().getSExtValue());
            return simple(
                kernel("constantOfShape"),
                {dtypeOf(constant.getType()), fmt::format("{:.17g}", number)});
          })
          .Case([&](RangeOp) { return simple(kernel("range")); })
          .Case([&](TriluOp trilu) {
            return simple(kernel("trilu"), {cppBool(trilu.getUpper()),
                                            std::to_string(trilu.getK())});
          })
          .Default([&](Operation *) { return Value(); });
  if (failedOperand)
    return failure();
  if (!result)
    return op->emitError("'")
           << op->getName() << "' has no x86 kernel; it cannot be lowered";
  values[op->getResult(0)] = result;
  return success();
}

/// Why the x86 kernels cannot run `op` yet, or "" when they can.
std::string unsupportedQLinear(QLinearOp op) {
  StringRef weight = op.getWeightFormat(),
            activation = op.getActivationFormat();
  bool minifloat = weight == "fp8_e4m3" || weight == "fp4_e2m1";
  if (weight != "int8" && weight != "int4" && !minifloat)
    return fmt::format("{} weights", weight.str());
  bool floatActivations = activation == "float";
  bool integerActivations = activation == "int8" || activation == "int4";
  if (!floatActivations && !integerActivations && activation != "fp8_e4m3")
    return fmt::format("{} activations", activation.str());
  if (minifloat == integerActivations && !floatActivations)
    return fmt::format("{} weights with {} activations", weight.str(),
                       activation.str());
  if (op.getZeroPoints())
    return "zero points (asymmetric weights)";
  bool twoLevel =
      op.getScales().getType().getElementType().isUnsignedInteger(8);
  if (twoLevel && (floatActivations || minifloat))
    return "two-level scales without integer activations";
  if (floatActivations && op.getChannelScales() && !minifloat)
    return "channel scales with float activations";
  return "";
}

/// Why the CUDA kernels (lib/Runtime/cuda/QLinear.h) cannot run `op`, or
/// "" when they can: they take int8 weights with int8 activations only,
/// minifloat weights with their own activations, and the group and
/// accumulation-block sizes below.
std::string unsupportedOnCuda(QLinearOp op, int64_t k, int64_t groupSize) {
  StringRef weight = op.getWeightFormat(),
            activation = op.getActivationFormat();
  bool floatActivations = activation == "float";
  if (weight == "int8" && floatActivations)
    return "int8 weights with float activations";
  if (weight == "fp8_e4m3" && floatActivations)
    return "fp8 weights with float activations";
  bool halfKernel = floatActivations || weight == "fp4_e2m1";
  bool wholeOrTiles = groupSize >= k || groupSize % cuda::kTileK == 0;
  if (halfKernel && !wholeOrTiles && groupSize != 16 && groupSize != 32 &&
      groupSize != 64)
    return fmt::format("groups of {} (16, 32, 64 or a multiple of 128)",
                       groupSize);
  if (!halfKernel && !wholeOrTiles)
    return fmt::format("groups of {} (a multiple of 128)", groupSize);
  int64_t block = op.getAccumulationBlock();
  if (!halfKernel && block < k && block % cuda::kTileK != 0)
    return fmt::format("accumulation blocks of {} (a multiple of 128)", block);
  // int4 × int8 sums are kept × 16 in int32 within a group.
  if (weight == "int4" && !floatActivations &&
      std::min(groupSize, cuda::paddedDepth(k)) > 64 * cuda::kTileK)
    return fmt::format("int4 groups of {} codes (at most {})",
                       std::min(groupSize, k), 64 * cuda::kTileK);
  if (weight == "fp4_e2m1" && op.getRuntimeSmoothGroup())
    return "Runtime Smooth with fp4 weights";
  return "";
}

Value Lowering::addWeight(Location loc, ArrayRef<uint8_t> bytes,
                          StringRef dtype, ArrayRef<int64_t> shape) {
  int64_t offset = blob.add(bytes.data(), bytes.size());
  return emit(loc, kernel("weight"),
              {session, std::to_string(offset), dtype.str(), cppShape(shape)},
              /*hasResult=*/true);
}

template <typename T> ArrayRef<uint8_t> bytesOf(const std::vector<T> &values) {
  return ArrayRef(reinterpret_cast<const uint8_t *>(values.data()),
                  values.size() * sizeof(T));
}

LogicalResult Lowering::lowerQLinear(QLinearOp op) {
  std::string missing = unsupportedQLinear(op);
  if (!missing.empty())
    return op.emitError("the ")
           << (backend == Backend::Cuda ? "CUDA" : "x86")
           << " kernels do not run qlinear with " << missing << " yet";
  auto readConstant = [&](Value value) -> FailureOr<HostTensor> {
    auto constant = value.getDefiningOp<arith::ConstantOp>();
    auto elements =
        constant ? dyn_cast<ElementsAttr>(constant.getValue()) : nullptr;
    if (!elements)
      return op.emitError("qlinear weights and scales must be constants");
    return toHostTensor(elements, constant.getLoc());
  };
  FailureOr<HostTensor> codes = readConstant(op.getWeight());
  FailureOr<HostTensor> scales = readConstant(op.getScales());
  if (failed(codes) || failed(scales))
    return failure();
  int64_t n = codes->shape()[0], k = codes->shape()[1];
  int64_t groups = scales->shape()[1];
  int64_t groupSize = op.getGroupSize();
  if (groupSize <= 0 || groupSize > k)
    groupSize = k;
  StringRef format = op.getWeightFormat();
  bool twoLevel = scales->kind() == ElementKind::I64;
  bool integer = format == "int8" || format == "int4";
  bool e2m1 = format == "fp4_e2m1";
  std::string layoutCodes = format == "int8"   ? "Int8"
                            : format == "int4" ? "Int4"
                            : e2m1             ? "E2M1"
                                               : "E4M3";
  if (backend == Backend::Cuda) {
    std::string refused = unsupportedOnCuda(op, k, groupSize);
    if (!refused.empty())
      return op.emitError("the CUDA kernels do not run qlinear with ")
             << refused << " yet";
  }

  // Codes one a byte: integers, or the exact minifloat values encoded.
  std::vector<int8_t> dense(n * k);
  for (int64_t i = 0; i < n * k; ++i) {
    if (integer)
      dense[i] = static_cast<int8_t>(codes->values<int64_t>()[i]);
    else {
      float value = codes->values<float>()[i];
      dense[i] = static_cast<int8_t>(e2m1 ? numerics::encodeE2M1(value)
                                          : numerics::encodeE4M3(value));
    }
  }
  // Scales: two-level integers as bytes; f32, e8m0 and e4m3 alike decoded.
  std::vector<uint8_t> integerScales;
  std::vector<float> floatScales;
  if (twoLevel)
    for (int64_t i = 0; i < n * groups; ++i)
      integerScales.push_back(
          static_cast<uint8_t>(scales->values<int64_t>()[i]));
  else
    floatScales.assign(scales->values<float>().begin(),
                       scales->values<float>().end());
  Location loc = op.getLoc();
  StringRef scaleType = twoLevel ? "qcc::rt::DType::U8" : "qcc::rt::DType::F32";
  Value codesView, scalesView;
  CallArg channel = std::string("qcc::rt::Tensor()");
  bool int8Products = false;
  if (backend == Backend::Cuda) {
    cuda::FragmentCodes fragments =
        format == "int8"   ? cuda::FragmentCodes::Int8ForS8
        : format == "int4" ? (op.getActivationFormat() == "float"
                                  ? cuda::FragmentCodes::Int4ForF16
                                  : cuda::FragmentCodes::Int4ForS8)
        : e2m1             ? cuda::FragmentCodes::E2M1ForF16
                           : cuda::FragmentCodes::E4M3ForF8;
    std::vector<uint8_t> packed(cuda::packedWeightBytes(fragments, n, k));
    cuda::packWeightFragments(fragments, dense.data(), n, k, packed.data());
    codesView =
        addWeight(loc, packed, "qcc::rt::DType::U8", {int64_t(packed.size())});
    int64_t columns = cuda::paddedColumns(n);
    if (twoLevel) {
      int8Products = cuda::twoLevelProductsFitInt8(
          dense.data(), integerScales.data(), n, k, groupSize, groups);
      std::vector<uint8_t> transposed(groups * columns);
      cuda::transposeScales(integerScales.data(), n, groups, transposed.data());
      scalesView = addWeight(loc, transposed, scaleType, {groups, columns});
    } else {
      std::vector<float> transposed(groups * columns);
      cuda::transposeScales(floatScales.data(), n, groups, transposed.data());
      scalesView =
          addWeight(loc, bytesOf(transposed), scaleType, {groups, columns});
    }
    // The kernels read channel scales for every padded column.
    if (Value original = op.getChannelScales()) {
      FailureOr<HostTensor> read = readConstant(original);
      if (failed(read))
        return failure();
      std::vector<float> padded(columns, 0.0f);
      std::copy_n(read->values<float>().begin(), n, padded.begin());
      channel =
          addWeight(loc, bytesOf(padded), "qcc::rt::DType::F32", {columns});
    }
  } else {
    // The x86 kernels' layouts: int8 rows padded, int4 in packInt4's
    // order, minifloat codes in rows (e2m1 two a byte, even column low).
    std::vector<uint8_t> packed;
    int64_t rowBytes;
    if (format == "int4") {
      rowBytes = rt::paddedWidth(k) / 2;
      packed.resize(n * rowBytes);
      rt::packInt4(dense.data(), n, k, packed.data());
    } else if (format == "int8") {
      rowBytes = rt::paddedWidth(k);
      packed.assign(n * rowBytes, 0);
      for (int64_t row = 0; row < n; ++row)
        std::copy_n(dense.data() + row * k, k,
                    reinterpret_cast<int8_t *>(packed.data()) + row * rowBytes);
    } else {
      rowBytes = e2m1 ? (k + 1) / 2 : k;
      packed.assign(n * rowBytes, 0);
      for (int64_t row = 0; row < n; ++row)
        for (int64_t col = 0; col < k; ++col) {
          uint8_t code = static_cast<uint8_t>(dense[row * k + col]);
          if (e2m1)
            packed[row * rowBytes + col / 2] |= code << (4 * (col % 2));
          else
            packed[row * rowBytes + col] = code;
        }
    }
    codesView = addWeight(loc, packed, "qcc::rt::DType::U8", {n, rowBytes});
    scalesView = addWeight(
        loc, twoLevel ? ArrayRef<uint8_t>(integerScales) : bytesOf(floatScales),
        scaleType, {n, groups});
    channel = optional(op.getChannelScales());
  }
  // LoRC factors in f32, decoded as the interpreter decodes them.
  CallArg lorcU = std::string("qcc::rt::Tensor()"),
          lorcV = std::string("qcc::rt::Tensor()");
  if (op.getLorcU()) {
    auto decode = [&](Value factor, Value rowScales) -> FailureOr<Value> {
      FailureOr<HostTensor> values = readConstant(factor);
      if (failed(values))
        return failure();
      int64_t rows = values->shape()[0], columns = values->shape()[1];
      std::vector<float> decoded(rows * columns);
      std::vector<float> scaleValues(rows, 1.0f);
      if (rowScales) {
        FailureOr<HostTensor> read = readConstant(rowScales);
        if (failed(read))
          return failure();
        scaleValues.assign(read->values<float>().begin(),
                           read->values<float>().end());
      }
      for (int64_t i = 0; i < rows * columns; ++i)
        decoded[i] = static_cast<float>(values->elementAsDouble(i)) *
                     scaleValues[i / columns];
      return addWeight(loc, bytesOf(decoded), "qcc::rt::DType::F32",
                       {rows, columns});
    };
    FailureOr<Value> u = decode(op.getLorcU(), op.getLorcUScales());
    FailureOr<Value> v = decode(op.getLorcV(), op.getLorcVScales());
    if (failed(u) || failed(v))
      return failure();
    lorcU = *u;
    lorcV = *v;
  }
  CallArg input = optional(op.getInput());
  CallArg bias = optional(op.getBias());
  if (failedOperand)
    return failure();
  StringRef activation = op.getActivationFormat();
  float maximum =
      activation == "float" ? 0.0f : getActivationMaximum(activation);
  std::string layout = fmt::format(
      "qcc::rt::QLinearLayout{{{}, {}, {}, {}, qcc::rt::WeightCodes::{}, {}, "
      "{}, {}, {}, {}, {}}}",
      n, k, groupSize, groups, layoutCodes, cppBool(twoLevel),
      cppFloat(maximum), cppBool(activation == "fp8_e4m3"),
      op.getAccumulationBlock(), op.getRuntimeSmoothGroup().value_or(0),
      cppBool(int8Products));
  values[op.getResult()] =
      call(op, kernel("qlinear"),
           {input, codesView, scalesView, channel, bias, lorcU, lorcV, layout});
  for (const CallArg &view :
       {CallArg(codesView), CallArg(scalesView), lorcU, lorcV})
    if (auto *value = std::get_if<Value>(&view))
      emit(loc, kernel("release"), {*value}, /*hasResult=*/false);
  return success();
}

LogicalResult Lowering::lowerCast(CastOp op) {
  Type target = op.getType().getElementType();
  std::string kind;
  int64_t bits = 0;
  if (target.isInteger(1))
    kind = "Bool";
  else if (target.isF16())
    kind = "F16";
  else if (target.isBF16())
    kind = "BF16";
  else if (target.isF32() || target.isF64())
    kind = "F32";
  else if (auto integer = dyn_cast<IntegerType>(target)) {
    kind = integer.isUnsigned() ? "Unsigned" : "Signed";
    bits = integer.getWidth();
  } else
    return op.emitError("casts to ") << target << " have no x86 kernel";
  CallArg input = optional(op.getInput());
  if (failedOperand)
    return failure();
  values[op.getResult()] =
      call(op, kernel("cast"),
           {input, enumArg("CastTarget", kind), std::to_string(bits)});
  return success();
}

void Lowering::releaseDeadOperands(Operation *op) {
  for (Value operand : llvm::to_vector(op->getOperands())) {
    bool usedLater = llvm::any_of(operand.getUsers(), [&](Operation *user) {
      return user != op && op->isBeforeInBlock(user);
    });
    Value value = values.lookup(operand);
    if (usedLater || !value)
      continue;
    emit(op->getLoc(), kernel("release"), {value}, /*hasResult=*/false);
    values.erase(operand);
  }
}

LogicalResult Lowering::run() {
  Block &body = func.getBody().front();
  for (auto [i, argument] : llvm::enumerate(body.getArguments()))
    values[argument] = emit(func.getLoc(), kernel("input"),
                            {session, std::to_string(i)}, /*hasResult=*/true);
  for (Operation &op : body.without_terminator()) {
    if (isa<arith::ConstantOp>(op))
      continue; // lowered at first use
    LogicalResult lowered =
        TypeSwitch<Operation *, LogicalResult>(&op)
            .Case([&](QLinearOp qlinear) { return lowerQLinear(qlinear); })
            .Case([&](CastOp cast) { return lowerCast(cast); })
            .Case([&](QuantizeOp quantize) {
              StringRef format = quantize.getFormat();
              std::string maximum = cppFloat(getActivationMaximum(format));
              std::string fp8 = cppBool(format == "fp8_e4m3");
              CallArg input = optional(quantize.getInput());
              if (failedOperand)
                return failure();
              values[quantize.getResult()] =
                  call(&op, kernel("quantizeCodes"), {input, maximum, fp8});
              values[quantize.getScales()] =
                  call(&op, kernel("quantizeScales"), {input, maximum, fp8});
              return success();
            })
            .Default([&](Operation *other) { return lowerOp(other); });
    if (failed(lowered))
      return failure();
    releaseDeadOperands(&op);
  }
  Operation *terminator = body.getTerminator();
  for (auto [i, result] : llvm::enumerate(terminator->getOperands())) {
    FailureOr<Value> value = lowered(result);
    if (failed(value))
      return failure();
    emit(terminator->getLoc(), kernel("output"),
         {session, std::to_string(i), *value}, /*hasResult=*/false);
  }
  emitc::ReturnOp::create(builder, terminator->getLoc(), Value());
  return success();
}

/// Replaces @main by the forward function of `backend`'s runtime and the
/// model description; the weights go to the module's `qcc.weights`.
LogicalResult lowerModule(ModuleOp module, Backend backend, StringRef scheme,
                          bool externalWeights) {
  bool cuda = backend == Backend::Cuda;
  auto func = module.lookupSymbol<func::FuncOp>("main");
  if (!func)
    return module.emitError(cuda ? "qcc-lower-cuda" : "qcc-lower-x86")
           << " needs a func.func @main";
  MLIRContext *context = module.getContext();
  OpBuilder builder(context);
  builder.setInsertionPointToStart(module.getBody());
  emitc::IncludeOp::create(builder, module.getLoc(),
                           cuda ? "DeviceOps.h" : "Ops.h");
  Type sessionType = emitc::PointerType::get(
      emitc::OpaqueType::get(context, "qcc::rt::Session"));
  auto forward =
      emitc::FuncOp::create(builder, func.getLoc(), "qcc_forward",
                            builder.getFunctionType({sessionType}, {}));
  forward.addEntryBlock();
  WeightBlob blob;
  Lowering lowering(backend, func, forward, blob);
  if (failed(lowering.run()))
    return failure();
  builder.setInsertionPointAfter(forward);
  ModelTarget target{cuda ? "sm90" : "x86",
                     cuda ? "&qcc::gpu::kAccelerator" : "nullptr",
                     /*needsAvx2=*/true, externalWeights};
  uint64_t hash = rt::hashWeights(blob.data().data(), blob.size());
  emitc::VerbatimOp::create(
      builder, func.getLoc(),
      describeModel(func, scheme, target, "qcc_forward", blob.size(), hash));
  module->setAttr("qcc.weights", blob.toAttribute(context));
  module->setAttr("qcc.target", builder.getStringAttr(target.name));
  if (externalWeights)
    module->setAttr("qcc.external_weights", builder.getUnitAttr());
  func.erase();
  return success();
}

struct LowerX86Pass : qcc::impl::LowerX86PassBase<LowerX86Pass> {
  using LowerX86PassBase::LowerX86PassBase;

  void runOnOperation() override {
    if (failed(
            lowerModule(getOperation(), Backend::X86, scheme, externalWeights)))
      signalPassFailure();
  }
};

struct LowerCudaPass : qcc::impl::LowerCudaPassBase<LowerCudaPass> {
  using LowerCudaPassBase::LowerCudaPassBase;

  void runOnOperation() override {
    if (failed(lowerModule(getOperation(), Backend::Cuda, scheme,
                           externalWeights)))
      signalPassFailure();
  }
};

} // namespace
