//===- Locations.h - ONNX node names in MLIR locations ----------*- C++ -*-===//

#ifndef QCC_SUPPORT_LOCATIONS_H
#define QCC_SUPPORT_LOCATIONS_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Location.h"
#include "llvm/ADT/SmallVector.h"
#include <string>

namespace qcc {

/// The ONNX node names a location carries: one for an imported op, several
/// (in order) for an op fused from several nodes, none for others.
inline llvm::SmallVector<llvm::StringRef> getNodeNames(mlir::Location loc) {
  if (auto name = llvm::dyn_cast<mlir::NameLoc>(loc))
    return {name.getName().getValue()};
  llvm::SmallVector<llvm::StringRef> names;
  if (auto fused = llvm::dyn_cast<mlir::FusedLoc>(loc))
    for (mlir::Location part : fused.getLocations())
      names.append(getNodeNames(part));
  return names;
}

/// The first of them (the MatMul of a linear fused from MatMul and Add), or
/// "" when there is none.
inline std::string getFirstNodeName(mlir::Location loc) {
  llvm::SmallVector<llvm::StringRef> names = getNodeNames(loc);
  return names.empty() ? "" : names.front().str();
}

} // namespace qcc

#endif // QCC_SUPPORT_LOCATIONS_H
