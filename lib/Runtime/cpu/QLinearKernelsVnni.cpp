//===- QLinearKernelsVnni.cpp - the integer qlinear product with VNNI
//------===//
//
// IntegerDotAvx2.h compiled with AVX-512 VNNI on 256-bit registers
// (vpdpbusd); chosen at run time where the CPU has it.
//
//===----------------------------------------------------------------------===//

#include "lib/Runtime/cpu/IntegerDotAvx2.h"

namespace qcc::rt {

void integerLinearVnni(const IntegerProduct &product,
                       const IntegerWeight &weight, float *y, int64_t ldy,
                       int64_t begin, int64_t end) {
  if (weight.packedInt4)
    return integerLinearTiled<true, true>(product, weight, y, ldy, begin, end);
  integerLinearTiled<false, true>(product, weight, y, ldy, begin, end);
}

} // namespace qcc::rt
