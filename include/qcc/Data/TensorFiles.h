//===- TensorFiles.h - reading and writing named tensors ---------*- C++
//-*-===//
//
// Model inputs, calibration samples and outputs as files: NumPy `.npy`, and
// `.npz` archives (written by np.savez or np.savez_compressed), read with
// libzip.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_DATA_TENSORFILES_H
#define QCC_DATA_TENSORFILES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "qcc/Interpreter/HostTensor.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"
#include <string>
#include <vector>

namespace qcc {

struct NamedTensor {
  std::string name;
  HostTensor tensor;
};

/// Parses one `.npy` payload. Float types become f32, integer types i64,
/// bool stays bool; big-endian and Fortran-ordered arrays are refused.
llvm::Expected<HostTensor> parseNpy(llvm::StringRef bytes);

/// The `.npy` bytes of a tensor (f32 as <f4, i64 as <i8, bool as |b1).
std::string serializeNpy(const HostTensor &tensor);

/// Reads named tensors from an `.npz` archive (entry "x.npy" is tensor "x")
/// or from a directory of `.npy` files (file "x.npy" is tensor "x"), in name
/// order.
llvm::Expected<std::vector<NamedTensor>> readTensors(llvm::StringRef path);

/// Writes tensors as an uncompressed `.npz`, through a temporary file that
/// is renamed, so a failure leaves no partial file.
llvm::Error writeNpz(llvm::StringRef path, llvm::ArrayRef<NamedTensor> tensors);

/// Orders named tensors as the arguments of `func` (matched by their ONNX
/// names, `qcc.onnx_name`) and checks them with checkInputs. Names the model
/// does not have, and missing inputs, are errors.
llvm::Expected<std::vector<HostTensor>>
bindInputs(mlir::func::FuncOp func, llvm::ArrayRef<NamedTensor> tensors);

/// Calibration samples for `func`, each a full set of inputs in argument
/// order, checked like bindInputs. Accepted: an `.npz` (or a directory of
/// `.npy` files) whose arrays have their input's rank (one sample) or one
/// more, leading, sample axis; a directory of such `.npz` files; an ONNX
/// `test_data_set_*` directory of `input_<i>.pb` TensorProto files, or a
/// directory of them. NaN and infinity are refused, naming input and sample.
llvm::Expected<std::vector<std::vector<HostTensor>>>
readSamples(mlir::func::FuncOp func, llvm::StringRef path);

/// Prints each reference's max absolute and relative L2 error
/// (||out - ref|| / ||ref||) against the output of the same name; false when
/// an output is missing, differs in shape or kind, or is beyond `tolerance`.
bool compareOutputs(llvm::ArrayRef<NamedTensor> outputs,
                    llvm::ArrayRef<NamedTensor> references, double tolerance,
                    llvm::raw_ostream &os);

/// The ONNX names of `func`'s arguments, in order.
std::vector<std::string> inputNames(mlir::func::FuncOp func);

/// The ONNX names of `func`'s results, in order.
std::vector<std::string> outputNames(mlir::func::FuncOp func);

} // namespace qcc

#endif // QCC_DATA_TENSORFILES_H
