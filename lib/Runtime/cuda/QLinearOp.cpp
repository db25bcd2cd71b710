//===- QLinearOp.cpp - qcc.qlinear of sm90 models
//--------------------------===//
//
// Picks the kernel of QLinear.h for a qlinear's formats, as the interpreter
// defines the op: activations quantized per token (with Runtime Smooth
// where the layout says) and multiplied by the packed weight, LoRC's
// (x · Vᵀ) · Uᵀ added, then the bias. Float activations go to the f16
// kernels rounded to f16 (docs/cuda-backend.md states the error).
//
//===----------------------------------------------------------------------===//

#include "lib/Runtime/cuda/DeviceRuntime.h"
#include "lib/Runtime/cuda/QLinear.h"

using namespace qcc;
using namespace qcc::gpu;
using rt::WeightCodes;

namespace {

cuda::FragmentCodes fragmentCodesOf(const QLinearLayout &layout) {
  switch (layout.codes) {
  case WeightCodes::Int8:
    return cuda::FragmentCodes::Int8ForS8;
  case WeightCodes::Int4:
    return layout.activationMaximum == 0.0f ? cuda::FragmentCodes::Int4ForF16
                                            : cuda::FragmentCodes::Int4ForS8;
  case WeightCodes::E4M3:
    return cuda::FragmentCodes::E4M3ForF8;
  case WeightCodes::E2M1:
    return cuda::FragmentCodes::E2M1ForF16;
  }
  return cuda::FragmentCodes::Int8ForS8;
}

/// Why a launcher refused: its status in words for the node's message.
std::string refusal(cudaError_t status) {
  if (status == cudaErrorNotSupported)
    return "the CUDA kernels do not support this qlinear's group or "
           "accumulation block size";
  return std::string("CUDA: ") + cudaGetErrorName(status) + ": " +
         cudaGetErrorString(status);
}

} // namespace

Tensor qcc::gpu::qlinear(Session *s, Node node, const Tensor &x,
                         const Tensor &codes, const Tensor &scales,
                         const Tensor &channelScales, const Tensor &bias,
                         const Tensor &lorcU, const Tensor &lorcV,
                         QLinearLayout layout) {
  if (s->failed())
    return {};
  int64_t n = layout.n, k = layout.k;
  std::optional<Shape> shape = rt::qlinearShape(s, node, x, n, k);
  if (!shape)
    return {};
  Tensor result = allocate(s, node, DType::F32, *shape);
  if (result.isNull())
    return {};
  int64_t rows = k ? x.numElements() / k : 0;
  float *y = result.mutableData<float>();
  cudaStream_t stream = streamOf(s);

  cuda::DeviceWeight weight;
  weight.codes = fragmentCodesOf(layout);
  weight.n = n;
  weight.k = k;
  weight.packed = codes.data<uint8_t>();
  weight.groupSize = layout.groupSize;
  weight.groups = layout.groups;
  weight.int8Products = layout.int8Products;
  if (layout.twoLevel)
    weight.integerScales = scales.data<uint8_t>();
  else
    weight.groupScales = scales.data<float>();
  if (!channelScales.isNull())
    weight.channelScales = channelScales.data<float>();

  // Temporaries live until the end of this function; the stream orders
  // their release after the kernels that read them.
  Tensor activationCodes, tokenScales, maxima;
  cudaError_t status = cudaSuccess;
  if (rows == 0) {
    // Nothing to multiply.
  } else if (layout.activationMaximum == 0.0f) {
    activationCodes = allocate(s, node, DType::U8, {rows, k * 2});
    if (activationCodes.isNull() ||
        !toHalfOnDevice(s, node, x.data<float>(),
                        activationCodes.mutableData<uint16_t>(), rows * k))
      return {};
    status = cuda::halfActivationLinear(activationCodes.data<uint16_t>(), rows,
                                        nullptr, weight, y, stream);
  } else if (layout.codes == WeightCodes::E2M1) {
    // fp4 and NVFP4: e4m3 activation codes, exact in f16.
    activationCodes = allocate(s, node, DType::U8, {rows, k * 2});
    tokenScales = allocate(s, node, DType::F32, {rows});
    if (activationCodes.isNull() || tokenScales.isNull())
      return {};
    status = cuda::quantizeActivations(
        x.data<float>(), rows, k, layout.activationMaximum,
        cuda::ActivationCodes::E4M3AsF16, nullptr, 0,
        activationCodes.mutableData<uint8_t>(),
        tokenScales.mutableData<float>(), stream);
    if (status == cudaSuccess)
      status = cuda::halfActivationLinear(activationCodes.data<uint16_t>(),
                                          rows, tokenScales.data<float>(),
                                          weight, y, stream);
  } else {
    int64_t depth = cuda::paddedDepth(k);
    activationCodes = allocate(s, node, DType::U8, {rows, depth});
    tokenScales = allocate(s, node, DType::F32, {rows});
    if (activationCodes.isNull() || tokenScales.isNull())
      return {};
    cuda::DeviceActivations activations;
    activations.codes = activationCodes.data<uint8_t>();
    activations.fp8 = layout.fp8Activations;
    activations.tokenScales = tokenScales.data<float>();
    activations.rows = rows;
    activations.block = layout.block;
    if (layout.smoothGroup) {
      maxima = allocate(s, node, DType::F32,
                        {(k + layout.smoothGroup - 1) / layout.smoothGroup});
      if (maxima.isNull())
        return {};
      status = cuda::runtimeSmoothMaxima(x.data<float>(), rows, k,
                                         layout.smoothGroup,
                                         maxima.mutableData<float>(), stream);
      activations.maxima = maxima.data<float>();
      activations.smoothGroup = layout.smoothGroup;
    }
    if (status == cudaSuccess)
      status = cuda::quantizeActivations(
          x.data<float>(), rows, k, layout.activationMaximum,
          layout.fp8Activations ? cuda::ActivationCodes::E4M3
                                : cuda::ActivationCodes::Int8,
          activations.maxima, layout.smoothGroup,
          activationCodes.mutableData<uint8_t>(),
          tokenScales.mutableData<float>(), stream);
    if (status == cudaSuccess)
      status = cuda::quantizedActivationLinear(activations, weight, y, stream);
  }
  if (status != cudaSuccess) {
    cudaGetLastError();
    s->fail(node, refusal(status));
    return {};
  }

  if (!lorcU.isNull()) {
    int64_t rank = lorcV.dim(0);
    Tensor low = allocate(s, node, DType::F32, {rows, rank});
    Tensor correction = allocate(s, node, DType::F32, {rows, n});
    if (low.isNull() || correction.isNull() ||
        !linearOnDevice(s, node, x.data<float>(), rows, k, lorcV.data<float>(),
                        rank, nullptr, low.mutableData<float>()) ||
        !linearOnDevice(s, node, low.data<float>(), rows, rank,
                        lorcU.data<float>(), n, nullptr,
                        correction.mutableData<float>()) ||
        !accumulateOnDevice(s, node, correction.data<float>(), y, rows * n))
      return {};
  }
  if (!bias.isNull())
    return gpu::binary(s, node, Binary::Add, result, bias);
  return result;
}
