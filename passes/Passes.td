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

def CalibratePass : Pass<"qcc-calibrate", "::mlir::ModuleOp"> {
  let summary = "Record activation statistics by running calibration samples";
  let description = [{
    Runs `@main` on every calibration sample with the reference interpreter
    and records, for the input of every `qcc.linear` and both operands of
    every `qcc.matmul`, statistics over all calibration tokens: per-channel
    max |x| and mean of x², the largest max |x| of a token at each sequence
    position, and percentiles of |x|. They are kept as running aggregates
    (memory does not grow with the number of samples) and attached to the op
    as `qcc.calibration`, an array with one dictionary per operand:

    ```mlir
    qcc.linear %x, %w {qcc.calibration = [ {abs_percentiles = dense<...> : tensor<4xf32>,
      channel_absmax = dense<...> : tensor<64xf32>, channel_mean_square = ...,
      percentile_levels = dense<[5.0e+01, 9.9e+01, 9.99e+01, 9.999e+01]> : tensor<4xf32>,
      samples = 8 : i64, token_absmax = dense<...> : tensor<7xf32>, tokens = 56 : i64} ]}
    ```

    Calibration data is an `.npz` (or a directory of `.npy` files) with
    arrays named by the model's inputs, each with the input's rank (one
    sample) or a leading sample axis; a directory of such `.npz` files; or
    ONNX `test_data_set_*` directories of TensorProto files. Inputs are
    checked against the model; NaN and infinity are refused.
  }];
  let dependentDialects = ["::qcc::QccDialect"];
  let options = [
    Option<"data", "data", "std::string", /*default=*/"\"\"",
           "Calibration samples (.npz, .npy directory or test_data_set directories)">,
    Option<"report", "report", "std::string", /*default=*/"\"\"",
           "Also write the statistics as JSON to this file">,
  ];
}

def OutlierAnalysisPass : Pass<"qcc-outlier-analysis", "::mlir::ModuleOp"> {
  let summary = "Classify the activation outliers of every calibrated linear";
  let description = [{
    Reads the statistics of `qcc-calibrate` and classifies the input of every
    `qcc.linear`:

    - **channel-wise** outliers: channels whose max |x| exceeds
      `channel-ratio` times the median channel's, persistently across tokens
      (what SmoothQuant migrates into the weights);
    - **spike** outliers: sequence positions whose largest token max |x|
      exceeds `token-ratio` times the median position's (the first "pivot"
      tokens that Runtime Smooth and IntactKV handle).

    The result is attached as `qcc.outliers` (`kind` = "none", "channel",
    "spike" or "both"; the outlier `channels` and spike `positions`; and the
    two max-to-median ratios) and, with `report`, written as JSON (schema in
    docs/outliers.md). Every linear must have been calibrated.
  }];
  let dependentDialects = ["::qcc::QccDialect"];
  let options = [
    Option<"channelRatio", "channel-ratio", "double", /*default=*/"20.0",
           "A channel is an outlier above this multiple of the median channel max |x|">,
    Option<"tokenRatio", "token-ratio", "double", /*default=*/"20.0",
           "A position is a spike above this multiple of the median position max |x|">,
    Option<"report", "report", "std::string", /*default=*/"\"\"",
           "Write the classification as JSON to this file">,
  ];
}

def ScaleSearchPass : Pass<"qcc-scale-search", "::mlir::ModuleOp"> {
  let summary = "Choose per-group weight clip ratios by grid search";
  let description = [{
    For every `qcc.linear` (except those matching `keep-float`), tries
    `grid` clip ratios r from 1 down to `min-ratio` for each weight group and
    keeps the one whose quantization (with the options of
    qcc-quantize-weights, which must match) has the least error
    Σ h_k (w_k - dequant(w_k))². Data-free, h_k = 1; with `weighted` and
    calibration statistics, h_k is the mean of x_k² over calibration tokens,
    so the error approximates the layer's output error. The ratios are
    attached as `qcc.clip_ratios` ([N, groups] f32), which
    qcc-quantize-weights applies; r = 1 is among the candidates, so no group
    gets worse than round-to-nearest. `report` writes per-layer errors.

    `scale-format` must match qcc-quantize-weights': with `two-level` the
    ratio clips the integer second-level scale (w4a8), with `e8m0`/`e4m3`
    the block scale (MXFP4/NVFP4). `method=percentile` skips the search
    and clips each group at the `percentile`-th percentile of |w| instead.
  }];
  let dependentDialects = ["::qcc::QccDialect"];
  let options = [
    Option<"format", "format", "std::string", /*default=*/"\"int4\"",
           "Weight format: int4, int8, fp8_e4m3, fp4_e2m1">,
    Option<"groupSize", "group-size", "int64_t", /*default=*/"128",
           "Weights per scale along K; -1 for one scale per output channel">,
    Option<"symmetric", "symmetric", "bool", /*default=*/"true",
           "Symmetric (no zero point); integer formats may be asymmetric">,
    Option<"grid", "grid", "unsigned", /*default=*/"20",
           "Number of clip ratios tried per group">,
    Option<"minRatio", "min-ratio", "double", /*default=*/"0.5",
           "Smallest clip ratio tried">,
    Option<"scaleFormat", "scale-format", "std::string",
           /*default=*/"\"float\"",
           "Group scales: float, two-level, e8m0, e4m3">,
    Option<"method", "method", "std::string", /*default=*/"\"grid\"",
           "grid (search clip ratios) or percentile (clip at a percentile)">,
    Option<"percentile", "percentile", "double", /*default=*/"99.9",
           "Percentile of |w| kept by method=percentile">,
    Option<"weighted", "weighted", "bool", /*default=*/"false",
           "Weight the error by the calibrated mean of x² per input channel">,
    Option<"keepFloat", "keep-float", "std::string", /*default=*/"\"\"",
           "Skip linears whose ONNX node name matches this regex">,
    Option<"report", "report", "std::string", /*default=*/"\"\"",
           "Write per-layer round-to-nearest and searched errors as JSON">,
  ];
}

def QuantizeWeightsPass : Pass<"qcc-quantize-weights", "::mlir::ModuleOp"> {
  let summary = "Quantize linear weights (round-to-nearest or GPTQ) into qlinear ops";
  let description = [{
    Replaces every `qcc.linear` whose ONNX node name does not match
    `keep-float` by a `qcc.qlinear` with its weight quantized group-wise
    along K: symmetric formats take `scale = max|w| / qmax` per group (qmax:
    7 for int4, 127 for int8, 448 for fp8_e4m3, 6 for fp4_e2m1); asymmetric
    integers take `scale = (max(w, 0) - min(w, 0)) / (2^bits - 1)` and a zero
    point `rne(-min / scale)`. Values are encoded with the shared numerics
    (include/qcc/Numerics/Formats.h): round to nearest even, saturating.
    Without `qcc.clip_ratios` (from qcc-scale-search) this is plain
    round-to-nearest; with them, each group's range is scaled by its ratio.

    `scale-format` picks how group scales are stored: `float` (f32),
    `two-level` (w4a8: an f32 scale per output channel, max|w| / 119, times
    integer group scales in [1, 17] with codes in [-7, 7], so code · group
    scale fits int8), `e8m0` (MXFP4: the power of two 2^ceil(log2(max|w| /
    6)), no saturation) or `e4m3` (NVFP4: e4m3 group scales times an f32
    scale per output channel, max|w| / (6 · 448)). `activation-format`
    (float, int8, int4, fp8_e4m3) sets how the qlinear quantizes its input
    at run time. Attributes left by earlier passes are consumed:
    `qcc.runtime_smooth` (qcc-smooth mode=runtime) becomes the qlinear's
    `runtime_smooth_group`, and `qcc.lorc_*` (qcc-lorc) its LoRC factors.
    A K that the group size does not divide is padded, with a warning: the
    last group is shorter and scaled on its own values.

    `method=gptq` (with `data`, the calibration samples) keeps those scales
    and zero points but chooses the codes by GPTQ: H = Σ x xᵀ of each
    linear's input over the calibration rows (the model as it is, in
    float), then columns are rounded one at a time (in order of decreasing
    H_jj with `act-order`) and each column's rounding error is carried onto
    the columns not yet rounded through the Cholesky factor of
    (H + `damp` · mean(diag H) · I)⁻¹. This minimises the layer's output
    error on the calibration inputs rather than its weight error. LoRC
    factors, computed for round-to-nearest, are refused with it. `report`
    writes per layer the relative output error tr(ΔHΔᵀ) / tr(WHWᵀ) of
    round-to-nearest and of the chosen codes.
  }];
  let dependentDialects = ["::qcc::QccDialect"];
  let options = [
    Option<"format", "format", "std::string", /*default=*/"\"int4\"",
           "Weight format: int4, int8, fp8_e4m3, fp4_e2m1">,
    Option<"groupSize", "group-size", "int64_t", /*default=*/"128",
           "Weights per scale along K; -1 for one scale per output channel">,
    Option<"symmetric", "symmetric", "bool", /*default=*/"true",
           "Symmetric (no zero point); integer formats may be asymmetric">,
    Option<"scaleFormat", "scale-format", "std::string",
           /*default=*/"\"float\"",
           "Group scales: float, two-level, e8m0, e4m3">,
    Option<"activationFormat", "activation-format", "std::string",
           /*default=*/"\"float\"",
           "Run-time per-token activation format: float, int8, int4, fp8_e4m3">,
    Option<"method", "method", "std::string", /*default=*/"\"rtn\"",
           "How codes are chosen: rtn (round to nearest) or gptq">,
    Option<"data", "data", "std::string", /*default=*/"\"\"",
           "Calibration samples for method=gptq">,
    Option<"damp", "damp", "double", /*default=*/"0.01",
           "GPTQ's diagonal damping, a fraction of H's mean diagonal">,
    Option<"actOrder", "act-order", "bool", /*default=*/"true",
           "GPTQ rounds the columns of the largest H_jj first">,
    Option<"keepFloat", "keep-float", "std::string", /*default=*/"\"\"",
           "Leave linears whose ONNX node name matches this regex in float">,
    Option<"report", "report", "std::string", /*default=*/"\"\"",
           "Write per-layer relative output errors on the calibration inputs (method=gptq)">,
  ];
}

def RotatePass : Pass<"qcc-rotate", "::mlir::ModuleOp"> {
  let summary = "Fold Hadamard rotations into weights; rotate the rest online";
  let description = [{
    QuaRot-style rotation with R = H / sqrt(n) for any dimension n that is
    m · 2^k with m = 1 or a Paley order (12, 20, 28, 36, 60, ...: 576 =
    36 · 16, 960 = 60 · 16, 1536 = 12 · 128, 2560 = 20 · 128, 5120 =
    20 · 256), block-diagonal with the largest such order dividing n
    otherwise. The float model's outputs do not change.

    With `residual`, each residual stream (values linked by adds feeding
    RMS norms) whose producers are adds, linears, embedding gathers or
    arguments and whose readers are adds, linears, RMS norms feeding only
    linears, or the return is rotated offline: norm scales are folded into
    the linears they feed, R into the weights on both sides, and arguments
    and results get a `qcc.hadamard` (free in a whole model, where the
    embedding and the LM head absorb it). A stream that does not qualify
    (for example one read by a `layer_norm`, which is not rotation-
    invariant) is left alone and the report says why. With `online`, every
    other linear (except `keep-float` ones) gets a `qcc.hadamard` on its
    input and R folded into its weight. `report` writes what was rotated.
  }];
  let dependentDialects = ["::qcc::QccDialect"];
  let options = [
    Option<"residual", "residual", "bool", /*default=*/"true",
           "Rotate residual streams offline where their structure allows">,
    Option<"online", "online", "bool", /*default=*/"true",
           "Rotate the inputs of the remaining linears online">,
    Option<"keepFloat", "keep-float", "std::string", /*default=*/"\"\"",
           "No online rotation for linears whose ONNX node name matches">,
    Option<"report", "report", "std::string", /*default=*/"\"\"",
           "Write the rotated streams and online rotations as JSON">,
  ];
}

def SmoothPass : Pass<"qcc-smooth", "::mlir::ModuleOp"> {
  let summary = "SmoothQuant channel smoothing, or Runtime Smooth markers";
  let description = [{
    `mode=static` (SmoothQuant): for every input shared by linears (a site),
    `s_j = max|X_j|^α / max|W_j|^(1-α)` from the calibrated channel maxima
    (`qcc.calibration`, from qcc-calibrate) and the weights; the weights'
    columns are multiplied by s and the input divided by it, so the float
    model's outputs do not change. α is `alpha` if given (>= 0); otherwise,
    with `data` (the calibration samples), it is searched over `grid` + 1
    values in [0, 1] per site, minimising Σ_t ‖X_t Wᵀ - Q(X_t/s) Q(W s)ᵀ‖² / ‖X_t Wᵀ‖²
    (every token t counts alike) on up
    to `tokens` calibration rows, with per-token `activation-format` and
    symmetric `weight-format` round-to-nearest (`group-size`); without data
    α = 0.5. With `keep-unsmoothed`, the search also scores the site as it
    is (s = 1) and leaves it alone when no α errs less. 1/s is folded into the producer of the input: a norm's scale
    and bias, a constant channel multiplier, a linear's output rows, or one
    linear factor of a gated product (SwiGLU's up projection); otherwise a
    `qcc.mul` by 1/s is inserted. Calibrated channel statistics are rescaled.

    `mode=runtime` (Runtime Smooth): marks each linear with
    `qcc.runtime_smooth = G` (`runtime-group`, at most K), which
    qcc-quantize-weights turns into the qlinear's run-time smoothing.

    `report` writes the chosen α, the searched errors and where 1/s went.
  }];
  let dependentDialects = ["::qcc::QccDialect"];
  let options = [
    Option<"mode", "mode", "std::string", /*default=*/"\"static\"",
           "static (SmoothQuant) or runtime (Runtime Smooth)">,
    Option<"alpha", "alpha", "double", /*default=*/"-1.0",
           "Migration strength; negative: search it (static mode)">,
    Option<"grid", "grid", "unsigned", /*default=*/"20",
           "Steps of the alpha search over [0, 1]">,
    Option<"data", "data", "std::string", /*default=*/"\"\"",
           "Calibration samples for the alpha search">,
    Option<"tokens", "tokens", "int64_t", /*default=*/"512",
           "Calibration rows kept per site for the alpha search">,
    Option<"activationFormat", "activation-format", "std::string",
           /*default=*/"\"int8\"",
           "Per-token activation format simulated by the search">,
    Option<"weightFormat", "weight-format", "std::string",
           /*default=*/"\"int8\"",
           "Weight format simulated by the search">,
    Option<"groupSize", "group-size", "int64_t", /*default=*/"-1",
           "Weight group size simulated by the search; -1: per channel">,
    Option<"keepUnsmoothed", "keep-unsmoothed", "bool", /*default=*/"true",
           "Leave a site unsmoothed when that errs less than every alpha">,
    Option<"runtimeGroup", "runtime-group", "int64_t", /*default=*/"128",
           "Channels per Runtime Smooth group (mode=runtime)">,
    Option<"keepFloat", "keep-float", "std::string", /*default=*/"\"\"",
           "Skip linears whose ONNX node name matches this regex">,
    Option<"report", "report", "std::string", /*default=*/"\"\"",
           "Write per-site alpha, errors and folding as JSON">,
  ];
}

def LoRCPass : Pass<"qcc-lorc", "::mlir::ModuleOp"> {
  let summary = "Low-rank compensation of the weight quantization error";
  let description = [{
    ZeroQuant-V2's LoRC. For every `qcc.linear` (except `keep-float` ones),
    quantizes the weight exactly as qcc-quantize-weights will (the options
    `format`, `group-size`, `symmetric` and `scale-format` must match; clip
    ratios from qcc-scale-search apply), takes the SVD of the error
    E = W - dequant(Q(W)) in double (LAPACK) and keeps its best rank-`rank`
    approximation as U = U_r·sqrt(Σ_r) [N, r] and V = sqrt(Σ_r)·V_rᵀ [r, K],
    stored in `factor-format` (f16, or int8 with one f32 scale per row) as
    `qcc.lorc_*` attributes; qcc-quantize-weights attaches them to the
    qlinear, which adds (x·Vᵀ)·Uᵀ. A rank above min(N, K) is an error.
    `report` writes ‖E‖² before and after (in double, before the factors'
    own rounding).
  }];
  let dependentDialects = ["::qcc::QccDialect"];
  let options = [
    Option<"rank", "rank", "int64_t", /*default=*/"16", "Rank r of the factors">,
    Option<"factorFormat", "factor-format", "std::string",
           /*default=*/"\"int8\"", "Factor storage: f16 or int8">,
    Option<"format", "format", "std::string", /*default=*/"\"int4\"",
           "Weight format, as for qcc-quantize-weights">,
    Option<"groupSize", "group-size", "int64_t", /*default=*/"128",
           "Weights per scale along K; -1 for one scale per output channel">,
    Option<"symmetric", "symmetric", "bool", /*default=*/"true",
           "Symmetric (no zero point); integer formats may be asymmetric">,
    Option<"scaleFormat", "scale-format", "std::string",
           /*default=*/"\"float\"",
           "Group scales: float, two-level, e8m0, e4m3">,
    Option<"keepFloat", "keep-float", "std::string", /*default=*/"\"\"",
           "Skip linears whose ONNX node name matches this regex">,
    Option<"report", "report", "std::string", /*default=*/"\"\"",
           "Write per-layer error before and after as JSON">,
  ];
}

def LowerX86Pass : Pass<"qcc-lower-x86", "::mlir::ModuleOp"> {
  let summary = "Lower quantized qcc IR to calls into the x86 runtime (EmitC)";
  let description = [{
    Turns `func.func @main` into `emitc.func @qcc_forward`, in which every
    qcc op is a call into the CPU runtime (lib/Runtime/cpu/Ops.h) on
    `qcc::rt::Tensor` values, each tensor released after its last use.
    Constants become views into one weight blob, which the pass packs and
    attaches to the module as `qcc.weights` (a dense resource of bytes,
    64-byte aligned per weight): `qcc.qlinear` weights in the layout of
    their kernel (int8 codes in rows padded to 32, int4 codes two a byte in
    packInt4's order), other constants in f32, i64 or byte form. The
    module also gets the model description that the C ABI reports
    (inputs, outputs, metadata) as C++ text.

    A qlinear the x86 kernels cannot run yet (fp8/fp4 weights or
    activations, zero points, LoRC factors) is refused with a diagnostic at
    its ONNX node naming what is missing; so is an op without a kernel.
  }];
  let dependentDialects = ["::mlir::emitc::EmitCDialect"];
  let options = [
    Option<"scheme", "scheme", "std::string", "\"\"",
           "The scheme reported as metadata">,
    Option<"externalWeights", "external-weights", "bool", "false",
           "The model.so reads its weights from <model.so>.weights">,
  ];
}

def LowerCudaPass : Pass<"qcc-lower-cuda", "::mlir::ModuleOp"> {
  let summary = "Lower quantized qcc IR to calls into the CUDA runtime (EmitC)";
  let description = [{
    qcc-lower-x86's lowering for `--target=sm90`: every qcc op becomes a
    call of its namesake in lib/Runtime/cuda/DeviceOps.h (`qcc::gpu`,
    the same signatures), whose kernels run on the model's CUDA stream.
    `qcc.qlinear` weights are packed for the tensor-core kernels
    (lib/Runtime/cuda/WeightPacking.h): codes in fragment order, group
    scales transposed to [groups, paddedColumns(n)], channel scales padded.
    The model description carries the GPU hooks of the C ABI.

    A qlinear the CUDA kernels cannot run (int8 or fp8 weights with float
    activations, zero points, group or accumulation-block sizes they do not
    take) is refused at its ONNX node, naming what is missing.
  }];
  let dependentDialects = ["::mlir::emitc::EmitCDialect"];
  let options = [
    Option<"scheme", "scheme", "std::string", "\"\"",
           "The scheme reported as metadata">,
    Option<"externalWeights", "external-weights", "bool", "false",
           "The model.so reads its weights from <model.so>.weights">,
  ];
}

#endif // QCC_PASSES_TD
