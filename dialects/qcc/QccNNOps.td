//===- QccNNOps.td - transformer building blocks ----------*- tablegen -*-===//
//
// The ops quantization passes work on (`linear`) and the ones they must see
// through or around (norms, attention, activations).
//
//===----------------------------------------------------------------------===//

#ifndef QCC_NN_OPS_TD
#define QCC_NN_OPS_TD

include "dialects/qcc/QccDialect.td"

def Qcc_LinearOp : Qcc_Op<"linear", [InferTypeOpAdaptor]> {
  let summary = "x · Wᵀ + b with a constant weight";
  let description = [{
    The unit every quantization pass works on. `weight` is `[N, K]` (one row
    per output channel, so quantization groups run along the contiguous K
    axis), `input` is `[..., K]`, the optional `bias` is `[N]` and the result
    is `[..., N]`. `weight` is a constant in every model qcc imports.

    ```mlir
    %y = qcc.linear %x, %w, %b : (tensor<?x?x64xf32>, tensor<192x64xf32>, tensor<192xf32>) -> tensor<?x?x192xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$weight,
                       Optional<AnyRankedTensor>:$bias);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
}

def Qcc_MatMulOp : Qcc_Op<"matmul", [InferTypeOpAdaptor]> {
  let summary = "batched product of two activations";
  let description = [{
    `[..., M, K] × [..., K, N] → [..., M, N]` with the batch dimensions
    broadcast as numpy `matmul` does. Products with a constant right-hand side
    are `qcc.linear` after `qcc-recognize`.

    ```mlir
    %s = qcc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$lhs, AnyRankedTensor:$rhs);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
}

def Qcc_LayerNormOp : Qcc_Op<"layer_norm", [AllTypesMatch<["input", "result"]>]> {
  let summary = "layer normalization over the trailing dimensions";
  let description = [{
    Normalizes `input` to zero mean and unit variance over the dimensions from
    `axis` to the last, then applies `scale` and the optional `bias`, whose
    shape is those trailing dimensions (ONNX `LayerNormalization`).

    ```mlir
    %y = qcc.layer_norm %x, %gamma, %beta {axis = -1 : i64, epsilon = 1.0e-05 : f32} : (tensor<?x?x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$scale,
                       Optional<AnyRankedTensor>:$bias,
                       DefaultValuedAttr<Qcc_I64Attr, "-1">:$axis, F32Attr:$epsilon);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `,` $scale (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Qcc_RmsNormOp : Qcc_Op<"rms_norm", [AllTypesMatch<["input", "result"]>]> {
  let summary = "root-mean-square normalization over the last dimension";
  let description = [{
    Computes `x / sqrt(mean(x²) + epsilon) * scale` over the last dimension,
    with `scale` of that dimension's size (Llama's `RMSNorm`).

    ```mlir
    %y = qcc.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$scale,
                       F32Attr:$epsilon);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `,` $scale attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Qcc_SoftmaxOp : Qcc_Op<"softmax", [AllTypesMatch<["input", "result"]>]> {
  let summary = "softmax along one axis";
  let description = [{
    `exp(x - max) / sum(exp(x - max))` along `axis` (ONNX `Softmax` since
    opset 13).

    ```mlir
    %p = qcc.softmax %s {axis = -1 : i64} : tensor<?x4x?x?xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[AnyFloat]>:$input,
                       DefaultValuedAttr<Qcc_I64Attr, "-1">:$axis);
  let results = (outs RankedTensorOf<[AnyFloat]>:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Qcc_GeluOp : Qcc_Op<"gelu", [AllTypesMatch<["input", "result"]>]> {
  let summary = "Gaussian error linear unit";
  let description = [{
    `x · Φ(x)` with the exact erf form (`approximate = "none"`) or the tanh
    approximation (`approximate = "tanh"`).

    ```mlir
    %y = qcc.gelu %x {approximate = "none"} : tensor<?x?x256xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[AnyFloat]>:$input,
                       DefaultValuedAttr<StrAttr, "\"none\"">:$approximate);
  let results = (outs RankedTensorOf<[AnyFloat]>:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Qcc_SiluOp : Qcc_Op<"silu", [AllTypesMatch<["input", "result"]>]> {
  let summary = "sigmoid linear unit x · sigmoid(x)";
  let description = [{
    The gate activation of SwiGLU MLPs.

    ```mlir
    %y = qcc.silu %x : tensor<?x?x172xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[AnyFloat]>:$input);
  let results = (outs RankedTensorOf<[AnyFloat]>:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Qcc_RotaryOp : Qcc_Op<"rotary", [AllTypesMatch<["input", "result"]>]> {
  let summary = "rotary position embedding (half-rotation form)";
  let description = [{
    Computes `x · cos + rotate_half(x) · sin`, where `rotate_half(x)` is
    `concat(-x[..., D/2:], x[..., :D/2])` over the last dimension `D` (the
    Llama / GPT-NeoX form). `cos` and `sin` broadcast against `input` and have
    the same shape; their last dimension is `D`.

    ```mlir
    %q2 = qcc.rotary %q, %cos, %sin : (tensor<?x4x?x16xf32>, tensor<?x1x?x16xf32>, tensor<?x1x?x16xf32>) -> tensor<?x4x?x16xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[AnyFloat]>:$input,
                       RankedTensorOf<[AnyFloat]>:$cos,
                       RankedTensorOf<[AnyFloat]>:$sin);
  let results = (outs RankedTensorOf<[AnyFloat]>:$result);
  let assemblyFormat = [{
    $input `,` $cos `,` $sin attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Qcc_AttentionOp : Qcc_Op<"attention", [InferTypeOpAdaptor]> {
  let summary = "scaled dot-product attention, grouped-query capable";
  let description = [{
    `softmax(scale · q · kᵀ ⊕ mask) · v` with `q` `[B, Hq, S, D]`, `k`
    `[B, Hkv, T, D]` and `v` `[B, Hkv, T, Dv]`; `Hq` is a multiple of `Hkv`
    and query head `h` attends with key/value head `h / (Hq / Hkv)`. The
    optional `mask` broadcasts to `[B, Hq, S, T]`: a float mask is added to
    the scores, an `i1` mask keeps the scores where it is true and replaces
    the others by `masked_value` (the constant the model used).

    ```mlir
    %o = qcc.attention %q, %k, %v, %mask {scale = 2.500000e-01 : f32} : (tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x1x?x?xf32>) -> tensor<?x4x?x16xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[AnyFloat]>:$query,
                       RankedTensorOf<[AnyFloat]>:$key,
                       RankedTensorOf<[AnyFloat]>:$value,
                       Optional<AnyRankedTensor>:$mask, F32Attr:$scale,
                       OptionalAttr<F32Attr>:$masked_value);
  let results = (outs RankedTensorOf<[AnyFloat]>:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`,` $mask^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

class Qcc_ReduceOp<string mnemonic, string what>
    : Qcc_Op<mnemonic, [InferTypeOpAdaptor]> {
  let summary = "reduces with " # what # " over the given axes";
  let description = [{
    Reduces `input` with }] # what # [{ over `axes` (all axes when empty);
    reduced dimensions are kept with size 1 when `keepdims` is set.

    ```mlir
    %m = qcc.}] # mnemonic # [{ %x {axes = array<i64: -1>, keepdims = true} : (tensor<?x?x64xf32>) -> tensor<?x?x1xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, DenseI64ArrayAttr:$axes,
                       DefaultValuedAttr<BoolAttr, "true">:$keepdims);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *, std::optional<::mlir::Location> location,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &types) {
      return inferReduceType(location, adaptor.getInput(), adaptor.getAxes(),
                             adaptor.getKeepdims(), types);
    }
  }];
}

def Qcc_ReduceMeanOp : Qcc_ReduceOp<"reduce_mean", "the mean">;
def Qcc_ReduceSumOp : Qcc_ReduceOp<"reduce_sum", "the sum">;
def Qcc_ReduceMaxOp : Qcc_ReduceOp<"reduce_max", "the maximum">;

#endif // QCC_NN_OPS_TD
