//===- Passes.td - qcc passes -----------------------------*- tablegen -*-===//

#ifndef QCC_PASSES_TD
#define QCC_PASSES_TD

include "mlir/Pass/PassBase.td"

def RecognizePass : Pass<"qcc-recognize", "::mlir::ModuleOp"> {
  let summary = "Recognize linear layers and decomposed transformer ops";
  let description = [{
    Rewrites the decompositions that ONNX exporters produce into the qcc ops
    that quantization passes look for:

    - `matmul` or ONNX `Gemm` with a constant right-hand side, with an
      optional following bias `add`, becomes `qcc.linear` (the weight is
      stored transposed, `[N, K]`);
    - `x · rsqrt(mean(x²) + ε) · w` (with `div`/`sqrt` or
      `reciprocal`/`sqrt` and `pow(x, 2)` or `x · x`) becomes `qcc.rms_norm`;
    - mean/variance layer normalization decompositions become
      `qcc.layer_norm`;
    - `x · 0.5 · (1 + erf(x / √2))` and the tanh approximation become
      `qcc.gelu` (`approximate = "none"` / `"tanh"`); `x · sigmoid(x)`
      becomes `qcc.silu`;
    - `x · cos + rotate_half(x) · sin` becomes `qcc.rotary`;
    - `softmax(q · kᵀ · scale (+ mask)) · v`, looking through the
      key/value head repetition of grouped-query attention, becomes
      `qcc.attention`.

    Everything it does not recognise is left unchanged; the rewrite is exact
    (no numeric approximation is introduced).
  }];
  let dependentDialects = ["::qcc::QccDialect",
                           "::mlir::arith::ArithDialect"];
  let statistics = [
    Statistic<"numLinear", "linear", "linear ops after recognition">,
    Statistic<"numRmsNorm", "rms-norm", "rms_norm ops after recognition">,
    Statistic<"numLayerNorm", "layer-norm", "layer_norm ops after recognition">,
    Statistic<"numGelu", "gelu", "gelu ops after recognition">,
    Statistic<"numSilu", "silu", "silu ops after recognition">,
    Statistic<"numRotary", "rotary", "rotary ops after recognition">,
    Statistic<"numAttention", "attention", "attention ops after recognition">,
  ];
}

#endif // QCC_PASSES_TD
