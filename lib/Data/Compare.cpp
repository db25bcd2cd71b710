//===- Compare.cpp - outputs against reference outputs --------------------===//

#include "qcc/Data/TensorFiles.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"
#include <cmath>

using namespace qcc;

bool qcc::compareOutputs(llvm::ArrayRef<NamedTensor> outputs,
                         llvm::ArrayRef<NamedTensor> references,
                         double tolerance, llvm::raw_ostream &os) {
  bool ok = true;
  for (const NamedTensor &reference : references) {
    auto it = llvm::find_if(outputs, [&](const NamedTensor &output) {
      return output.name == reference.name;
    });
    if (it == outputs.end() || it->tensor.shape() != reference.tensor.shape() ||
        it->tensor.kind() != reference.tensor.kind()) {
      os << reference.name << ": missing, or of another shape or type\n";
      ok = false;
      continue;
    }
    double maxAbs = 0, diffSquares = 0, refSquares = 0;
    for (int64_t i = 0; i < reference.tensor.numElements(); ++i) {
      double expected = reference.tensor.elementAsDouble(i);
      double diff = it->tensor.elementAsDouble(i) - expected;
      maxAbs = std::max(maxAbs, std::fabs(diff));
      diffSquares += diff * diff;
      refSquares += expected * expected;
    }
    double relative = refSquares > 0 ? std::sqrt(diffSquares / refSquares)
                                     : std::sqrt(diffSquares);
    bool within = relative <= tolerance && !std::isnan(relative);
    os << reference.name << ": max abs error " << llvm::format("%.3e", maxAbs)
       << ", relative L2 error " << llvm::format("%.3e", relative)
       << (within ? "" : " (beyond tolerance)") << "\n";
    ok &= within;
  }
  return ok;
}
