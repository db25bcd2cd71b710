//===- Kernels.h - the interpreter's op kernels -----------------*- C++ -*-===//
//
// One kernel per op: it receives the op and its operand tensors and returns
// the result tensor (or fails with a diagnostic at the op). Adding an op is
// one function in the file of its family plus one registry line.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_LIB_INTERPRETER_KERNELS_H
#define QCC_LIB_INTERPRETER_KERNELS_H

#include "dialects/qcc/QccOps.h"
#include "qcc/Interpreter/HostTensor.h"
#include "llvm/ADT/DenseMap.h"
#include <functional>

namespace qcc::interp {

/// The results of one op.
using Results = SmallVector<HostTensor, 1>;
using Kernel =
    std::function<FailureOr<Results>(Operation *, ArrayRef<HostTensor>)>;

class KernelRegistry {
public:
  static const KernelRegistry &get();

  template <typename OpTy>
  void add(FailureOr<HostTensor> (*kernel)(OpTy, ArrayRef<HostTensor>)) {
    kernels[TypeID::get<OpTy>()] = [kernel](Operation *op,
                                            ArrayRef<HostTensor> operands) {
      FailureOr<HostTensor> result = kernel(cast<OpTy>(op), operands);
      if (failed(result))
        return FailureOr<Results>(failure());
      return FailureOr<Results>(Results{std::move(*result)});
    };
  }
  /// For ops with several results.
  template <typename OpTy>
  void addMultiResult(FailureOr<Results> (*kernel)(OpTy,
                                                   ArrayRef<HostTensor>)) {
    kernels[TypeID::get<OpTy>()] = [kernel](Operation *op,
                                            ArrayRef<HostTensor> operands) {
      return kernel(cast<OpTy>(op), operands);
    };
  }
  const Kernel *lookup(Operation *op) const;

private:
  llvm::DenseMap<TypeID, Kernel> kernels;
};

/// C[M, N] = A[M, K] · op(B), op(B) = Bᵀ for B stored [N, K] (`bTransposed`)
/// or B for B stored [K, N]; `lda`, `ldb` and `ldc` are row strides.
/// OpenBLAS, single-threaded: callers split work with parallelChunks.
void sgemm(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
           const float *b, int64_t ldb, bool bTransposed, float *c,
           int64_t ldc);

/// Runs `body(begin, end)` over [0, count) in pieces on all cores.
void parallelChunks(int64_t count,
                    llvm::function_ref<void(int64_t, int64_t)> body);

/// x · Wᵀ (+ bias) for an f32 weight [N, K].
HostTensor multiplyLinear(const HostTensor &input, const HostTensor &weight,
                          const HostTensor *bias);

void registerElementwiseKernels(KernelRegistry &registry);
void registerNNKernels(KernelRegistry &registry);
void registerQuantKernels(KernelRegistry &registry);
void registerTensorKernels(KernelRegistry &registry);

/// The kind of a value's element type (the type was checked at entry).
ElementKind kindOf(Value value);

/// Row-major strides of `shape`.
SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape);

/// Strides of `shape` broadcast to `target` (0 along broadcast dimensions).
SmallVector<int64_t> broadcastStrides(ArrayRef<int64_t> shape,
                                      ArrayRef<int64_t> target);

/// Calls `body(i, offsets)` for every element i of `shape` in row-major order,
/// with the matching element offset in each of `strides` (one stride vector
/// per input, all of rank shape.size()).
void forEachIndex(ArrayRef<int64_t> shape,
                  ArrayRef<SmallVector<int64_t>> strides,
                  llvm::function_ref<void(int64_t, ArrayRef<int64_t>)> body);

/// The values of an integer tensor (shape vectors, indices).
SmallVector<int64_t> integerValues(const HostTensor &tensor);

} // namespace qcc::interp

#endif // QCC_LIB_INTERPRETER_KERNELS_H
