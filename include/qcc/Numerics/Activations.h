//===- Activations.h - per-token activation quantization -------*- C++ -*-===//
//
// The dynamic symmetric per-row quantization of qcc.quantize and of
// qcc.qlinear's activation_format, shared by the interpreter and by passes
// that simulate it while searching (qcc-smooth).
//
//===----------------------------------------------------------------------===//

#ifndef QCC_NUMERICS_ACTIVATIONS_H
#define QCC_NUMERICS_ACTIVATIONS_H

#include <cmath>
#include <cstdint>

namespace qcc::numerics {

/// The per-row scale of quantizeRows: max|x| / qmax, 1 for a zero row.
inline float rowScale(const float *x, int64_t width, float qmax) {
  float absmax = 0.0f;
  for (int64_t i = 0; i < width; ++i)
    absmax = std::fmax(absmax, std::fabs(x[i]));
  return absmax > 0.0f ? absmax / qmax : 1.0f;
}

/// Quantizes `rows` rows of `width` values: scale = max|x| / qmax per row (1
/// for a zero row), codes rne(x · (1 / scale)) clamped to ±qmax, or e4m3
/// (saturating) when `fp8`. Writes code values (decoded for e4m3) and one
/// scale per row.
void quantizeRows(const float *x, int64_t rows, int64_t width, float qmax,
                  bool fp8, float *codes, float *scales);

} // namespace qcc::numerics

#endif // QCC_NUMERICS_ACTIVATIONS_H
