//===- QccQuantOps.td - quantized ops ---------------------*- tablegen -*-===//

#ifndef QCC_QUANT_OPS_TD
#define QCC_QUANT_OPS_TD

include "dialects/qcc/QccDialect.td"

def Qcc_QLinearOp : Qcc_Op<"qlinear", [AttrSizedOperandSegments]> {
  let summary = "linear with a quantized weight and optionally quantized input";
  let description = [{
    `x · dequant(W)ᵀ (+ LoRC) + b` for a `[N, K]` `weight` in `weight_format`,
    grouped along K by `group_size` (K for one group per output channel).
    The rounding that produced every code is that of
    include/qcc/Numerics/Formats.h; i4 and f4 blobs hold one element a byte.

    **Weight scales.** `scales` is `[N, ceil(K / group_size)]`; its element
    type says how a code `q` of group `g` becomes a weight:
    - f32: `(q - zero[n, g]) · scales[n, g]`; the optional `zero_points`
      (asymmetric int4/int8, whose weights are then unsigned) are shaped like
      the scales and typed like the weight;
    - ui8, two-level (w4a8): `(q · scales[n, g]) · channel_scales[n]`, int4
      codes in [-7, 7] and integer group scales whose product fits int8;
    - f8E8M0FNU (mxfp4): `q · 2^e[n, g]`, fp4_e2m1 codes;
    - f8E4M3FN (nvfp4): `q · (scales[n, g] · channel_scales[n])`, fp4_e2m1.

    **Activations.** With `activation_format` = `float` the input stays in
    float and the product is an f32 GEMM with the dequantized weight. With
    `int8`, `int4` or `fp8_e4m3` each row (token) of the input is quantized
    symmetrically at run time, exactly as `qcc.quantize` does, and
    multiplied in the code domain: for every block `b` of K over which no
    scale changes (a weight group, a Runtime Smooth group, or all of K),
    `acc_b = Σ q_x · q_w` accumulates in int32 (integer formats, with zero
    points subtracted from weight codes; two-level weights contribute
    `q · scales`) or in f32 (fp8 activations × fp8/fp4 weights, order
    unspecified). The result is, in f32 and in this order,
    `y = (Σ_b acc_b · (group_scale[n, b] · smooth[b])) · token_scale · channel_scale[n]`.

    **Runtime Smooth.** With `runtime_smooth_group = G`, before the row
    quantization every group of G input channels is divided by its maximum
    |x| over all rows of this input (computed at run time; a multiply by its
    f32 reciprocal), and that maximum
    multiplies the group's partial sums (`smooth[b]` above). With grouped
    weights the group must divide or be divided by the weight group size.

    **LoRC.** `lorc_u` `[N, r]` and `lorc_v` `[r, K]` (f16, or i8 with f32
    per-row `lorc_u_scales` `[N]` and `lorc_v_scales` `[r]`) add
    `(x · Vᵀ) · Uᵀ`, computed in f32 from the float input.

    ```mlir
    %y = qcc.qlinear %x, %w, %s {activation_format = "int8", group_size = 128 : i64, weight_format = "int4"}
        : (tensor<?x256xf32>, tensor<64x256xi4>, tensor<64x2xf32>) -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[AnyFloat]>:$input,
                       AnyRankedTensor:$weight, AnyRankedTensor:$scales,
                       Optional<AnyRankedTensor>:$zero_points,
                       Optional<RankedTensorOf<[F32]>>:$channel_scales,
                       Optional<RankedTensorOf<[AnyFloat]>>:$bias,
                       Optional<AnyRankedTensor>:$lorc_u,
                       Optional<AnyRankedTensor>:$lorc_v,
                       Optional<RankedTensorOf<[F32]>>:$lorc_u_scales,
                       Optional<RankedTensorOf<[F32]>>:$lorc_v_scales,
                       StrAttr:$weight_format, Qcc_I64Attr:$group_size,
                       DefaultValuedStrAttr<StrAttr, "float">:$activation_format,
                       OptionalAttr<Qcc_I64Attr>:$runtime_smooth_group);
  let results = (outs RankedTensorOf<[AnyFloat]>:$result);
  let assemblyFormat = [{
    $input `,` $weight `,` $scales (`zero_points` $zero_points^)?
    (`channel_scales` $channel_scales^)? (`bias` $bias^)?
    (`lorc` $lorc_u^ `,` $lorc_v)?
    (`lorc_scales` $lorc_u_scales^ `,` $lorc_v_scales)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The K columns over which no scale of the product changes.
    int64_t getAccumulationBlock();
  }];
}

def Qcc_QuantizeOp : Qcc_Op<"quantize"> {
  let summary = "dynamic symmetric per-row activation quantization";
  let description = [{
    Quantizes each row (last dimension) of `input` with its own scale
    `absmax / qmax` (1 for an all-zero row): `q = rne(x · (1 / scale))`,
    clamped to [-127, 127] (`int8`, i8), [-7, 7] (`int4`, i4), or encoded
    saturating as `fp8_e4m3` (f8E4M3FN, qmax 448). The scales have the
    input's shape with a last dimension of 1. `qcc.qlinear`'s
    `activation_format` fuses exactly this.

    ```mlir
    %q, %s = qcc.quantize %x {format = "int8"} : (tensor<?x64xf32>) -> (tensor<?x64xi8>, tensor<?x1xf32>)
    ```
  }];
  let arguments = (ins RankedTensorOf<[F32]>:$input, StrAttr:$format);
  let results = (outs AnyRankedTensor:$result, RankedTensorOf<[F32]>:$scales);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Qcc_DequantizeOp : Qcc_Op<"dequantize"> {
  let summary = "inverse of qcc.quantize";
  let description = [{
    `q · scale` per row, in f32.

    ```mlir
    %y = qcc.dequantize %q, %s : (tensor<?x64xi8>, tensor<?x1xf32>) -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, RankedTensorOf<[F32]>:$scales);
  let results = (outs RankedTensorOf<[F32]>:$result);
  let assemblyFormat = "$input `,` $scales attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Qcc_HadamardOp : Qcc_Op<"hadamard", [AllTypesMatch<["input", "result"]>]> {
  let summary = "online Hadamard rotation of the last dimension";
  let description = [{
    Multiplies every row by `R = H / sqrt(block_size)` (by `Rᵀ` with
    `transpose`), block-diagonally when `block_size` is smaller than the
    last dimension. `H` is the Hadamard matrix of include/qcc/Numerics/
    Hadamard.h: Sylvester's for powers of two, Kronecker products with
    Paley's orders (12, 20, 28, 36, 60, ...) otherwise. Inserted by
    `qcc-rotate` where a rotation cannot be folded into weights.

    ```mlir
    %r = qcc.hadamard %x {block_size = 576 : i64} : tensor<?x?x576xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[AnyFloat]>:$input,
                       Qcc_I64Attr:$block_size, UnitAttr:$transpose);
  let results = (outs RankedTensorOf<[AnyFloat]>:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

#endif // QCC_QUANT_OPS_TD
