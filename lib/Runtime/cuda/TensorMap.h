//===- TensorMap.h - tensor maps of row-major activations ------*- C++ -*-===//
//
// The warpgroup kernels copy tiles of activations with the bulk copy
// engine, which reads a tensor map: the tensor's address, shape and
// strides and the tile's box, encoded by the driver. The runtime links the
// CUDA runtime statically and not the driver library, so the encoder is
// looked up through the runtime's driver entry points, once.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_RUNTIME_CUDA_TENSORMAP_H
#define QCC_RUNTIME_CUDA_TENSORMAP_H

#include <cstdint>
#include <cuda.h>
#include <cuda_runtime_api.h>

namespace qcc::cuda {

/// A map of `rows` rows of `width` elements of `elementBytes` (1 or 2)
/// bytes, `rowBytes` apart (a multiple of 16; the base 16-byte aligned),
/// copied in boxes of boxWidth × boxRows elements with the 128-byte
/// swizzle (boxWidth · elementBytes must be 128); out-of-bounds elements
/// read as zeros. cudaErrorNotSupported where the driver has no encoder.
cudaError_t encodeRowMajorMap(CUtensorMap *map, const void *base,
                              int elementBytes, int64_t width, int64_t rows,
                              int64_t rowBytes, int boxWidth, int boxRows);

} // namespace qcc::cuda

#endif // QCC_RUNTIME_CUDA_TENSORMAP_H
