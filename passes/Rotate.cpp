//===- Rotate.cpp - Hadamard rotations folded into weights ----------------===//
//
// QuaRot-style rotation. An orthogonal R = H / sqrt(n) (include/qcc/Numerics/
// Hadamard.h) leaves a float model's outputs unchanged when every producer
// of a value multiplies by R and every consumer by Rᵀ; quantization then
// sees the rotated values, whose outliers are spread over all channels.
//
// The residual stream: the values linked by adds that feed RMS norms. When
// every value in it is produced by an add, a linear, an embedding gather or
// a function argument and read by an add, an RMS norm whose output feeds
// only linears, a linear or the return, it is rotated offline: writers'
// weight rows and biases, embedding rows and readers' weight columns absorb
// R (norm scales are folded into the readers first, since rms_norm(x R) =
// rms_norm(x) R only without them); arguments and results get an online
// `hadamard`. Every other linear input is rotated online: a `hadamard` on the
// input and R folded into the weight's columns.
//
//===----------------------------------------------------------------------===//

#include "dialects/qcc/QccOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "passes/PassUtils.h"
#include "passes/Passes.h"
#include "qcc/Numerics/Hadamard.h"
#include "qcc/Support/Locations.h"
#include "llvm/ADT/SetVector.h"

namespace qcc {
#define GEN_PASS_DEF_ROTATEPASS
#include "passes/Passes.h.inc"
} // namespace qcc

using namespace qcc;
namespace num = qcc::numerics;

namespace {

/// The rotation block for a dimension: all of it when H_n is constructed,
/// else the largest constructed order dividing it (1: none).
int64_t rotationBlock(int64_t dimension) {
  return num::hadamardBase(dimension) ? dimension
                                      : num::largestHadamardBlock(dimension);
}

/// A residual stream and where it enters and leaves.
struct Stream {
  llvm::SetVector<Value> values;
  SmallVector<RmsNormOp> norms;
  SmallVector<LinearOp> writers, readers;
  SmallVector<GatherOp> embeddings;
  SmallVector<BlockArgument> arguments;
  SmallVector<OpOperand *> results;
  int64_t dimension = 0;
};

/// The last dimension of a ranked type, or 0.
int64_t lastDimension(Type type) {
  auto ranked = dyn_cast<RankedTensorType>(type);
  return ranked && ranked.getRank() > 0 &&
                 !ranked.isDynamicDim(ranked.getRank() - 1)
             ? ranked.getShape().back()
             : 0;
}

/// Collects the stream through `seed`, or says why it cannot be rotated.
FailureOr<Stream> collectStream(Value seed, std::string &reason) {
  Stream stream;
  stream.dimension = lastDimension(seed.getType());
  SmallVector<Value> worklist{seed};
  auto fail = [&](Operation *op, StringRef what) {
    reason = (what + " " + op->getName().getStringRef() + " (node \"" +
              getFirstNodeName(op->getLoc()) + "\")")
                 .str();
    return failure();
  };
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    if (!stream.values.insert(value))
      continue;
    if (lastDimension(value.getType()) != stream.dimension) {
      reason = "the stream changes its last dimension";
      return failure();
    }
    if (auto argument = dyn_cast<BlockArgument>(value)) {
      stream.arguments.push_back(argument);
    } else {
      Operation *def = value.getDefiningOp();
      if (auto add = dyn_cast<AddOp>(def)) {
        if (add.getLhs().getType() != add.getRhs().getType())
          return fail(def, "it is produced by a broadcasting");
        worklist.append({add.getLhs(), add.getRhs()});
      } else if (auto linear = dyn_cast<LinearOp>(def)) {
        if (!isF32Constant(linear.getWeight()) ||
            (linear.getBias() && !isF32Constant(linear.getBias())))
          return fail(def, "it is produced by a non-constant");
        stream.writers.push_back(linear);
      } else if (auto gather = dyn_cast<GatherOp>(def)) {
        if (gather.getAxis() != 0 || !isF32Constant(gather.getData()) ||
            cast<RankedTensorType>(gather.getData().getType()).getRank() != 2)
          return fail(def, "it is produced by a non-embedding");
        stream.embeddings.push_back(gather);
      } else {
        return fail(def, "it is produced by");
      }
    }
    for (OpOperand &use : value.getUses()) {
      Operation *user = use.getOwner();
      if (isa<ShapeOp>(user)) // reads the shape only
        continue;
      if (auto add = dyn_cast<AddOp>(user)) {
        worklist.push_back(add.getResult());
      } else if (isa<func::ReturnOp>(user)) {
        stream.results.push_back(&use);
      } else if (auto linear = dyn_cast<LinearOp>(user);
                 linear && use.getOperandNumber() == 0 &&
                 isF32Constant(linear.getWeight())) {
        stream.readers.push_back(linear);
      } else if (auto norm = dyn_cast<RmsNormOp>(user);
                 norm && use.getOperandNumber() == 0 &&
                 isF32Constant(norm.getScale())) {
        for (Operation *reader : norm->getUsers()) {
          if (isa<ShapeOp>(reader))
            continue;
          auto linear = dyn_cast<LinearOp>(reader);
          if (!linear || linear.getInput() != norm.getResult() ||
              !isF32Constant(linear.getWeight()))
            return fail(reader, "a norm of it is read by");
        }
        stream.norms.push_back(norm);
      } else {
        return fail(user, "it is read by");
      }
    }
  }
  return stream;
}

/// row · R for each row of `values`, R of `block`.
void rotateRows(std::vector<float> &values, int64_t block) {
  num::applyHadamard(values.data(), values.size(), block, /*transpose=*/false);
}

/// Rᵀ · W for W [rows, columns] row-major: rotates each column.
void rotateColumns(std::vector<float> &values, int64_t rows, int64_t columns,
                   int64_t block) {
  std::vector<float> transposed(values.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < columns; ++c)
      transposed[c * rows + r] = values[r * columns + c];
  num::applyHadamard(transposed.data(), transposed.size(), block, false);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < columns; ++c)
      values[r * columns + c] = transposed[c * rows + r];
}

std::string nameOf(Operation *op, StringRef suffix) {
  return getFirstNodeName(op->getLoc()) + suffix.str();
}

/// W · R for a linear reading rotated input (optionally W · diag(scale) · R).
void rotateReader(LinearOp linear, int64_t block, ArrayRef<float> scale = {}) {
  std::vector<float> weight = *readF32Constant(linear.getWeight());
  int64_t k = lastDimension(linear.getWeight().getType());
  if (!scale.empty())
    for (size_t i = 0; i < weight.size(); ++i)
      weight[i] *= scale[i % k];
  rotateRows(weight, block);
  replaceF32Operand(linear, 1, weight, nameOf(linear, ".weight.rotated"));
}

/// Rotates the stream: see the file comment.
void rotateStream(Stream &stream, int64_t block) {
  for (LinearOp writer : stream.writers) {
    auto type = cast<RankedTensorType>(writer.getWeight().getType());
    std::vector<float> weight = *readF32Constant(writer.getWeight());
    rotateColumns(weight, type.getDimSize(0), type.getDimSize(1), block);
    replaceF32Operand(writer, 1, weight, nameOf(writer, ".weight.rotated"));
    if (writer.getBias()) {
      std::vector<float> bias = *readF32Constant(writer.getBias());
      rotateRows(bias, block);
      replaceF32Operand(writer, 2, bias, nameOf(writer, ".bias.rotated"));
    }
  }
  for (GatherOp gather : stream.embeddings) {
    std::vector<float> table = *readF32Constant(gather.getData());
    rotateRows(table, block);
    replaceF32Operand(gather, 0, table, nameOf(gather, ".rotated"));
  }
  for (LinearOp reader : stream.readers)
    rotateReader(reader, block);
  for (RmsNormOp norm : stream.norms) {
    std::vector<float> scale = *readF32Constant(norm.getScale());
    for (Operation *user : norm->getUsers())
      if (auto linear = dyn_cast<LinearOp>(user))
        rotateReader(linear, block, scale);
    replaceF32Operand(norm, 1, std::vector<float>(scale.size(), 1.0f),
                      nameOf(norm, ".scale.folded"));
  }
  for (BlockArgument argument : stream.arguments) {
    OpBuilder builder = OpBuilder::atBlockBegin(argument.getOwner());
    auto hadamard = HadamardOp::create(builder, argument.getLoc(), argument,
                                       block, /*transpose=*/false);
    argument.replaceAllUsesExcept(hadamard.getResult(), hadamard);
  }
  for (OpOperand *result : stream.results) {
    OpBuilder builder(result->getOwner());
    auto hadamard = HadamardOp::create(builder, result->get().getLoc(),
                                       result->get(), block,
                                       /*transpose=*/true);
    result->set(hadamard.getResult());
  }
}

// --qcc-rotate
struct RotatePass : qcc::impl::RotatePassBase<RotatePass> {
  using RotatePassBase::RotatePassBase;

  void runOnOperation() override {
    FailureOr<llvm::Regex> keep = parseKeepFloat(getOperation(), keepFloat);
    if (failed(keep))
      return signalPassFailure();
    llvm::json::Array streams, online;
    llvm::DenseSet<Operation *> rotated;
    if (residual)
      for (auto func : getOperation().getOps<func::FuncOp>())
        rotateResidualStreams(func, rotated, streams);
    if (this->online)
      rotateOnline(*keep, rotated, online);
    if (!report.empty() &&
        failed(writeJSONReport(
            getOperation(), report,
            llvm::json::Object{{"residual_streams", std::move(streams)},
                               {"online", std::move(online)}})))
      return signalPassFailure();
  }

  void rotateResidualStreams(func::FuncOp func,
                             llvm::DenseSet<Operation *> &rotated,
                             llvm::json::Array &streams) {
    llvm::DenseSet<Value> seen;
    // Layer norms seed streams too, so that the report says why they stay.
    SmallVector<Operation *> norms;
    func.walk([&](Operation *op) {
      if (isa<RmsNormOp, LayerNormOp>(op))
        norms.push_back(op);
    });
    for (Operation *norm : norms) {
      Value input = norm->getOperand(0);
      if (seen.contains(input))
        continue;
      std::string reason;
      FailureOr<Stream> stream = collectStream(input, reason);
      llvm::json::Object entry{{"node", getFirstNodeName(norm->getLoc())},
                               {"dimension", lastDimension(input.getType())}};
      if (succeeded(stream)) {
        seen.insert(stream->values.begin(), stream->values.end());
        int64_t block = rotationBlock(stream->dimension);
        if (block > 1) {
          rotateStream(*stream, block);
          for (LinearOp l : stream->readers)
            rotated.insert(l);
          for (RmsNormOp n : stream->norms)
            for (Operation *user : n->getUsers())
              if (isa<LinearOp>(user))
                rotated.insert(user);
          entry["block"] = block;
          entry["rotated"] = true;
          entry["norms_folded"] = static_cast<int64_t>(stream->norms.size());
          entry["online_inputs"] =
              static_cast<int64_t>(stream->arguments.size());
          entry["online_outputs"] =
              static_cast<int64_t>(stream->results.size());
          streams.push_back(std::move(entry));
          continue;
        }
        reason = "no Hadamard block divides the dimension";
      }
      entry["rotated"] = false;
      entry["reason"] = reason;
      streams.push_back(std::move(entry));
      seen.insert(input);
    }
  }

  void rotateOnline(const llvm::Regex &keep,
                    const llvm::DenseSet<Operation *> &rotated,
                    llvm::json::Array &online) {
    llvm::DenseMap<Value, Value> rotatedInputs;
    SmallVector<LinearOp> linears;
    getOperation().walk([&](LinearOp op) { linears.push_back(op); });
    for (LinearOp linear : linears) {
      if (rotated.contains(linear) || isKeptInFloat(linear, keepFloat, keep) ||
          !isF32Constant(linear.getWeight()))
        continue;
      int64_t k = lastDimension(linear.getWeight().getType());
      int64_t block = rotationBlock(k);
      if (block <= 1)
        continue;
      Value input = linear.getInput();
      Value &hadamard = rotatedInputs[input];
      if (!hadamard) {
        OpBuilder builder(linear);
        if (Operation *def = input.getDefiningOp())
          builder.setInsertionPointAfter(def);
        else
          builder.setInsertionPointToStart(
              cast<BlockArgument>(input).getOwner());
        hadamard = HadamardOp::create(builder, linear.getLoc(), input, block,
                                      /*transpose=*/false);
      }
      linear.getInputMutable().set(hadamard);
      rotateReader(linear, block);
      online.push_back(llvm::json::Object{
          {"node", getFirstNodeName(linear.getLoc())},
          {"dimension", k},
          {"block", block},
      });
    }
  }
};
} // namespace
