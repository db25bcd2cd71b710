//===- QccDialect.cpp - the qcc dialect -----------------------------------===//

#include "dialects/qcc/QccDialect.h"
#include "dialects/qcc/QccOps.h"

using namespace mlir;
using namespace qcc;

#include "dialects/qcc/QccDialect.cpp.inc"

void QccDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/qcc/QccOps.cpp.inc"
      >();
}

Operation *QccDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                           Type type, Location loc) {
  auto typed = dyn_cast<TypedAttr>(value);
  if (!typed || typed.getType() != type)
    return nullptr;
  return arith::ConstantOp::create(builder, loc, type, typed);
}
