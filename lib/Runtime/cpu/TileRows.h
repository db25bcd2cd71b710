//===- TileRows.h - row-count dispatch of the tiled kernels -----*- C++ -*-===//
//
// The kernels keep a tile's accumulators in registers, so the tile's row
// count must be a compile-time constant: a ragged last tile is dispatched
// to the instantiation for its count.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_RUNTIME_CPU_TILEROWS_H
#define QCC_RUNTIME_CPU_TILEROWS_H

#include <cstdint>
#include <type_traits>

namespace qcc::rt {

/// Calls body(std::integral_constant<int, R>()) with R = min(rows, Max),
/// rows >= 1.
template <int Max, typename Body> void withTileRows(int64_t rows, Body body) {
  if constexpr (Max > 1) {
    if (rows < Max)
      return withTileRows<Max - 1>(rows, body);
  }
  body(std::integral_constant<int, Max>());
}

} // namespace qcc::rt

#endif // QCC_RUNTIME_CPU_TILEROWS_H
