// Device code that uses every function of the shared numerics header.
#include "qcc/Numerics/Formats.h"

using namespace qcc::numerics;

__global__ void roundTrip(const float *x, float *y, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n)
    return;
  float v = x[i];
  y[i] = decodeE4M3(encodeE4M3(v)) + decodeE2M1(encodeE2M1(v)) +
         decodeE8M0(encodeE8M0Exponent(static_cast<int>(v))) +
         static_cast<float>(quantizeInt(v, 2.0f, 0, kInt4Min, kInt4Max));
}
