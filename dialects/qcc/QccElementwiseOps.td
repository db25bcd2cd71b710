//===- QccElementwiseOps.td - elementwise math ops --------*- tablegen -*-===//
//
// Binary ops broadcast their operands with ONNX (numpy) multidirectional
// broadcasting; result types are inferred.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_ELEMENTWISE_OPS_TD
#define QCC_ELEMENTWISE_OPS_TD

include "dialects/qcc/QccDialect.td"

class Qcc_BinaryOp<string mnemonic, string op, list<Trait> traits = []>
    : Qcc_Op<mnemonic, !listconcat([InferTypeOpAdaptor], traits)> {
  let summary = "elementwise " # op # " with broadcasting";
  let description = [{
    Computes `lhs }] # op # [{ rhs` element by element after broadcasting
    both operands to a common shape as ONNX does. Both operands have the same
    element type.

    ```mlir
    %r = qcc.}] # mnemonic # [{ %a, %b : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$lhs, AnyRankedTensor:$rhs);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasFolder = 1;
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *, std::optional<::mlir::Location> location,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &types) {
      return inferBroadcastType(location, adaptor.getOperands(),
                                /*resultElementType=*/nullptr, types);
    }
  }];
}

def Qcc_AddOp : Qcc_BinaryOp<"add", "+", [Commutative]>;
def Qcc_SubOp : Qcc_BinaryOp<"sub", "-">;
def Qcc_MulOp : Qcc_BinaryOp<"mul", "*", [Commutative]>;
def Qcc_DivOp : Qcc_BinaryOp<"div", "/">;
def Qcc_PowOp : Qcc_BinaryOp<"pow", "^">;
def Qcc_MaxOp : Qcc_BinaryOp<"max", "max", [Commutative]>;
def Qcc_MinOp : Qcc_BinaryOp<"min", "min", [Commutative]>;

class Qcc_CompareOp<string mnemonic, string op, list<Trait> traits = []>
    : Qcc_BinaryOp<mnemonic, op, traits> {
  let summary = "elementwise comparison `" # op # "` with broadcasting";
  let description = [{
    Compares `lhs }] # op # [{ rhs` element by element after broadcasting;
    the result is a tensor of `i1`.

    ```mlir
    %r = qcc.}] # mnemonic # [{ %a, %b : (tensor<4xi64>, tensor<i64>) -> tensor<4xi1>
    ```
  }];
  let results = (outs TensorOf<[I1]>:$result);
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *context, std::optional<::mlir::Location> location,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &types) {
      return inferBroadcastType(location, adaptor.getOperands(),
                                ::mlir::IntegerType::get(context, 1), types);
    }
  }];
}

def Qcc_EqualOp : Qcc_CompareOp<"equal", "==", [Commutative]>;
def Qcc_LessOp : Qcc_CompareOp<"less", "<">;
def Qcc_GreaterOp : Qcc_CompareOp<"greater", ">">;

class Qcc_UnaryOp<string mnemonic, string formula, Type elementType = AnyType>
    : Qcc_Op<mnemonic, [AllTypesMatch<["input", "result"]>]> {
  let summary = "elementwise " # mnemonic;
  let description = [{
    Computes `}] # formula # [{` for every element `x`.

    ```mlir
    %r = qcc.}] # mnemonic # [{ %x : tensor<?x64xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[elementType]>:$input);
  let results = (outs RankedTensorOf<[elementType]>:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Qcc_NegOp : Qcc_UnaryOp<"neg", "-x"> { let hasFolder = 1; }
def Qcc_AbsOp : Qcc_UnaryOp<"abs", "|x|">;
def Qcc_SqrtOp : Qcc_UnaryOp<"sqrt", "sqrt(x)", AnyFloat>;
def Qcc_ReciprocalOp : Qcc_UnaryOp<"reciprocal", "1 / x", AnyFloat>;
def Qcc_ExpOp : Qcc_UnaryOp<"exp", "exp(x)", AnyFloat>;
def Qcc_LogOp : Qcc_UnaryOp<"log", "log(x)", AnyFloat>;
def Qcc_ErfOp : Qcc_UnaryOp<"erf", "erf(x)", AnyFloat>;
def Qcc_TanhOp : Qcc_UnaryOp<"tanh", "tanh(x)", AnyFloat>;
def Qcc_SigmoidOp : Qcc_UnaryOp<"sigmoid", "1 / (1 + exp(-x))", AnyFloat>;
def Qcc_CosOp : Qcc_UnaryOp<"cos", "cos(x)", AnyFloat>;
def Qcc_SinOp : Qcc_UnaryOp<"sin", "sin(x)", AnyFloat>;
def Qcc_ReluOp : Qcc_UnaryOp<"relu", "max(x, 0)", AnyFloat>;
def Qcc_NotOp : Qcc_UnaryOp<"not", "!x", I1>;

def Qcc_ClipOp : Qcc_Op<"clip", [AllTypesMatch<["input", "result"]>]> {
  let summary = "clamps every element into [min, max]";
  let description = [{
    Computes `min(max(x, min), max)`; a bound that is absent does not clamp.

    ```mlir
    %r = qcc.clip %x {min = 1.0e-09 : f64} : tensor<?x384xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, OptionalAttr<F64Attr>:$min,
                       OptionalAttr<F64Attr>:$max);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Qcc_WhereOp : Qcc_Op<"where", [InferTypeOpAdaptor]> {
  let summary = "selects between two tensors by a boolean condition";
  let description = [{
    Returns `on_true` where `condition` holds and `on_false` elsewhere, after
    broadcasting all three operands to a common shape.

    ```mlir
    %r = qcc.where %c, %a, %b : (tensor<1x1x8x8xi1>, tensor<?x4x8x8xf32>, tensor<f32>) -> tensor<?x4x8x8xf32>
    ```
  }];
  let arguments = (ins TensorOf<[I1]>:$condition, AnyRankedTensor:$on_true,
                       AnyRankedTensor:$on_false);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $condition `,` $on_true `,` $on_false attr-dict `:` functional-type(operands, results)
  }];
  let hasFolder = 1;
}

def Qcc_CastOp : Qcc_Op<"cast"> {
  let summary = "converts elements to another element type";
  let description = [{
    Converts every element as ONNX `Cast` does: float to integer truncates
    toward zero, integer or float to `i1` is `x != 0`. The shape is unchanged.

    ```mlir
    %r = qcc.cast %ids : tensor<?x?xi64> to tensor<?x?xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

#endif // QCC_ELEMENTWISE_OPS_TD
