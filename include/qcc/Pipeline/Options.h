//===- Options.h - what a qcc compilation is asked to do --------*- C++ -*-===//

#ifndef QCC_PIPELINE_OPTIONS_H
#define QCC_PIPELINE_OPTIONS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include <optional>
#include <string>

namespace qcc {

enum class Target { X86, SM90 };

/// Quantization schemes (DESIGN.md, "Schemes").
enum class Scheme { W4A16, W8A8, W4A8, W4A4, FP8, FP4, MXFP4, NVFP4 };

/// Where `qcc --emit=` stops, in pipeline order.
enum class EmitStage { Mlir, MlirQuant, MlirLowered, Cpp, Lib };

/// Group size meaning one scale per output channel.
constexpr int64_t kPerChannelGroup = -1;

struct CompileOptions {
  std::string inputPath;
  std::string outputPath;
  Target target = Target::X86;
  Scheme scheme = Scheme::W4A16;
  EmitStage emit = EmitStage::Lib;
  /// Zero means the scheme's default group size.
  int64_t groupSize = 0;
  std::string calibrationData;
  std::string keepFloat;
  std::string reportPath;
  /// --passes: comma-separated switches of the optional passes ("none",
  /// "name" or "+name" to add, "-name" to remove).
  std::string passes;
  /// --lorc-rank: the rank of LoRC factors when lorc runs.
  int64_t lorcRank = 16;
  /// --external-weights: the weights go to <output>.weights beside the .so.
  bool externalWeights = false;
};

/// The optional quantization passes, as --passes names them.
llvm::ArrayRef<llvm::StringRef> optionalPassNames();

std::optional<Target> parseTarget(llvm::StringRef name);
std::optional<Scheme> parseScheme(llvm::StringRef name);
std::optional<EmitStage> parseEmitStage(llvm::StringRef name);
llvm::StringRef stringify(Target target);
llvm::StringRef stringify(Scheme scheme);
llvm::StringRef stringify(EmitStage stage);

/// Comma-separated accepted spellings, for diagnostics and --help.
std::string validTargets();
std::string validSchemes();
std::string validEmitStages();

/// The group size a scheme uses when --group-size is not given, or when it
/// fixes one (mxfp4: 32, nvfp4: 16); kPerChannelGroup for per-channel
/// schemes.
int64_t defaultGroupSize(Scheme scheme);

/// Checks the options against each other and the file system; returns a
/// message for the first problem.
std::optional<std::string> validate(const CompileOptions &options);

} // namespace qcc

#endif // QCC_PIPELINE_OPTIONS_H
