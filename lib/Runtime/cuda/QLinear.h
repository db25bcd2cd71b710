//===- QLinear.h - CUDA kernels of qcc.qlinear (sm90) -----------*- C++ -*-===//
//
// The weight-streaming path of qcc.qlinear on Hopper: weights in fragment
// order (WeightPacking.h) go from memory straight into tensor-core
// registers, int4 converted on the way (to f16 for w4a16, to s8 for w4a8).
// Every function launches on `stream`, returns the launch's status and
// never aborts; pointers are device memory. A product of few rows may
// start while the kernel before it on `stream` ends and read its weights
// (codes and scales) then: those must not be written by that kernel.
//
// Numerics (docs/cuda-backend.md):
// - quantizedActivationLinear with integer codes computes the
//   interpreter's function bit for bit: exact int32 sums per accumulation
//   block (split-K partial sums added as integers), then the float
//   epilogue in QLinearKernels.h's order. With e4m3 codes the products are
//   exact and the f32 sums run in another order than the CPU's.
// - halfActivationLinear multiplies f16 activations by the exact int4 or
//   e2m1 codes (f16 products are exact in the f32 accumulators) and
//   applies each f32 group scale to the group's sum: the interpreter's
//   function on f16-rounded activations (exact for e4m3 codes), up to the
//   order of f32 summation.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_RUNTIME_CUDA_QLINEAR_H
#define QCC_RUNTIME_CUDA_QLINEAR_H

#include "lib/Runtime/cuda/WeightPacking.h"
#include <cuda_runtime_api.h>

namespace qcc::cuda {

/// A qlinear weight on the device.
struct DeviceWeight {
  FragmentCodes codes = FragmentCodes::Int8ForS8;
  int64_t n = 0, k = 0;
  /// packWeightFragments' layout.
  const void *packed = nullptr;
  /// Columns per group: 16, 32, 64 or a multiple of 128 for
  /// halfActivationLinear; a multiple of 128 for quantizedActivationLinear;
  /// or at least k (one group).
  int64_t groupSize = 0, groups = 0;
  /// transposeScales' layout [groups, paddedColumns(n)]: f32 group scales,
  /// or u8 two-level integer scales (w4a8), or neither.
  const float *groupScales = nullptr;
  const uint8_t *integerScales = nullptr;
  /// f32 [paddedColumns(n)], or null.
  const float *channelScales = nullptr;
  /// Two-level weights whose integer scales are at most 17 and whose
  /// codes times their scale are bytes (twoLevelProductsFitInt8; qcc's
  /// w4a8 quantizer keeps codes in [-7, 7] and scales in [1, 17]): many
  /// rows of them then multiply q · s on the int8 tensor cores.
  bool int8Products = false;
};

/// y [rows, n] (f32) = x [rows, k] (f16 bits, row stride k) · weightᵀ for
/// Int4ForF16 (w4a16) or E2M1ForF16 (fp4, MXFP4, NVFP4) weights with f32
/// group scales of 16, 32, 64 or 128·j columns (or one per channel), then
/// times `tokenScales` [rows] (or null) and the weight's channel scales (or
/// none). fp8-activation schemes pass their e4m3 codes as f16
/// (quantizeActivations' E4M3AsF16) with their token scales.
cudaError_t halfActivationLinear(const uint16_t *x, int64_t rows,
                                 const float *tokenScales,
                                 const DeviceWeight &weight, float *y,
                                 cudaStream_t stream);

/// Per-token quantized activations of a qlinear.
struct DeviceActivations {
  /// int8 codes, or e4m3 bytes with `fp8`, [rows, paddedDepth(k)] (zero
  /// padded), and scales [rows].
  const uint8_t *codes = nullptr;
  bool fp8 = false;
  const float *tokenScales = nullptr;
  int64_t rows = 0;
  /// QLinearOp::getAccumulationBlock: a multiple of 128, or at least k.
  int64_t block = 0;
  /// Runtime Smooth maxima [ceil(k / smoothGroup)], or null.
  const float *maxima = nullptr;
  int64_t smoothGroup = 0;
};

/// y [rows, n] (f32) for Int8ForS8 or Int4ForS8 weights with int8
/// activations, as integerLinearPortable computes it; or for E4M3ForF8
/// weights (with f32 group scales) and fp8 activations, as
/// minifloatLinear does.
cudaError_t quantizedActivationLinear(const DeviceActivations &activations,
                                      const DeviceWeight &weight, float *y,
                                      cudaStream_t stream);

/// How quantizeActivations writes codes.
enum class ActivationCodes {
  Int8,      // int8 [rows, paddedDepth(k)], zero padded
  E4M3,      // e4m3 bytes [rows, paddedDepth(k)], zero padded
  E4M3AsF16, // the e4m3 codes' values as f16 bits [rows, k] (exact)
};

/// Per-token quantization as the interpreter's, bit for bit: scales [rows]
/// = max|x| / qmax (1 for a zero row) and codes of x / scale, int8 clamped
/// to ±qmax or e4m3 (qmax 448); with `maxima`, x is first multiplied by 1 /
/// maxima[c / smoothGroup].
cudaError_t quantizeActivations(const float *x, int64_t rows, int64_t k,
                                float qmax, ActivationCodes format,
                                const float *maxima, int64_t smoothGroup,
                                void *codes, float *scales,
                                cudaStream_t stream);

/// qcc::rt::runtimeSmoothMaxima on the device.
cudaError_t runtimeSmoothMaxima(const float *x, int64_t rows, int64_t k,
                                int64_t group, float *maxima,
                                cudaStream_t stream);

} // namespace qcc::cuda

#endif // QCC_RUNTIME_CUDA_QLINEAR_H
