//===- Smooth.cpp - SmoothQuant and Runtime Smooth ------------------------===//
//
// Static smoothing divides a linear input's channels by s and multiplies
// the weights' columns by s, which leaves the float product unchanged and
// moves activation outliers into the weights:
//   s_j = max|X_j|^α / max|W_j|^(1-α),
// α per site (an input shared by linears) chosen from a grid by the output
// error of simulated quantization on calibration rows. 1/s is folded into
// what produces the input (a norm's scale and bias, a constant channel
// multiplier, a linear's rows, or one factor of a gated product); when
// nothing can absorb it, a qcc.mul by the constant 1/s is inserted, which
// kernels fuse into the activation quantization.
//
// Runtime Smooth (mode=runtime) only marks linears with qcc.runtime_smooth;
// the channel maxima are taken at run time by the qlinear.
//
//===----------------------------------------------------------------------===//

#include "dialects/qcc/QccOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "passes/CalibrationStats.h"
#include "passes/PassUtils.h"
#include "passes/Passes.h"
#include "passes/WeightQuantizer.h"
#include "qcc/Data/TensorFiles.h"
#include "qcc/Interpreter/Interpreter.h"
#include "qcc/Numerics/Activations.h"
#include "qcc/Support/Locations.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/Support/Parallel.h"
#include <cblas.h>
#include <cmath>

namespace qcc {
#define GEN_PASS_DEF_SMOOTHPASS
#include "passes/Passes.h.inc"
} // namespace qcc

using namespace qcc;

namespace {

/// Linears sharing one input.
struct Site {
  Value input;
  SmallVector<LinearOp> linears;
  int64_t channels = 0;
};

/// Calibration rows of each site's input, at most `limit` per site.
using SampleRows = llvm::DenseMap<Value, std::vector<float>>;

FailureOr<SampleRows> collectRows(ModuleOp module, StringRef data,
                                  ArrayRef<Site> sites, int64_t limit) {
  auto func = module.lookupSymbol<func::FuncOp>("main");
  if (!func)
    return emitError(module.getLoc(), "qcc-smooth needs a function @main");
  auto samples = readSamples(func, data);
  if (!samples)
    return emitError(module.getLoc(), llvm::toString(samples.takeError()));
  llvm::DenseMap<Operation *, Value> siteOf;
  for (const Site &site : sites)
    siteOf[site.linears.front()] = site.input;
  SampleRows rows;
  for (const std::vector<HostTensor> &sample : *samples) {
    auto observe = [&](Operation *op, ArrayRef<HostTensor> operands,
                       ArrayRef<HostTensor>) {
      Value input = siteOf.lookup(op);
      if (!input)
        return;
      std::vector<float> &kept = rows[input];
      ArrayRef<float> values = operands[0].values<float>();
      int64_t width = operands[0].shape().back();
      int64_t room = limit * width - static_cast<int64_t>(kept.size());
      int64_t take = std::min<int64_t>(room, values.size()) / width * width;
      kept.insert(kept.end(), values.begin(), values.begin() + take);
    };
    if (failed(interpret(func, sample, observe)))
      return failure();
    bool full = llvm::all_of(sites, [&](const Site &site) {
      return static_cast<int64_t>(rows[site.input].size()) >=
             limit * site.channels;
    });
    if (full)
      break;
  }
  return rows;
}

/// C[m, n] = A[m, k] · B[n, k]ᵀ.
void multiply(int64_t m, int64_t n, int64_t k, const float *a, const float *b,
              float *c) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a, k, b,
              k, 0.0f, c, n);
}

/// What quantization the α search simulates.
struct SearchFormats {
  const WeightQuantizer *weights;
  int64_t groupSize;
  float activationMax;
  bool fp8;
};

/// Weights quantized with `quantizer` and dequantized, [n, k].
std::vector<float> fakeQuantizeWeights(ArrayRef<float> w, int64_t n, int64_t k,
                                       const SearchFormats &f) {
  int64_t size = f.groupSize > 0 ? std::min(f.groupSize, k) : k;
  std::vector<float> out(w.size());
  SmallVector<char> codes(size);
  for (int64_t row = 0; row < n; ++row) {
    ArrayRef<float> values = w.slice(row * k, k);
    float channel = f.weights->channelScale(values);
    for (int64_t start = 0; start < k; start += size) {
      int64_t count = std::min(size, k - start);
      MutableArrayRef<char> groupCodes(codes.data(), count);
      GroupParameters group = f.weights->quantize(values.slice(start, count),
                                                  1.0f, channel, groupCodes);
      for (int64_t i = 0; i < count; ++i)
        out[row * k + start + i] =
            f.weights->dequantize(groupCodes[i], group, channel);
    }
  }
  return out;
}

/// Σ over the site's linears and tokens t of ‖X_t Wᵀ - Q(X_t / s) Q(W s)ᵀ‖²
/// / ‖X_t Wᵀ‖².
double smoothedError(ArrayRef<float> x, int64_t m, int64_t k,
                     ArrayRef<std::vector<float>> weights,
                     ArrayRef<std::vector<float>> references, ArrayRef<float> s,
                     const SearchFormats &f) {
  std::vector<float> scaled(x.size()), codes(x.size()), scales(m);
  for (int64_t i = 0; i < m * k; ++i)
    scaled[i] = x[i] / s[i % k];
  numerics::quantizeRows(scaled.data(), m, k, f.activationMax, f.fp8,
                         codes.data(), scales.data());
  for (int64_t i = 0; i < m * k; ++i)
    codes[i] *= scales[i / k];
  double error = 0.0;
  for (auto [w, reference] : llvm::zip(weights, references)) {
    int64_t n = w.size() / k;
    std::vector<float> ws(w.size());
    for (size_t i = 0; i < w.size(); ++i)
      ws[i] = w[i] * s[i % k];
    std::vector<float> q = fakeQuantizeWeights(ws, n, k, f);
    std::vector<float> y(m * n);
    multiply(m, n, k, codes.data(), q.data(), y.data());
    // Each token counts alike: a spike token 500 times larger than the rest
    // would otherwise choose α for all of them.
    for (int64_t row = 0; row < m; ++row) {
      double diff = 0.0, norm = 0.0;
      for (int64_t col = 0; col < n; ++col) {
        double r = reference[row * n + col], d = y[row * n + col] - r;
        diff += d * d;
        norm += r * r;
      }
      error += norm > 0.0 ? diff / norm : diff;
    }
  }
  return error;
}

/// Folds y = x / s into what produces x, or inserts the division.
void foldIntoProducer(Site &site, ArrayRef<float> s, std::string &where) {
  Value input = site.input;
  Operation *def = input.getDefiningOp();
  auto onlySiteUsers = [&](Value v) {
    return llvm::all_of(v.getUsers(), [&](Operation *user) {
      return isa<ShapeOp>(user) || llvm::is_contained(site.linears, user);
    });
  };
  auto divide = [&](Operation *op, unsigned index, StringRef suffix) {
    std::vector<float> values = *readF32Constant(op->getOperand(index));
    int64_t k = s.size();
    for (size_t i = 0; i < values.size(); ++i)
      values[i] /= s[i % k];
    replaceF32Operand(op, index, values,
                      getFirstNodeName(op->getLoc()) + suffix.str());
  };
  auto isChannelVector = [&](Value v) {
    auto type = dyn_cast<RankedTensorType>(v.getType());
    return type && type.getNumElements() == static_cast<int64_t>(s.size()) &&
           type.getShape().back() == static_cast<int64_t>(s.size()) &&
           isF32Constant(v);
  };
  // A linear whose output rows can absorb 1/s (and which has no other use).
  auto foldIntoLinear = [&](Value v) {
    auto linear = v.getDefiningOp<LinearOp>();
    if (!linear || !v.hasOneUse() || !isF32Constant(linear.getWeight()) ||
        (linear.getBias() && !isF32Constant(linear.getBias())))
      return false;
    std::vector<float> weight = *readF32Constant(linear.getWeight());
    int64_t columns = weight.size() / s.size();
    for (size_t i = 0; i < weight.size(); ++i)
      weight[i] /= s[i / columns];
    replaceF32Operand(linear, 1, weight,
                      getFirstNodeName(linear.getLoc()) + ".weight.smoothed");
    if (linear.getBias())
      divide(linear, 2, ".bias.smoothed");
    where = "linear " + getFirstNodeName(linear.getLoc());
    return true;
  };
  if (def && onlySiteUsers(input)) {
    if (isa<RmsNormOp, LayerNormOp>(def) &&
        isChannelVector(def->getOperand(1)) &&
        (def->getNumOperands() < 3 || isChannelVector(def->getOperand(2)))) {
      for (unsigned i = 1; i < def->getNumOperands(); ++i)
        divide(def, i, ".smoothed");
      where = def->getName().getStringRef().str();
      return;
    }
    if (auto mul = dyn_cast<MulOp>(def)) {
      for (unsigned i = 0; i < 2; ++i)
        if (isChannelVector(mul->getOperand(i)) &&
            mul->getOperand(1 - i).getType() == mul.getType()) {
          divide(mul, i, ".smoothed");
          where = "channel multiplier";
          return;
        }
      for (unsigned i = 0; i < 2; ++i)
        if (mul->getOperand(i).getType() == mul.getType() &&
            foldIntoLinear(mul->getOperand(i)))
          return;
    }
    if (foldIntoLinear(input))
      return;
  }
  OpBuilder builder(site.linears.front());
  if (def)
    builder.setInsertionPointAfter(def);
  else
    builder.setInsertionPointToStart(cast<BlockArgument>(input).getOwner());
  std::vector<float> inverse(s.size());
  for (size_t i = 0; i < s.size(); ++i)
    inverse[i] = 1.0f / s[i];
  Location loc = site.linears.front().getLoc();
  Value factor =
      createF32Constant(builder, loc,
                        RankedTensorType::get({static_cast<int64_t>(s.size())},
                                              builder.getF32Type()),
                        getFirstNodeName(loc) + ".smooth", inverse);
  auto mul = MulOp::create(builder, loc, input, factor);
  for (LinearOp linear : site.linears)
    linear.getInputMutable().set(mul.getResult());
  where = "inserted qcc.mul";
}

// --qcc-smooth
struct SmoothPass : qcc::impl::SmoothPassBase<SmoothPass> {
  using SmoothPassBase::SmoothPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<llvm::Regex> keep = parseKeepFloat(module, keepFloat);
    if (failed(keep))
      return signalPassFailure();
    if (mode != "static" && mode != "runtime") {
      emitError(module.getLoc(), "unknown mode '")
          << mode << "'; modes: static, runtime";
      return signalPassFailure();
    }
    llvm::MapVector<Value, Site> sites;
    module.walk([&](LinearOp op) {
      if (isKeptInFloat(op, keepFloat, *keep) || !isF32Constant(op.getWeight()))
        return;
      Site &site = sites[op.getInput()];
      site.input = op.getInput();
      site.linears.push_back(op);
      site.channels =
          cast<RankedTensorType>(op.getWeight().getType()).getDimSize(1);
    });
    if (mode == "runtime") {
      if (runtimeGroup < 1) {
        emitError(module.getLoc(), "runtime-group must be at least 1");
        return signalPassFailure();
      }
      Builder b(&getContext());
      for (auto &[input, site] : sites)
        for (LinearOp linear : site.linears)
          linear->setAttr("qcc.runtime_smooth",
                          b.getI64IntegerAttr(
                              std::min<int64_t>(runtimeGroup, site.channels)));
      return;
    }
    SmallVector<Site> siteList;
    for (auto &entry : sites)
      siteList.push_back(entry.second);
    if (failed(smoothStatically(siteList)))
      return signalPassFailure();
  }

  LogicalResult smoothStatically(MutableArrayRef<Site> siteList) {
    ModuleOp module = getOperation();
    FailureOr<WeightQuantizer> quantizer =
        WeightQuantizer::get(module.getLoc(), weightFormat, true);
    if (failed(quantizer))
      return failure();
    Type activationType =
        getActivationStorageType(&getContext(), activationFormat);
    if (!activationType)
      return emitError(module.getLoc(), "unknown activation format '")
             << activationFormat << "'; formats: int8, int4, fp8_e4m3";
    SearchFormats formats{&*quantizer, groupSize,
                          getActivationMaximum(activationFormat),
                          activationFormat == "fp8_e4m3"};
    SampleRows rows;
    if (!data.empty()) {
      FailureOr<SampleRows> collected =
          collectRows(module, data, siteList, tokens);
      if (failed(collected))
        return failure();
      rows = std::move(*collected);
    }
    llvm::json::Array layers;
    for (Site &site : siteList) {
      LinearOp first = site.linears.front();
      std::optional<CalibrationStats> stats = getCalibrationStats(first);
      if (!stats)
        return first.emitError("has no calibration statistics for static "
                               "smoothing; run qcc-calibrate first or use "
                               "mode=runtime");
      int64_t k = site.channels;
      std::vector<std::vector<float>> weights;
      std::vector<float> weightMax(k, 0.0f);
      for (LinearOp linear : site.linears) {
        weights.push_back(*readF32Constant(linear.getWeight()));
        for (size_t i = 0; i < weights.back().size(); ++i)
          weightMax[i % k] =
              std::max(weightMax[i % k], std::fabs(weights.back()[i]));
      }
      auto factors = [&](double a) {
        std::vector<float> s(k, 1.0f);
        for (int64_t j = 0; j < k; ++j) {
          float x = stats->channelAbsMax[j], w = weightMax[j];
          if (x > 0.0f && w > 0.0f)
            s[j] = std::max(1e-5, std::pow(x, a) / std::pow(w, 1.0 - a));
        }
        return s;
      };
      double chosen = alpha;
      llvm::json::Object layer{{"node", getFirstNodeName(first.getLoc())}};
      auto found = rows.find(site.input);
      if (alpha < 0.0 && found != rows.end() && !found->second.empty()) {
        const std::vector<float> &x = found->second;
        int64_t m = x.size() / k;
        std::vector<std::vector<float>> references;
        for (const std::vector<float> &w : weights) {
          references.emplace_back(m * (w.size() / k));
          multiply(m, w.size() / k, k, x.data(), w.data(),
                   references.back().data());
        }
        // The candidates are independent: one per core at a time. The last
        // one leaves the site unsmoothed (s = 1).
        std::vector<double> candidates(grid + 2);
        llvm::parallelFor(0, grid + 2, [&](size_t step) {
          candidates[step] = smoothedError(
              x, m, k, weights, references,
              step > grid ? std::vector<float>(k, 1.0f)
                          : factors(static_cast<double>(step) / grid),
              formats);
        });
        double best = std::numeric_limits<double>::infinity();
        llvm::json::Array errors;
        for (unsigned step = 0; step <= grid; ++step) {
          errors.push_back(candidates[step]);
          if (candidates[step] < best) {
            best = candidates[step];
            chosen = static_cast<double>(step) / grid;
          }
        }
        layer["errors"] = std::move(errors);
        layer["unsmoothed_error"] = candidates.back();
        layer["rows"] = m;
        if (keepUnsmoothed && candidates.back() <= best) {
          layer["alpha"] = nullptr;
          layer["folded_into"] = "not smoothed (no alpha errs less)";
          layers.push_back(std::move(layer));
          continue;
        }
      } else if (alpha < 0.0) {
        chosen = 0.5;
        layer["note"] = "no calibration rows (data=): default alpha 0.5";
      }
      std::vector<float> s = factors(chosen);
      for (auto [linear, w] : llvm::zip(site.linears, weights)) {
        for (size_t i = 0; i < w.size(); ++i)
          w[i] *= s[i % k];
        replaceF32Operand(linear, 1, w,
                          getFirstNodeName(linear.getLoc()) +
                              ".weight.smoothed");
        updateStats(linear, s);
      }
      std::string where;
      foldIntoProducer(site, s, where);
      layer["alpha"] = chosen;
      layer["folded_into"] = where;
      layers.push_back(std::move(layer));
    }
    return writeLayersReport(module, report, std::move(layers));
  }

  /// The input is now x / s: scale its channel statistics to match.
  void updateStats(LinearOp linear, ArrayRef<float> s) {
    std::optional<CalibrationStats> stats = getCalibrationStats(linear);
    if (!stats)
      return;
    for (size_t j = 0; j < s.size(); ++j) {
      stats->channelAbsMax[j] /= s[j];
      stats->channelMeanSquare[j] /= s[j] * s[j];
    }
    linear->setAttr(
        "qcc.calibration",
        ArrayAttr::get(&getContext(), stats->toAttr(&getContext())));
  }
};
} // namespace
