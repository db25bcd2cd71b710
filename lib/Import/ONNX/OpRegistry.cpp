//===- OpRegistry.cpp - (op type, since-version) -> handler ---------------===//

#include "ONNXInternals.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace qcc::onnx_import;

const OpRegistry &OpRegistry::get() {
  static const OpRegistry registry = [] {
    OpRegistry r;
    registerMathOps(r);
    registerNNOps(r);
    registerTensorOps(r);
    return r;
  }();
  return registry;
}

void OpRegistry::add(StringRef opType, std::initializer_list<int64_t> versions,
                     NodeHandler handler) {
  auto &entries = handlers[opType];
  for (int64_t version : versions)
    entries.emplace_back(version, handler);
  llvm::sort(entries, llvm::less_first());
}

std::pair<NodeHandler, int64_t> OpRegistry::lookup(StringRef opType,
                                                   int64_t opset) const {
  auto it = handlers.find(opType);
  if (it == handlers.end())
    return {nullptr, 0};
  std::pair<NodeHandler, int64_t> found = {nullptr, 0};
  for (auto [version, handler] : it->second)
    if (version <= opset)
      found = {handler, version};
  return found;
}

int64_t OpRegistry::firstVersion(StringRef opType) const {
  auto it = handlers.find(opType);
  return it == handlers.end() ? 0 : it->second.front().first;
}

std::string OpRegistry::supportedOps() const {
  SmallVector<StringRef> names;
  for (const auto &entry : handlers)
    names.push_back(entry.getKey());
  llvm::sort(names);
  return llvm::join(names, ", ");
}
