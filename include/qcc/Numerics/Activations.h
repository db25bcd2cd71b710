//===- Activations.h - per-token activation quantization -------*- C++ -*-===//
//
// The dynamic symmetric per-row quantization of qcc.quantize and of
// qcc.qlinear's activation_format, shared by the interpreter and by passes
// that simulate it while searching (qcc-smooth).
//
//===----------------------------------------------------------------------===//

#ifndef QCC_NUMERICS_ACTIVATIONS_H
#define QCC_NUMERICS_ACTIVATIONS_H

#include <cstdint>

namespace qcc::numerics {

/// Quantizes `rows` rows of `width` values: scale = max|x| / qmax per row (1
/// for a zero row), codes rne(x · (1 / scale)) clamped to ±qmax, or e4m3
/// (saturating) when `fp8`. Writes code values (decoded for e4m3) and one
/// scale per row.
void quantizeRows(const float *x, int64_t rows, int64_t width, float qmax,
                  bool fp8, float *codes, float *scales);

} // namespace qcc::numerics

#endif // QCC_NUMERICS_ACTIVATIONS_H
