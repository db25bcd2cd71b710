//===- ModelDescription.cpp - what a generated model declares -------------===//

#include "ModelDescription.h"
#include "dialects/qcc/QccOps.h"
#include "qcc/Support/Locations.h"
#include "llvm/Support/JSON.h"
#include <fmt/format.h>

using namespace mlir;
using namespace qcc;

std::string x86::cppString(StringRef text) {
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\')
      quoted += '\\';
    if (c == '\n') {
      quoted += "\\n";
      continue;
    }
    quoted += c;
  }
  return quoted + "\"";
}

namespace {

const char *abiDtype(Type type) {
  Type element = cast<ShapedType>(type).getElementType();
  if (element.isInteger(1))
    return "QCC_BOOL";
  return isa<IntegerType>(element) ? "QCC_I64" : "QCC_F32";
}

/// The tables of one input or output: dims, dim names and the info entry.
std::string describeTensor(std::string &tables, StringRef prefix, int64_t i,
                           StringRef name, Type type, ArrayAttr dimNames) {
  auto shaped = cast<RankedTensorType>(type);
  std::string dims = "nullptr", names = "nullptr";
  if (shaped.getRank()) {
    std::vector<std::string> dimTexts, nameTexts;
    for (auto [d, size] : llvm::enumerate(shaped.getShape())) {
      bool symbolic = ShapedType::isDynamic(size);
      dimTexts.push_back(std::to_string(symbolic ? -1 : size));
      StringRef dimName;
      if (dimNames && d < dimNames.size())
        if (auto text = dyn_cast<StringAttr>(dimNames[d]))
          dimName = text.getValue();
      // An unnamed symbolic dimension gets a name of its own.
      std::string fallback = fmt::format("{}{}_dim{}", prefix.str(), i, d);
      nameTexts.push_back(!symbolic         ? "nullptr"
                          : dimName.empty() ? x86::cppString(fallback)
                                            : x86::cppString(dimName));
    }
    dims = fmt::format("{}{}_dims", prefix.str(), i);
    names = fmt::format("{}{}_names", prefix.str(), i);
    tables += fmt::format("const int64_t {}[] = {{{}}};\n", dims,
                          fmt::join(dimTexts, ", "));
    tables += fmt::format("const char *const {}[] = {{{}}};\n", names,
                          fmt::join(nameTexts, ", "));
  }
  return fmt::format("{{{}, {}, {}, {}, {}}}", x86::cppString(name),
                     abiDtype(type), shaped.getRank(), dims, names);
}

/// qcc_model_metadata's "layers": the format of every linear.
std::string describeLayers(func::FuncOp func) {
  llvm::json::Array layers;
  func.walk([&](Operation *op) {
    if (auto qlinear = dyn_cast<QLinearOp>(op))
      layers.push_back(llvm::json::Object{
          {"node", getFirstNodeName(op->getLoc())},
          {"weight_format", qlinear.getWeightFormat()},
          {"activation_format", qlinear.getActivationFormat()},
          {"group_size", qlinear.getGroupSize()}});
    else if (isa<LinearOp>(op))
      layers.push_back(
          llvm::json::Object{{"node", getFirstNodeName(op->getLoc())},
                             {"weight_format", "float"},
                             {"activation_format", "float"}});
  });
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::json::Value(std::move(layers));
  return text;
}

} // namespace

std::string x86::describeModel(func::FuncOp func, StringRef scheme,
                               const ModelTarget &target, StringRef forward,
                               size_t weightBytes, uint64_t weightsHash) {
  std::string tables, inputs, outputs;
  for (int64_t i = 0; i < func.getNumArguments(); ++i) {
    auto name = func.getArgAttrOfType<StringAttr>(i, "qcc.onnx_name");
    auto dimNames = func.getArgAttrOfType<ArrayAttr>(i, "qcc.dim_names");
    inputs += describeTensor(tables, "input", i, name ? name.getValue() : "",
                             func.getArgument(i).getType(), dimNames) +
              ",\n    ";
  }
  for (int64_t i = 0; i < func.getNumResults(); ++i) {
    auto name = func.getResultAttrOfType<StringAttr>(i, "qcc.onnx_name");
    outputs += describeTensor(tables, "output", i, name ? name.getValue() : "",
                              func.getResultTypes()[i], nullptr) +
               ",\n    ";
  }
  // Zero-length arrays are not C++: a model without inputs gets nullptr.
  auto table = [](StringRef name, const std::string &entries) {
    return entries.empty()
               ? fmt::format("const qcc_tensor_info *const {} = nullptr;\n",
                             name.str())
               : fmt::format("const qcc_tensor_info {}[] = {{\n    {}}};\n",
                             name.str(), entries);
  };
  return fmt::format(
      R"(namespace {{
{}{}{}}} // namespace

{}
const qcc::rt::ModelDescription &qccGeneratedModel() {{
  static const qcc::rt::ModelDescription model = {{
      inputs, {}, outputs, {},
      {}, {}, {},
      {},
      {}, {}, {}ull, /*needsAvx2=*/{}, {}, {}}};
  return model;
}}
)",
      tables, table("inputs", inputs), table("outputs", outputs),
      target.externalWeights ? ""
                             : "extern \"C\" const uint8_t qcc_weights[];\n",
      func.getNumArguments(), func.getNumResults(), cppString(scheme),
      cppString(target.name), cppString(QCC_VERSION),
      cppString(describeLayers(func)),
      target.externalWeights ? "/*weights=*/nullptr" : "qcc_weights",
      weightBytes, weightsHash, target.needsAvx2 ? "true" : "false",
      forward.str(), target.accelerator.str());
}
