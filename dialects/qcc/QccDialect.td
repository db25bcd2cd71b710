//===- QccDialect.td - the qcc dialect and its op base classes -*- tablegen -*-===//

#ifndef QCC_DIALECT_TD
#define QCC_DIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Qcc_Dialect : Dialect {
  let name = "qcc";
  let cppNamespace = "::qcc";
  let summary = "Tensor ops at the level where quantization decisions are made";
  let description = [{
    The qcc dialect holds an imported ONNX model as value-semantics tensor ops.
    Transformer building blocks (`linear`, `rms_norm`, `attention`, ...) are
    ops of their own so that quantization passes can find them; everything
    else an ONNX export contains (shape arithmetic, masks, elementwise math)
    has a direct op too, so an imported model is complete and executable.

    Tensors are builtin ranked tensors. A dimension that ONNX names
    symbolically (`batch`, `seq`) is dynamic (`?`); its name is kept on the
    function argument as `qcc.dim_names`. Constants are `arith.constant`,
    with model weights as `dense_resource` blobs.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
  let hasConstantMaterializer = 1;
}

class Qcc_Op<string mnemonic, list<Trait> traits = []>
    : Op<Qcc_Dialect, mnemonic, !listconcat([Pure], traits)>;

/// A signed 64-bit integer attribute (axes, offsets); printed `: i64` like
/// I64Attr but read back as int64_t so that negative values stay negative.
def Qcc_I64Attr : TypedSignlessIntegerAttrBase<I64, "int64_t",
                                               "64-bit signless integer attribute"> {
  let convertFromStorage = "$_self.getValue().getSExtValue()";
}

/// A 1-D tensor of i64 values computed at run time (a shape, starts, ends).
def Qcc_IndexVector : 1DTensorOf<[I64]>;

#endif // QCC_DIALECT_TD
