//===- Bind.cpp - named tensors -> a function's arguments -----------------===//

#include "qcc/Data/TensorFiles.h"
#include "qcc/Interpreter/Interpreter.h"
#include "llvm/ADT/StringExtras.h"

using namespace qcc;

static std::string argumentName(mlir::func::FuncOp func, unsigned i) {
  if (auto name = func.getArgAttrOfType<mlir::StringAttr>(i, "qcc.onnx_name"))
    return name.str();
  return "arg" + std::to_string(i);
}

std::vector<std::string> qcc::outputNames(mlir::func::FuncOp func) {
  std::vector<std::string> names;
  for (unsigned i = 0; i < func.getNumResults(); ++i) {
    auto name = func.getResultAttrOfType<mlir::StringAttr>(i, "qcc.onnx_name");
    names.push_back(name ? name.str() : "result" + std::to_string(i));
  }
  return names;
}

std::vector<std::string> qcc::inputNames(mlir::func::FuncOp func) {
  std::vector<std::string> names;
  for (unsigned i = 0; i < func.getNumArguments(); ++i)
    names.push_back(argumentName(func, i));
  return names;
}

llvm::Expected<std::vector<HostTensor>>
qcc::bindInputs(mlir::func::FuncOp func, llvm::ArrayRef<NamedTensor> tensors) {
  std::vector<std::string> names = inputNames(func);
  auto fail = [](const llvm::Twine &message) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
  };
  for (const NamedTensor &tensor : tensors)
    if (!llvm::is_contained(names, tensor.name))
      return fail("the model has no input named '" + tensor.name +
                  "'; its inputs are " + llvm::join(names, ", "));
  std::vector<HostTensor> inputs;
  for (const std::string &name : names) {
    auto it = llvm::find_if(tensors, [&](const NamedTensor &tensor) {
      return tensor.name == name;
    });
    if (it == tensors.end())
      return fail("input '" + name + "' is missing");
    inputs.push_back(it->tensor);
  }
  if (std::optional<std::string> problem = checkInputs(func, inputs, names))
    return fail(*problem);
  return inputs;
}
