//===- GPTQ.h - error-feedback rounding of weights --------------*- C++ -*-===//
//
// GPTQ (Frantar et al., 2023) rounds a weight one input column at a time and
// moves each column's rounding error onto the columns not yet rounded, in
// proportion to the inverse of H = Σ x xᵀ over calibration inputs, so that
// the layer's output error ‖X Wᵀ - X Qᵀ‖² rather than the weight error is
// minimised. qcc keeps the group scales and zero points that round-to-
// nearest chooses (with qcc-scale-search's clip ratios) and only changes
// the codes, so GPTQ fits every weight and scale format unchanged.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_PASSES_GPTQ_H
#define QCC_PASSES_GPTQ_H

#include "mlir/IR/BuiltinOps.h"
#include "passes/WeightQuantizer.h"
#include "llvm/ADT/DenseMap.h"
#include <vector>

namespace qcc {

/// H = Σ_t x_t x_tᵀ / ‖x_t‖² [K, K] (row-major, symmetric) over the
/// calibration rows x_t of a linear's input. Each token counts alike, as in
/// qcc-smooth's search: otherwise a few massive tokens (attention sinks,
/// spikes) would set H alone.
struct Hessian {
  int64_t size = 0;
  int64_t rows = 0;
  std::vector<double> values;
};

/// H of the inputs of a set of linears; linears reading one value share it.
struct Hessians {
  std::vector<Hessian> matrices;
  llvm::DenseMap<Operation *, size_t> indexOf;

  const Hessian &of(Operation *linear) const {
    return matrices[indexOf.at(linear)];
  }
};

/// Runs `@main` of `module` on the calibration samples in `data` and returns
/// H of the input of every linear in `linears`.
FailureOr<Hessians> collectHessians(ModuleOp module, StringRef data,
                                    ArrayRef<Operation *> linears);

struct GPTQOptions {
  /// Added to H's diagonal, as a fraction of its mean, so that H is
  /// invertible and the error feedback stays bounded.
  double damp = 0.01;
  /// Round columns in order of decreasing H_jj (the most active inputs
  /// first, while the most columns remain to absorb their error).
  bool actOrder = true;
  /// Columns whose error feedback is applied to the rest in one GEMM.
  int64_t block = 128;
};

/// Replaces the codes of `quantized` (round-to-nearest of `weights`, whose
/// group parameters are kept) by GPTQ's; diagnoses at `op` an H that stays
/// singular after damping.
LogicalResult roundWithGPTQ(Operation *op, const GroupedWeight &weights,
                            const WeightQuantizer &quantizer,
                            const Hessian &hessian, const GPTQOptions &options,
                            QuantizedWeight &quantized);

/// tr(Δ H Δᵀ) / tr(W H Wᵀ) with Δ = W - dequant(Q): the relative output
/// error of the layer on the calibration inputs.
double relativeOutputError(const GroupedWeight &weights,
                           ArrayRef<float> dequantized, const Hessian &hessian);

} // namespace qcc

#endif // QCC_PASSES_GPTQ_H
