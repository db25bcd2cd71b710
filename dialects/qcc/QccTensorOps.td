//===- QccTensorOps.td - data movement and shape ops ------*- tablegen -*-===//
//
// Ops that move data or compute shapes. Shapes that depend on symbolic
// dimensions are 1-D `i64` tensors computed at run time, as in ONNX; folders
// turn them into constants wherever the dimensions are static.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_TENSOR_OPS_TD
#define QCC_TENSOR_OPS_TD

include "dialects/qcc/QccDialect.td"

def Qcc_GatherOp : Qcc_Op<"gather", [InferTypeOpAdaptor]> {
  let summary = "gathers slices along an axis by index (embeddings)";
  let description = [{
    ONNX `Gather`: the result replaces dimension `axis` of `data` by the
    dimensions of `indices`. Negative indices count from the end.

    ```mlir
    %e = qcc.gather %table, %ids {axis = 0 : i64} : (tensor<100x64xf32>, tensor<?x?xi64>) -> tensor<?x?x64xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$data,
                       RankedTensorOf<[I32, I64]>:$indices,
                       DefaultValuedAttr<Qcc_I64Attr, "0">:$axis);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$data `,` $indices attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Qcc_TransposeOp : Qcc_Op<"transpose", [InferTypeOpAdaptor]> {
  let summary = "permutes dimensions";
  let description = [{
    Result dimension `i` is input dimension `permutation[i]`.

    ```mlir
    %t = qcc.transpose %x {permutation = array<i64: 0, 2, 1, 3>} : (tensor<?x?x4x16xf32>) -> tensor<?x4x?x16xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def Qcc_ReshapeOp : Qcc_Op<"reshape"> {
  let summary = "reshapes to a shape computed at run time";
  let description = [{
    ONNX `Reshape`: `shape` holds the new dimensions, where `-1` is inferred
    from the element count and `0` copies the input dimension at the same
    position (unless `allowzero`). The result type holds what is known
    statically.

    ```mlir
    %r = qcc.reshape %x, %shape : (tensor<?x?x64xf32>, tensor<4xi64>) -> tensor<?x?x4x16xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, Qcc_IndexVector:$shape,
                       DefaultValuedAttr<BoolAttr, "false">:$allowzero);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input `,` $shape attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Qcc_ExpandOp : Qcc_Op<"expand"> {
  let summary = "broadcasts to a shape computed at run time";
  let description = [{
    ONNX `Expand`: broadcasts `input` and `shape` against each other.

    ```mlir
    %e = qcc.expand %x, %shape : (tensor<?x2x1x?x16xf32>, tensor<5xi64>) -> tensor<?x2x2x?x16xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, Qcc_IndexVector:$shape);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input `,` $shape attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Qcc_ConcatOp : Qcc_Op<"concat", [InferTypeOpAdaptor]> {
  let summary = "concatenates tensors along an axis";
  let description = [{
    All operands have the same rank and element type and agree on every
    dimension but `axis`.

    ```mlir
    %c = qcc.concat %a, %b {axis = 2 : i64} : (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32>
    ```
  }];
  let arguments = (ins Variadic<AnyRankedTensor>:$inputs, Qcc_I64Attr:$axis);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$inputs attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Qcc_SliceOp : Qcc_Op<"slice"> {
  let summary = "strided slice with bounds computed at run time";
  let description = [{
    ONNX `Slice`: along each of `axes`, takes `starts[i]` to `ends[i]`
    (exclusive) with stride `steps[i]`; bounds are clamped and negative values
    count from the end. The result type holds what is known statically.

    ```mlir
    %s = qcc.slice %x, %starts, %ends, %steps {axes = array<i64: 3>} : (tensor<?x4x?x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4x?x8xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, Qcc_IndexVector:$starts,
                       Qcc_IndexVector:$ends, Qcc_IndexVector:$steps,
                       DenseI64ArrayAttr:$axes);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `,` $starts `,` $ends `,` $steps attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Qcc_SqueezeOp : Qcc_Op<"squeeze", [InferTypeOpAdaptor]> {
  let summary = "removes size-1 dimensions";
  let description = [{
    Removes the dimensions listed in `axes`, each of size 1.

    ```mlir
    %s = qcc.squeeze %x {axes = array<i64: 1>} : (tensor<?x1x64xf32>) -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, DenseI64ArrayAttr:$axes);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Qcc_UnsqueezeOp : Qcc_Op<"unsqueeze", [InferTypeOpAdaptor]> {
  let summary = "inserts size-1 dimensions";
  let description = [{
    Inserts a dimension of size 1 at each position of `axes`, which index the
    result.

    ```mlir
    %u = qcc.unsqueeze %x {axes = array<i64: 0>} : (tensor<i64>) -> tensor<1xi64>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, DenseI64ArrayAttr:$axes);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Qcc_ShapeOp : Qcc_Op<"shape", [InferTypeOpAdaptor]> {
  let summary = "the dimensions of a tensor as a 1-D i64 tensor";
  let description = [{
    ONNX `Shape`: dimensions `start` to `end` (exclusive; negative values
    count from the end, `end` absent means the rank).

    ```mlir
    %s = qcc.shape %x : (tensor<?x?x64xf32>) -> tensor<3xi64>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input,
                       DefaultValuedAttr<Qcc_I64Attr, "0">:$start,
                       OptionalAttr<Qcc_I64Attr>:$end);
  let results = (outs Qcc_IndexVector:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Qcc_ConstantOfShapeOp : Qcc_Op<"constant_of_shape"> {
  let summary = "a tensor of a run-time shape filled with one value";
  let description = [{
    ```mlir
    %z = qcc.constant_of_shape %shape {value = 0.000000e+00 : f32} : (tensor<2xi64>) -> tensor<?x?xf32>
    ```
  }];
  let arguments = (ins Qcc_IndexVector:$shape, TypedAttrInterface:$value);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$shape attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Qcc_RangeOp : Qcc_Op<"range"> {
  let summary = "the sequence start, start + delta, ... below limit";
  let description = [{
    ONNX `Range` on scalar (rank-0) operands of one element type.

    ```mlir
    %r = qcc.range %start, %limit, %delta : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$start, AnyRankedTensor:$limit,
                       AnyRankedTensor:$delta);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $start `,` $limit `,` $delta attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Qcc_TriluOp : Qcc_Op<"trilu", [AllTypesMatch<["input", "result"]>]> {
  let summary = "keeps the upper or lower triangle of the last two dimensions";
  let description = [{
    ONNX `Trilu`: with `upper`, keeps elements with `j - i >= k`; otherwise
    keeps elements with `j - i <= k`; all others become zero.

    ```mlir
    %t = qcc.trilu %x {k = 0 : i64, upper = false} : tensor<8x8xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input,
                       DefaultValuedAttr<Qcc_I64Attr, "0">:$k,
                       DefaultValuedAttr<BoolAttr, "true">:$upper);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

#endif // QCC_TENSOR_OPS_TD
