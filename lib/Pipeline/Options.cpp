//===- Options.cpp - parsing and validating qcc's options -----------------===//

#include "qcc/Pipeline/Options.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Regex.h"
#include <fmt/format.h>

using namespace qcc;
using llvm::SmallVector;
using llvm::StringRef;

namespace {
template <typename E> struct Spelling {
  StringRef name;
  E value;
};

const Spelling<Target> kTargets[] = {
    {"x86", Target::X86}, {"host", Target::X86}, {"sm90", Target::SM90}};
const Spelling<Scheme> kSchemes[] = {
    {"w4a16", Scheme::W4A16}, {"w8a8", Scheme::W8A8},  {"w4a8", Scheme::W4A8},
    {"w4a4", Scheme::W4A4},   {"fp8", Scheme::FP8},    {"fp4", Scheme::FP4},
    {"mxfp4", Scheme::MXFP4}, {"nvfp4", Scheme::NVFP4}};
const Spelling<EmitStage> kStages[] = {{"mlir", EmitStage::Mlir},
                                       {"mlir-quant", EmitStage::MlirQuant},
                                       {"mlir-lowered", EmitStage::MlirLowered},
                                       {"cpp", EmitStage::Cpp},
                                       {"lib", EmitStage::Lib}};

template <typename E, size_t N>
std::optional<E> parse(const Spelling<E> (&table)[N], StringRef name) {
  for (const Spelling<E> &entry : table)
    if (entry.name == name)
      return entry.value;
  return std::nullopt;
}

template <typename E, size_t N>
StringRef spell(const Spelling<E> (&table)[N], E value) {
  for (const Spelling<E> &entry : table)
    if (entry.value == value)
      return entry.name;
  return "";
}

template <typename E, size_t N>
std::string list(const Spelling<E> (&table)[N]) {
  return llvm::join(
      llvm::map_range(table,
                      [](const Spelling<E> &entry) { return entry.name; }),
      ", ");
}
} // namespace

std::optional<Target> qcc::parseTarget(StringRef name) {
  return parse(kTargets, name);
}
std::optional<Scheme> qcc::parseScheme(StringRef name) {
  return parse(kSchemes, name);
}
std::optional<EmitStage> qcc::parseEmitStage(StringRef name) {
  return parse(kStages, name);
}
StringRef qcc::stringify(Target target) { return spell(kTargets, target); }
StringRef qcc::stringify(Scheme scheme) { return spell(kSchemes, scheme); }
StringRef qcc::stringify(EmitStage stage) { return spell(kStages, stage); }
std::string qcc::validTargets() { return list(kTargets); }
std::string qcc::validSchemes() { return list(kSchemes); }
std::string qcc::validEmitStages() { return list(kStages); }

int64_t qcc::defaultGroupSize(Scheme scheme) {
  switch (scheme) {
  case Scheme::W4A16:
  case Scheme::W4A8:
  case Scheme::W4A4:
    return 128;
  case Scheme::FP4:
  case Scheme::MXFP4:
    return 32;
  case Scheme::NVFP4:
    return 16;
  case Scheme::W8A8:
  case Scheme::FP8:
    return kPerChannelGroup;
  }
  return kPerChannelGroup;
}

llvm::ArrayRef<StringRef> qcc::optionalPassNames() {
  static const StringRef kNames[] = {
      "outliers", "smooth", "runtime-smooth", "rotate", "scale-search",
      "gptq",     "lorc"};
  return kNames;
}

/// The first --passes entry that names no pass, if any.
static std::optional<std::string> checkPasses(StringRef passes) {
  SmallVector<StringRef> entries;
  passes.split(entries, ',', -1, /*KeepEmpty=*/false);
  for (StringRef entry : entries) {
    StringRef name = entry.trim();
    if (name == "none")
      continue;
    name.consume_front("+") || name.consume_front("-");
    if (!llvm::is_contained(optionalPassNames(), name))
      return fmt::format("--passes: unknown pass '{}'; passes: none, {} "
                         "(prefix - to switch one off)",
                         entry.str(), llvm::join(optionalPassNames(), ", "));
  }
  return std::nullopt;
}

std::optional<std::string> qcc::validate(const CompileOptions &options) {
  if (!llvm::sys::fs::exists(options.inputPath))
    return fmt::format("input model '{}' does not exist", options.inputPath);
  if (llvm::sys::fs::is_directory(options.inputPath))
    return fmt::format("input model '{}' is a directory", options.inputPath);

  int64_t fixed = defaultGroupSize(options.scheme);
  bool fixedBySchemeFormat =
      options.scheme == Scheme::MXFP4 || options.scheme == Scheme::NVFP4;
  if (options.groupSize != 0) {
    static const int64_t kValid[] = {kPerChannelGroup, 32, 64, 128, 256};
    if (!llvm::is_contained(kValid, options.groupSize))
      return fmt::format("--group-size={} is not supported; use 32, 64, 128, "
                         "256 or -1 (per channel)",
                         options.groupSize);
    if (fixedBySchemeFormat && options.groupSize != fixed)
      return fmt::format("--scheme={} fixes the group size at {}; "
                         "--group-size={} contradicts it",
                         stringify(options.scheme).str(), fixed,
                         options.groupSize);
    if (fixed == kPerChannelGroup && options.groupSize != kPerChannelGroup)
      return fmt::format("--scheme={} quantizes weights per channel; "
                         "--group-size={} does not apply",
                         stringify(options.scheme).str(), options.groupSize);
  }
  if (!options.calibrationData.empty() &&
      !llvm::sys::fs::exists(options.calibrationData))
    return fmt::format("calibration data '{}' does not exist",
                       options.calibrationData);
  std::string regexError;
  if (!options.keepFloat.empty() &&
      !llvm::Regex(options.keepFloat).isValid(regexError))
    return fmt::format(
        "--keep-float='{}' is not a valid regular expression: {}",
        options.keepFloat, regexError);
  if (std::optional<std::string> problem = checkPasses(options.passes))
    return problem;
  if (options.lorcRank < 1)
    return fmt::format("--lorc-rank={} must be at least 1", options.lorcRank);
  return std::nullopt;
}
