//===- Checker.cpp - the ONNX library's model checker ---------------------===//
//
// The ONNX checker reports problems by throwing; this file is built with
// exceptions so that the rest of qcc need not be.
//
//===----------------------------------------------------------------------===//

#include "ONNXInternals.h"
#include "llvm/ADT/StringExtras.h"
#include <onnx/checker.h>
#include <onnx/defs/schema.h>

std::optional<std::string>
qcc::onnx_import::checkModel(const onnx::ModelProto &model, int64_t opset) {
  try {
    // The library's checker rejects IR versions and opsets newer than its
    // own; such models are valid, so they skip it rather than fail.
    int64_t knownOpset =
        onnx::OpSchemaRegistry::DomainToVersionRange::Instance()
            .Map()
            .at(onnx::ONNX_DOMAIN)
            .second;
    if (model.ir_version() > onnx::Version::IR_VERSION || opset > knownOpset)
      return std::nullopt;
    onnx::checker::check_model(model);
  } catch (const std::exception &error) {
    // The checker's messages span lines; a diagnostic is one line.
    llvm::SmallVector<llvm::StringRef> words;
    llvm::SplitString(error.what(), words);
    return llvm::join(words, " ");
  }
  return std::nullopt;
}
