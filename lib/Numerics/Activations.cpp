//===- Activations.cpp - per-token activation quantization ----------------===//

#include "qcc/Numerics/Activations.h"
#include "qcc/Numerics/Formats.h"
#include <cmath>

namespace qcc::numerics {

void quantizeRows(const float *x, int64_t rows, int64_t width, float qmax,
                  bool fp8, float *codes, float *scales) {
  auto limit = static_cast<int32_t>(qmax);
  for (int64_t row = 0; row < rows; ++row) {
    const float *in = x + row * width;
    float scale = rowScale(in, width, qmax);
    float inverse = 1.0f / scale;
    float *out = codes + row * width;
    for (int64_t i = 0; i < width; ++i)
      out[i] = fp8 ? decodeE4M3(encodeE4M3(in[i] * inverse))
                   : static_cast<float>(
                         quantizeInt(in[i], inverse, 0, -limit, limit));
    scales[row] = scale;
  }
}

} // namespace qcc::numerics
