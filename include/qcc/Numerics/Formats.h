//===- Formats.h - rounding and low-bit formats, defined once ---*- C++ -*-===//
//
// The numerics every part of qcc follows when it quantizes: the interpreter's
// simulation, the x86 kernels and the CUDA kernels. Header-only and free of
// library calls so that it compiles for the host and, under nvcc, the device.
//
// Rounding is round-to-nearest, ties to even, with saturation to the format's
// largest finite value. A value is quantized as q = rne(x * inverseScale)
// (+ zero point for asymmetric integers), where inverseScale = 1.0f / scale
// is computed once in f32: kernels multiply rather than divide, and so does
// everyone else.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_NUMERICS_FORMATS_H
#define QCC_NUMERICS_FORMATS_H

#include <cstdint>
#include <cstring>

#if defined(__CUDACC__)
#define QCC_HOST_DEVICE __host__ __device__
#else
#define QCC_HOST_DEVICE
#endif

namespace qcc::numerics {

QCC_HOST_DEVICE inline uint32_t bitsOf(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof(bits));
  return bits;
}

QCC_HOST_DEVICE inline float floatOf(uint32_t bits) {
  float x;
  std::memcpy(&x, &bits, sizeof(x));
  return x;
}

QCC_HOST_DEVICE inline bool isNaN(float x) { return x != x; }

/// x rounded to an integer, ties to even, independent of the FPU rounding
/// mode. Exact for every float (values of magnitude >= 2^23 are integers).
QCC_HOST_DEVICE inline float roundHalfEven(float x) {
  float magnitude = x < 0 ? -x : x;
  if (!(magnitude < 8388608.0f)) // 2^23, NaN and infinity pass through
    return x;
  // Adding and subtracting 2^23 rounds to an integer in the default
  // (nearest-even) mode of IEEE arithmetic, which C++ and CUDA keep.
  float rounded = (magnitude + 8388608.0f) - 8388608.0f;
  return x < 0 ? -rounded : rounded;
}

/// bfloat16 (8 significant bits): x rounded to the nearest, ties to even,
/// returned as the f32 of that value. Subnormal inputs become a zero of
/// their sign and NaN stays NaN (quieted), as AVX-512 BF16's conversions
/// treat them; magnitudes that round past the largest bf16 become infinity.
QCC_HOST_DEVICE inline float roundToBfloat16(float x) {
  uint32_t bits = bitsOf(x);
  if (isNaN(x))
    return floatOf((bits | 0x00400000u) & 0xFFFF0000u);
  if ((bits & 0x7F800000u) == 0)
    return floatOf(bits & 0x80000000u);
  bits += 0x7FFFu + ((bits >> 16) & 1u);
  return floatOf(bits & 0xFFFF0000u);
}

/// Integer quantization: clamp(rne(x * inverseScale) + zeroPoint, low, high).
/// NaN quantizes to the zero point.
QCC_HOST_DEVICE inline int32_t quantizeInt(float x, float inverseScale,
                                           int32_t zeroPoint, int32_t low,
                                           int32_t high) {
  float scaled = x * inverseScale;
  if (isNaN(scaled))
    return zeroPoint;
  float q = roundHalfEven(scaled) + static_cast<float>(zeroPoint);
  if (q < static_cast<float>(low))
    return low;
  if (q > static_cast<float>(high))
    return high;
  return static_cast<int32_t>(q);
}

/// Signed integer ranges: int8 [-128, 127], int4 [-8, 7].
constexpr int32_t kInt8Min = -128, kInt8Max = 127;
constexpr int32_t kInt4Min = -8, kInt4Max = 7;
/// Unsigned ranges for asymmetric quantization: [0, 255], [0, 15].
constexpr int32_t kUInt8Max = 255, kUInt4Max = 15;

/// Encodes a float as a minifloat with `mantissaBits` explicit mantissa bits
/// and exponent bias `bias`, no infinities, saturating to `maxCode` (the code
/// of the largest finite magnitude, without sign), ties to even. Returns the
/// code with the sign in bit (1 + exponent bits + mantissa bits - 1).
QCC_HOST_DEVICE inline uint32_t encodeMinifloat(float x, int mantissaBits,
                                                int bias, uint32_t maxCode,
                                                int signShift) {
  uint32_t bits = bitsOf(x);
  uint32_t sign = (bits >> 31) << signShift;
  float magnitude = floatOf(bits & 0x7FFFFFFFu);
  // The smallest normal exponent of the format is 1 - bias; below it the
  // spacing is constant (subnormals): 2^(1 - bias - mantissaBits).
  int exponent = static_cast<int>((bits >> 23) & 0xFF) - 127;
  int minNormal = 1 - bias;
  int spacingExponent =
      (exponent < minNormal ? minNormal : exponent) - mantissaBits;
  // magnitude / spacing, rounded to even, is the count of spacings; the code
  // follows from it. Spacings are powers of two, so the scaling is exact.
  float spacing = floatOf(static_cast<uint32_t>(spacingExponent + 127) << 23);
  float units = roundHalfEven(magnitude / spacing);
  // Rounding up may carry into the next binade; recompute from the value.
  float value = units * spacing;
  uint32_t code;
  uint32_t valueBits = bitsOf(value);
  int valueExponent = static_cast<int>((valueBits >> 23) & 0xFF) - 127;
  if (value == 0.0f) {
    code = 0;
  } else if (valueExponent < minNormal) {
    code = static_cast<uint32_t>(units); // subnormal: mantissa only
  } else {
    uint32_t mantissa =
        (valueBits >> (23 - mantissaBits)) & ((1u << mantissaBits) - 1);
    code = (static_cast<uint32_t>(valueExponent + bias) << mantissaBits) |
           mantissa;
  }
  if (code > maxCode || magnitude != magnitude)
    code = maxCode;
  return sign | code;
}

/// Decodes a minifloat code (sign at `signShift`) with no infinities.
QCC_HOST_DEVICE inline float decodeMinifloat(uint32_t code, int mantissaBits,
                                             int bias, int signShift) {
  bool negative = (code >> signShift) & 1;
  uint32_t magnitudeCode = code & ((1u << signShift) - 1);
  uint32_t exponent = magnitudeCode >> mantissaBits;
  uint32_t mantissa = magnitudeCode & ((1u << mantissaBits) - 1);
  float unit = floatOf(
      static_cast<uint32_t>((exponent ? static_cast<int>(exponent) : 1) - bias -
                            mantissaBits + 127)
      << 23);
  float value = (exponent ? static_cast<float>(mantissa | (1u << mantissaBits))
                          : static_cast<float>(mantissa)) *
                unit;
  return negative ? -value : value;
}

/// float8 e4m3fn (OCP FP8): 4 exponent bits, bias 7, 3 mantissa bits, no
/// infinities, largest finite 448 (code 0x7E), NaN 0x7F. Encoding saturates
/// to ±448 and maps NaN to 0x7F.
QCC_HOST_DEVICE inline uint8_t encodeE4M3(float x) {
  if (isNaN(x))
    return 0x7F;
  return static_cast<uint8_t>(encodeMinifloat(x, 3, 7, 0x7E, 7));
}
QCC_HOST_DEVICE inline float decodeE4M3(uint8_t code) {
  if ((code & 0x7F) == 0x7F)
    return floatOf(0x7FC00000u);
  return decodeMinifloat(code, 3, 7, 7);
}

/// float4 e2m1 (OCP MX FP4): values ±{0, 0.5, 1, 1.5, 2, 3, 4, 6}; encoding
/// saturates to ±6. NaN, which the format cannot hold, encodes as 0 rather
/// than masquerading as the largest value.
QCC_HOST_DEVICE inline uint8_t encodeE2M1(float x) {
  if (isNaN(x))
    return 0;
  return static_cast<uint8_t>(encodeMinifloat(x, 1, 1, 0x7, 3));
}
QCC_HOST_DEVICE inline float decodeE2M1(uint8_t code) {
  return decodeMinifloat(code & 0xF, 1, 1, 3);
}

/// e8m0 (OCP MX scale): 2^(code - 127); code 255 is NaN.
QCC_HOST_DEVICE inline float decodeE8M0(uint8_t code) {
  if (code == 0xFF)
    return floatOf(0x7FC00000u);
  if (code == 0) // 2^-127 is a float subnormal
    return floatOf(0x00400000u);
  return floatOf(static_cast<uint32_t>(code) << 23);
}

/// The e8m0 code of 2^exponent, clamped to the representable 2^-127..2^127.
QCC_HOST_DEVICE inline uint8_t encodeE8M0Exponent(int exponent) {
  int code = exponent + 127;
  return static_cast<uint8_t>(code < 0 ? 0 : code > 254 ? 254 : code);
}

} // namespace qcc::numerics

#endif // QCC_NUMERICS_FORMATS_H
