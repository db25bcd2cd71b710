//===- TensorMap.cpp - tensor maps of row-major activations ---------------===//

#include "lib/Runtime/cuda/TensorMap.h"
#include <cudaTypedefs.h>

namespace qcc::cuda {

namespace {

PFN_cuTensorMapEncodeTiled_v12000 encoder() {
  // Looked up once; thread-safe as a function-local static.
  static PFN_cuTensorMapEncodeTiled_v12000 function = [] {
    void *entry = nullptr;
    cudaDriverEntryPointQueryResult found{};
    if (cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &entry,
                                         12000, cudaEnableDefault,
                                         &found) != cudaSuccess ||
        found != cudaDriverEntryPointSuccess) {
      cudaGetLastError();
      return PFN_cuTensorMapEncodeTiled_v12000{};
    }
    return reinterpret_cast<PFN_cuTensorMapEncodeTiled_v12000>(entry);
  }();
  return function;
}

} // namespace

cudaError_t encodeRowMajorMap(CUtensorMap *map, const void *base,
                              int elementBytes, int64_t width, int64_t rows,
                              int64_t rowBytes, int boxWidth, int boxRows) {
  PFN_cuTensorMapEncodeTiled_v12000 encode = encoder();
  if (!encode)
    return cudaErrorNotSupported;
  cuuint64_t dims[2] = {static_cast<cuuint64_t>(width),
                        static_cast<cuuint64_t>(rows)};
  cuuint64_t strides[1] = {static_cast<cuuint64_t>(rowBytes)};
  cuuint32_t box[2] = {static_cast<cuuint32_t>(boxWidth),
                       static_cast<cuuint32_t>(boxRows)};
  cuuint32_t elementStrides[2] = {1, 1};
  CUresult result = encode(
      map,
      elementBytes == 2 ? CU_TENSOR_MAP_DATA_TYPE_UINT16
                        : CU_TENSOR_MAP_DATA_TYPE_UINT8,
      2, const_cast<void *>(base), dims, strides, box, elementStrides,
      CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B,
      CU_TENSOR_MAP_L2_PROMOTION_L2_256B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
  return result == CUDA_SUCCESS ? cudaSuccess : cudaErrorInvalidValue;
}

} // namespace qcc::cuda
