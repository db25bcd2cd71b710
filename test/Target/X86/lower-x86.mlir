// RUN: qcc-opt %s -split-input-file --qcc-lower-x86="scheme=w8a8" -verify-diagnostics | FileCheck %s

// Tests that a qlinear becomes views of its packed weights (int8 codes in
// rows padded to 32) and one runtime call with its layout, that the input
// comes from the session and the result goes back to it, and that every
// tensor is released after its last use.
// CHECK: module attributes {qcc.target = "x86", qcc.weights = dense_resource<qcc_weights> : tensor<{{[0-9]+}}xi8>}
// CHECK: emitc.include "Ops.h"
// CHECK-LABEL: emitc.func @qcc_forward
// CHECK-SAME: (%[[S:.*]]: !emitc.ptr<!emitc.opaque<"qcc::rt::Session">>)
// CHECK: %[[X:.*]] = call_opaque "qcc::rt::input"(%[[S]]) {args = [0 : index, #emitc.opaque<"0">]}
// CHECK: %[[W:.*]] = call_opaque "qcc::rt::weight"(%[[S]]) {args = [0 : index, #emitc.opaque<"0">, #emitc.opaque<"qcc::rt::DType::U8">, #emitc.opaque<"qcc::rt::Shape{3, 32}">]}
// CHECK: %[[SC:.*]] = call_opaque "qcc::rt::weight"(%[[S]]) {args = [0 : index, #emitc.opaque<"128">, #emitc.opaque<"qcc::rt::DType::F32">, #emitc.opaque<"qcc::rt::Shape{3, 1}">]}
// CHECK: %[[Y:.*]] = call_opaque "qcc::rt::qlinear"(%[[S]], %[[X]], %[[W]], %[[SC]])
// CHECK-SAME: #emitc.opaque<"\22proj\22">
// CHECK-SAME: #emitc.opaque<"qcc::rt::QLinearLayout{3, 4, 4, 1, qcc::rt::WeightCodes::Int8, false, 127.000000f, false, 4, 0, false}">
// CHECK: call_opaque "qcc::rt::release"(%[[W]])
// CHECK: call_opaque "qcc::rt::release"(%[[SC]])
// CHECK: call_opaque "qcc::rt::release"(%[[X]])
// CHECK: %[[Z:.*]] = call_opaque "qcc::rt::unary"(%[[S]], %[[Y]]) {args = [0 : index, #emitc.opaque<"\22act\22">, #emitc.opaque<"qcc::rt::Unary::Relu">, 1 : index]}
// CHECK: call_opaque "qcc::rt::release"(%[[Y]])
// CHECK: call_opaque "qcc::rt::output"(%[[S]], %[[Z]]) {args = [0 : index, #emitc.opaque<"0">, 1 : index]}
// CHECK: emitc.verbatim
// CHECK-SAME: {\22x\22, QCC_F32, 2, input0_dims, input0_names}
// CHECK-NOT: func.func
func.func @main(%x: tensor<?x4xf32> {qcc.onnx_name = "x", qcc.dim_names = ["rows", ""]}) -> (tensor<?x3xf32> {qcc.onnx_name = "y"}) {
  %w = arith.constant dense<[[1, -2, 3, -4], [5, 6, -7, 8], [0, 1, 0, -1]]> : tensor<3x4xi8>
  %s = arith.constant dense<[[0.5], [0.25], [1.0]]> : tensor<3x1xf32>
  %y = qcc.qlinear %x, %w, %s {activation_format = "int8", group_size = 4 : i64, weight_format = "int8"} : (tensor<?x4xf32>, tensor<3x4xi8>, tensor<3x1xf32>) -> tensor<?x3xf32> loc("proj")
  %z = qcc.relu %y : tensor<?x3xf32> loc("act")
  return %z : tensor<?x3xf32>
}

// -----

// Tests that fp4 codes are packed two a byte, even columns in the low
// nibble: 1.0 is 0x2, -0.5 is 0x9, 6.0 is 0x7, 0 is 0x0.
// CHECK-LABEL: emitc.func @qcc_forward
// CHECK: call_opaque "qcc::rt::weight"({{.*}}) {args = [0 : index, #emitc.opaque<"0">, #emitc.opaque<"qcc::rt::DType::U8">, #emitc.opaque<"qcc::rt::Shape{2, 2}">]}
// CHECK: qcc::rt::WeightCodes::E2M1, false, 448.000000f, true
// CHECK: qcc_weights: "0x4000000092070020
func.func @main(%x: tensor<?x4xf32>) -> tensor<?x2xf32> {
  %w = arith.constant dense<[[1.0, -0.5, 6.0, 0.0], [0.0, 0.0, 0.0, 1.0]]> : tensor<2x4xf4E2M1FN>
  %s = arith.constant dense<1.0> : tensor<2x1xf32>
  %y = qcc.qlinear %x, %w, %s {activation_format = "fp8_e4m3", group_size = 4 : i64, weight_format = "fp4_e2m1"} : (tensor<?x4xf32>, tensor<2x4xf4E2M1FN>, tensor<2x1xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// Tests that a qlinear the x86 kernels cannot run is refused at its node.
func.func @main(%x: tensor<?x4xf32>) -> tensor<?x3xf32> {
  %w = arith.constant dense<1> : tensor<3x4xui8>
  %s = arith.constant dense<1.0> : tensor<3x1xf32>
  %z = arith.constant dense<128> : tensor<3x1xui8>
  // expected-error @+1 {{the x86 kernels do not run qlinear with zero points (asymmetric weights) yet}}
  %y = qcc.qlinear %x, %w, %s zero_points %z {activation_format = "float", group_size = 4 : i64, weight_format = "int8"} : (tensor<?x4xf32>, tensor<3x4xui8>, tensor<3x1xf32>, tensor<3x1xui8>) -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}

// -----

// Tests that LoRC factors become f32 views passed with the qlinear.
// CHECK-LABEL: emitc.func @qcc_forward
// CHECK: %[[U:.*]] = call_opaque "qcc::rt::weight"({{.*}}#emitc.opaque<"qcc::rt::DType::F32">, #emitc.opaque<"qcc::rt::Shape{3, 2}">]}
// CHECK: %[[V:.*]] = call_opaque "qcc::rt::weight"({{.*}}#emitc.opaque<"qcc::rt::DType::F32">, #emitc.opaque<"qcc::rt::Shape{2, 4}">]}
// CHECK: call_opaque "qcc::rt::qlinear"({{.*}}, %[[U]], %[[V]])
func.func @main(%x: tensor<?x4xf32>) -> tensor<?x3xf32> {
  %w = arith.constant dense<1> : tensor<3x4xi8>
  %s = arith.constant dense<1.0> : tensor<3x1xf32>
  %u = arith.constant dense<1.0> : tensor<3x2xf16>
  %v = arith.constant dense<1.0> : tensor<2x4xf16>
  %y = qcc.qlinear %x, %w, %s lorc %u, %v {activation_format = "int8", group_size = 4 : i64, weight_format = "int8"} : (tensor<?x4xf32>, tensor<3x4xi8>, tensor<3x1xf32>, tensor<3x2xf16>, tensor<2x4xf16>) -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}

// -----

// Tests that a module without @main is refused.
// expected-error @+1 {{qcc-lower-x86 needs a func.func @main}}
module {
  func.func @other() {
    return
  }
}
