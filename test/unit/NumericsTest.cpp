//===- NumericsTest.cpp - rounding and low-bit formats
//---------------------===//
//
// Each format is checked against a brute-force reference: the table of its
// finite values (decoded long-hand with ldexp from the format's definition)
// and a search for the nearest entry, ties to the even code.
//
//===----------------------------------------------------------------------===//

#include "qcc/Numerics/Formats.h"
#include <cmath>
#include <gtest/gtest.h>
#include <random>
#include <vector>

using namespace qcc::numerics;

namespace {

TEST(RoundHalfEven, RoundsTiesToEven) {
  EXPECT_EQ(roundHalfEven(0.5f), 0.0f);
  EXPECT_EQ(roundHalfEven(1.5f), 2.0f);
  EXPECT_EQ(roundHalfEven(2.5f), 2.0f);
  EXPECT_EQ(roundHalfEven(-2.5f), -2.0f);
  EXPECT_EQ(roundHalfEven(-3.5f), -4.0f);
  EXPECT_EQ(roundHalfEven(2.4999998f), 2.0f);
  EXPECT_EQ(roundHalfEven(4194303.5f), 4194304.0f);
  EXPECT_EQ(roundHalfEven(1e10f), 1e10f);
  EXPECT_TRUE(std::isnan(roundHalfEven(NAN)));
}

TEST(QuantizeInt, ScalesRoundsOffsetsAndSaturates) {
  // 0.25 / 0.1 = 2.5 -> 2 (even); with zero point 8 -> 10.
  EXPECT_EQ(quantizeInt(0.25f, 10.0f, 0, kInt8Min, kInt8Max), 2);
  EXPECT_EQ(quantizeInt(0.25f, 10.0f, 8, 0, kUInt4Max), 10);
  EXPECT_EQ(quantizeInt(0.35f, 10.0f, 0, kInt8Min, kInt8Max), 4); // 3.5 -> 4
  EXPECT_EQ(quantizeInt(100.0f, 1.0f, 0, kInt4Min, kInt4Max), kInt4Max);
  EXPECT_EQ(quantizeInt(-100.0f, 1.0f, 0, kInt4Min, kInt4Max), kInt4Min);
  EXPECT_EQ(quantizeInt(-1e30f, 1.0f, 0, kInt8Min, kInt8Max), kInt8Min);
  EXPECT_EQ(quantizeInt(INFINITY, 1.0f, 0, kInt8Min, kInt8Max), kInt8Max);
  EXPECT_EQ(quantizeInt(NAN, 1.0f, 3, 0, kUInt8Max), 3);
}

/// A format's definition: exponent and mantissa widths, bias, and the
/// largest finite code (without sign).
struct Minifloat {
  int exponentBits, mantissaBits, bias;
  unsigned maxCode;
  uint8_t (*encode)(float);
  float (*decode)(uint8_t);
};

/// The value of a code, long-hand from the definition.
double referenceValue(const Minifloat &format, unsigned code) {
  int signShift = format.exponentBits + format.mantissaBits;
  unsigned magnitude = code & ((1u << signShift) - 1);
  int exponent = magnitude >> format.mantissaBits;
  int mantissa = magnitude & ((1u << format.mantissaBits) - 1);
  double value =
      exponent == 0
          ? std::ldexp(mantissa, 1 - format.bias - format.mantissaBits)
          : std::ldexp(1.0 + std::ldexp(mantissa, -format.mantissaBits),
                       exponent - format.bias);
  return (code >> signShift) & 1 ? -value : value;
}

/// The code the format must produce for x: the nearest finite value, ties to
/// the even code, saturating beyond the largest.
unsigned referenceCode(const Minifloat &format, float x) {
  int signShift = format.exponentBits + format.mantissaBits;
  double magnitude = std::fabs(static_cast<double>(x));
  unsigned best = 0;
  if (magnitude >= referenceValue(format, format.maxCode))
    best = format.maxCode; // saturation (distances to huge values all tie)
  else
    for (unsigned code = 1; code <= format.maxCode; ++code) {
      double distance = std::fabs(referenceValue(format, code) - magnitude);
      double bestDistance = std::fabs(referenceValue(format, best) - magnitude);
      if (distance < bestDistance ||
          (distance == bestDistance && (best & 1) && !(code & 1)))
        best = code;
    }
  return std::signbit(x) ? best | (1u << signShift) : best;
}

void checkFormat(const Minifloat &format) {
  int signShift = format.exponentBits + format.mantissaBits;
  std::vector<float> inputs = {0.0f,  -0.0f,  1e-30f,   -1e-30f,
                               1e30f, -1e30f, INFINITY, -INFINITY};
  for (unsigned code = 0; code < (2u << signShift); ++code) {
    if ((code & ((1u << signShift) - 1)) > format.maxCode)
      continue;
    double value = referenceValue(format, code);
    // Decoding is exact.
    EXPECT_EQ(format.decode(static_cast<uint8_t>(code)), value) << code;
    inputs.push_back(static_cast<float>(value));
    // Midpoints to both neighbours are the ties.
    for (unsigned other : {code + 1, code - 1})
      if ((other & ((1u << signShift) - 1)) <= format.maxCode)
        inputs.push_back(
            static_cast<float>((value + referenceValue(format, other)) / 2));
  }
  std::mt19937 rng(7);
  double largest = referenceValue(format, format.maxCode);
  std::uniform_real_distribution<float> wide(-1.2 * largest, 1.2 * largest);
  std::uniform_real_distribution<float> narrow(-1.0f, 1.0f);
  for (int i = 0; i < 20000; ++i) {
    inputs.push_back(wide(rng));
    inputs.push_back(narrow(rng) *
                     static_cast<float>(referenceValue(format, 1) * 4));
  }
  for (float x : inputs)
    EXPECT_EQ(static_cast<unsigned>(format.encode(x)), referenceCode(format, x))
        << "x = " << x;
}

TEST(E4M3, EncodesAndDecodesLikeTheDefinition) {
  checkFormat({4, 3, 7, 0x7E, encodeE4M3, decodeE4M3});
  EXPECT_EQ(decodeE4M3(0x7E), 448.0f);
  EXPECT_EQ(encodeE4M3(1e6f), 0x7E);
  EXPECT_EQ(encodeE4M3(NAN), 0x7F);
  EXPECT_TRUE(std::isnan(decodeE4M3(0xFF)));
}

TEST(E2M1, EncodesAndDecodesLikeTheDefinition) {
  checkFormat({2, 1, 1, 0x7, encodeE2M1, decodeE2M1});
  const float values[] = {0, 0.5, 1, 1.5, 2, 3, 4, 6};
  for (unsigned code = 0; code < 8; ++code) {
    EXPECT_EQ(decodeE2M1(code), values[code]);
    EXPECT_EQ(decodeE2M1(code | 8), -values[code]);
  }
  // Ties go to the even code: 5 lies between 4 (code 6) and 6 (code 7),
  // 2.5 between 2 (code 4) and 3 (code 5).
  EXPECT_EQ(encodeE2M1(5.0f), 6);
  EXPECT_EQ(encodeE2M1(2.5f), 4);
  EXPECT_EQ(encodeE2M1(NAN), 0);
}

TEST(E8M0, DecodesPowersOfTwo) {
  EXPECT_EQ(decodeE8M0(127), 1.0f);
  EXPECT_EQ(decodeE8M0(130), 8.0f);
  EXPECT_EQ(decodeE8M0(0), std::ldexp(1.0f, -127));
  EXPECT_EQ(decodeE8M0(254), std::ldexp(1.0f, 127));
  EXPECT_TRUE(std::isnan(decodeE8M0(255)));
  EXPECT_EQ(encodeE8M0Exponent(-3), 124);
  EXPECT_EQ(encodeE8M0Exponent(-200), 0);
  EXPECT_EQ(encodeE8M0Exponent(300), 254);
}

TEST(Bfloat16, RoundsToEightSignificantBitsTiesToEven) {
  // Against the definition: the nearest multiple of 2^(e - 7) for x in
  // [2^e, 2^(e+1)), ties to an even multiple, on random normal floats.
  std::mt19937 rng(7);
  std::uniform_int_distribution<uint32_t> bits(0, 0xFFFFFFFFu);
  for (int i = 0; i < 100000; ++i) {
    float x = floatOf(bits(rng));
    if (std::isnan(x) || std::isinf(x) || std::fabs(x) < 0x1p-126f)
      continue;
    int exponent;
    std::frexp(x, &exponent);
    double step = std::ldexp(1.0, exponent - 8);
    double multiple = std::nearbyint(double(x) / step); // ties to even
    double expected = multiple * step;
    if (std::fabs(expected) > 0x1.FEp127) // past the largest bf16
      expected = std::copysign(INFINITY, x);
    ASSERT_EQ(double(roundToBfloat16(x)), expected) << x;
  }
  EXPECT_EQ(roundToBfloat16(1.0f + 0x1p-8f), 1.0f);           // tie, even
  EXPECT_EQ(roundToBfloat16(1.0f + 3 * 0x1p-8f), 1.0f + 0x1p-6f); // tie, up
  EXPECT_EQ(roundToBfloat16(-(1.0f + 0x1p-8f + 0x1p-20f)), -(1.0f + 0x1p-7f));
  EXPECT_EQ(bitsOf(roundToBfloat16(-0x1p-130f)), 0x80000000u); // subnormal
  EXPECT_EQ(roundToBfloat16(0x1p-126f), 0x1p-126f);
  EXPECT_EQ(roundToBfloat16(3.4e38f), INFINITY);
  EXPECT_EQ(roundToBfloat16(-INFINITY), -INFINITY);
  EXPECT_EQ(bitsOf(roundToBfloat16(floatOf(0x7F800001u))), 0x7FC00000u);
}

} // namespace
