//===- Diagnostics.cpp - qcc's diagnostic format --------------------------===//

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "qcc/Pipeline/Pipeline.h"
#include "qcc/Support/Locations.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;

/// The file of a location (through name and fused locations), with line and
/// column only when they are known.
static std::string formatLocation(Location loc) {
  if (auto file = dyn_cast<FileLineColLoc>(loc)) {
    std::string text = file.getFilename().str();
    if (file.getLine() > 0)
      text += ":" + std::to_string(file.getLine()) + ":" +
              std::to_string(file.getColumn());
    return text;
  }
  if (auto name = dyn_cast<NameLoc>(loc))
    return formatLocation(name.getChildLoc());
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location part : fused.getLocations())
      if (std::string text = formatLocation(part); !text.empty())
        return text;
  return "";
}

static StringRef severityName(DiagnosticSeverity severity) {
  switch (severity) {
  case DiagnosticSeverity::Error:
    return "error";
  case DiagnosticSeverity::Warning:
    return "warning";
  case DiagnosticSeverity::Note:
    return "note";
  case DiagnosticSeverity::Remark:
    return "remark";
  }
  return "error";
}

void qcc::installDiagnosticPrinter(MLIRContext &context, raw_ostream &os) {
  // The node name locates an error for users; the generic op form would not.
  context.printOpOnDiagnostic(false);
  context.getDiagEngine().registerHandler([&os](Diagnostic &diag) {
    auto print = [&os](Diagnostic &d) {
      std::string where = formatLocation(d.getLocation());
      std::string nodes = llvm::join(getNodeNames(d.getLocation()), " + ");
      os << (where.empty() ? "qcc" : where) << ": "
         << severityName(d.getSeverity()) << ": ";
      if (!nodes.empty())
        os << "node \"" << nodes << "\": ";
      os << d << "\n";
    };
    print(diag);
    for (Diagnostic &note : diag.getNotes())
      print(note);
    os.flush();
    return success();
  });
}
