// RUN: qcc-opt %s -split-input-file --qcc-lower-cuda="scheme=w8a8" -verify-diagnostics | FileCheck %s

// Tests that qcc-lower-cuda emits qcc-lower-x86's calls in the CUDA
// runtime's namespace, with the qlinear weight in fragment order (3 × 4
// int8 codes padded to 32 columns × 128 codes: 4096 bytes), its scales
// transposed and padded to [groups, 32], and the GPU hooks in the model
// description.
// CHECK: module attributes {qcc.target = "sm90", qcc.weights = dense_resource<qcc_weights> : tensor<{{[0-9]+}}xi8>}
// CHECK: emitc.include "DeviceOps.h"
// CHECK-LABEL: emitc.func @qcc_forward
// CHECK-SAME: (%[[S:.*]]: !emitc.ptr<!emitc.opaque<"qcc::rt::Session">>)
// CHECK: %[[X:.*]] = call_opaque "qcc::gpu::input"(%[[S]])
// CHECK: %[[W:.*]] = call_opaque "qcc::gpu::weight"(%[[S]]) {args = [0 : index, #emitc.opaque<"0">, #emitc.opaque<"qcc::rt::DType::U8">, #emitc.opaque<"qcc::rt::Shape{4096}">]}
// CHECK: %[[SC:.*]] = call_opaque "qcc::gpu::weight"(%[[S]]) {args = [0 : index, #emitc.opaque<"4096">, #emitc.opaque<"qcc::rt::DType::F32">, #emitc.opaque<"qcc::rt::Shape{1, 32}">]}
// CHECK: call_opaque "qcc::gpu::qlinear"(%[[S]], %[[X]], %[[W]], %[[SC]])
// CHECK-SAME: #emitc.opaque<"qcc::rt::QLinearLayout{3, 4, 4, 1, qcc::rt::WeightCodes::Int8, false, 127.000000f, false, 4, 0, false}">
// CHECK: call_opaque "qcc::gpu::unary"
// CHECK: emitc.verbatim
// CHECK-SAME: \22sm90\22
// CHECK-SAME: &qcc::gpu::kAccelerator
func.func @main(%x: tensor<?x4xf32> {qcc.onnx_name = "x", qcc.dim_names = ["rows", ""]}) -> (tensor<?x3xf32> {qcc.onnx_name = "y"}) {
  %w = arith.constant dense<[[1, -2, 3, -4], [5, 6, -7, 8], [0, 1, 0, -1]]> : tensor<3x4xi8>
  %s = arith.constant dense<[[0.5], [0.25], [1.0]]> : tensor<3x1xf32>
  %y = qcc.qlinear %x, %w, %s {activation_format = "int8", group_size = 4 : i64, weight_format = "int8"} : (tensor<?x4xf32>, tensor<3x4xi8>, tensor<3x1xf32>) -> tensor<?x3xf32> loc("proj")
  %z = qcc.relu %y : tensor<?x3xf32> loc("act")
  return %z : tensor<?x3xf32>
}

// -----

// Tests that two-level integer scales are transposed as bytes and that
// channel scales are padded to the 32 columns the kernels read.
// CHECK-LABEL: emitc.func @qcc_forward
// CHECK: call_opaque "qcc::gpu::weight"({{.*}}#emitc.opaque<"qcc::rt::DType::U8">, #emitc.opaque<"qcc::rt::Shape{4096}">]}
// CHECK: call_opaque "qcc::gpu::weight"({{.*}}#emitc.opaque<"qcc::rt::DType::U8">, #emitc.opaque<"qcc::rt::Shape{2, 32}">]}
// CHECK: call_opaque "qcc::gpu::weight"({{.*}}#emitc.opaque<"qcc::rt::DType::F32">, #emitc.opaque<"qcc::rt::Shape{32}">]}
// Their products q · s (3 · 7) are bytes, which the layout says.
// CHECK: qcc::rt::WeightCodes::Int4, true, 127.000000f, false, 256, 0, true}
func.func @main(%x: tensor<?x256xf32>) -> tensor<?x3xf32> {
  %w = arith.constant dense<3> : tensor<3x256xi4>
  %s = arith.constant dense<7> : tensor<3x2xui8>
  %c = arith.constant dense<0.01> : tensor<3xf32>
  %y = qcc.qlinear %x, %w, %s channel_scales %c {activation_format = "int8", group_size = 128 : i64, weight_format = "int4"} : (tensor<?x256xf32>, tensor<3x256xi4>, tensor<3x2xui8>, tensor<3xf32>) -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}

// -----

// Tests that two-level products past a byte (-8 · 17) are marked as such:
// the many-row kernel then keeps the exact per-group sums.
// CHECK-LABEL: emitc.func @qcc_forward
// CHECK: qcc::rt::WeightCodes::Int4, true, 127.000000f, false, 256, 0, false}
func.func @main(%x: tensor<?x256xf32>) -> tensor<?x3xf32> {
  %w = arith.constant dense<-8> : tensor<3x256xi4>
  %s = arith.constant dense<17> : tensor<3x2xui8>
  %c = arith.constant dense<0.01> : tensor<3xf32>
  %y = qcc.qlinear %x, %w, %s channel_scales %c {activation_format = "int8", group_size = 128 : i64, weight_format = "int4"} : (tensor<?x256xf32>, tensor<3x256xi4>, tensor<3x2xui8>, tensor<3xf32>) -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}

// -----

// Tests that qlinears the CUDA kernels cannot run are refused at their node.
func.func @main(%x: tensor<?x96xf32>) -> tensor<?x3xf32> {
  %w = arith.constant dense<1> : tensor<3x96xi8>
  %s = arith.constant dense<1.0> : tensor<3x1xf32>
  // expected-error @+1 {{the CUDA kernels do not run qlinear with int8 weights with float activations yet}}
  %y = qcc.qlinear %x, %w, %s {activation_format = "float", group_size = 96 : i64, weight_format = "int8"} : (tensor<?x96xf32>, tensor<3x96xi8>, tensor<3x1xf32>) -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}

// -----

func.func @main(%x: tensor<?x96xf32>) -> tensor<?x3xf32> {
  %w = arith.constant dense<1> : tensor<3x96xi4>
  %s = arith.constant dense<1.0> : tensor<3x2xf32>
  // expected-error @+1 {{the CUDA kernels do not run qlinear with groups of 48 (16, 32, 64 or a multiple of 128) yet}}
  %y = qcc.qlinear %x, %w, %s {activation_format = "float", group_size = 48 : i64, weight_format = "int4"} : (tensor<?x96xf32>, tensor<3x96xi4>, tensor<3x2xf32>) -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}

// -----

// Tests that a module without @main is refused.
// expected-error @+1 {{qcc-lower-cuda needs a func.func @main}}
module {
}
