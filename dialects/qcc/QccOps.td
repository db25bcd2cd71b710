//===- QccOps.td - all qcc ops ---------------------------*- tablegen -*-===//

#ifndef QCC_OPS_TD
#define QCC_OPS_TD

include "dialects/qcc/QccElementwiseOps.td"
include "dialects/qcc/QccNNOps.td"
include "dialects/qcc/QccTensorOps.td"
include "dialects/qcc/QccQuantOps.td"

#endif // QCC_OPS_TD
