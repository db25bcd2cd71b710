//===- QccQuantOps.td - quantized ops ---------------------*- tablegen -*-===//

#ifndef QCC_QUANT_OPS_TD
#define QCC_QUANT_OPS_TD

include "dialects/qcc/QccDialect.td"

def Qcc_QLinearOp : Qcc_Op<"qlinear", [AttrSizedOperandSegments]> {
  let summary = "linear with a quantized weight";
  let description = [{
    `x · dequant(W)ᵀ + b`, where `weight` holds the quantized `[N, K]` weight
    in `weight_format` and `dequant(W)[n, k] = (W[n, k] - zero[n, g]) ·
    scale[n, g]` for group `g = k / group_size` (the group size is K for one
    scale per output channel). `scales` is `[N, ceil(K / group_size)]` f32;
    the optional `zero_points` (asymmetric integer formats, whose weights are
    then unsigned) have the same shape and the weight's element type. The rounding that produced the weight is that of
    include/qcc/Numerics/Formats.h; i4 and f4 blobs hold one element a byte.

    Formats: `int8` (i8, or ui8 with zero points), `int4` (i4, or ui4 with
    zero points), `fp8_e4m3` (f8E4M3FN), `fp4_e2m1` (f4E2M1FN).

    ```mlir
    %y = qcc.qlinear %x, %w, %s {group_size = 128 : i64, weight_format = "int4"}
        : (tensor<?x256xf32>, tensor<64x256xi4>, tensor<64x2xf32>) -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[AnyFloat]>:$input,
                       AnyRankedTensor:$weight, RankedTensorOf<[F32]>:$scales,
                       Optional<AnyRankedTensor>:$zero_points,
                       Optional<RankedTensorOf<[AnyFloat]>>:$bias,
                       StrAttr:$weight_format, Qcc_I64Attr:$group_size);
  let results = (outs RankedTensorOf<[AnyFloat]>:$result);
  let assemblyFormat = [{
    $input `,` $weight `,` $scales (`zero_points` $zero_points^)? (`bias` $bias^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // QCC_QUANT_OPS_TD
