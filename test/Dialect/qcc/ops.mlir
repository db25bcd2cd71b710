// RUN: qcc-opt %s | FileCheck %s
// RUN: qcc-opt %s | qcc-opt | FileCheck %s

// Tests that every elementwise op prints and parses back unchanged.
// CHECK-LABEL: func.func @elementwise
func.func @elementwise(%a: tensor<?x8xf32>, %b: tensor<8xf32>, %i: tensor<4xi64>, %c: tensor<?x8xi1>) {
  // CHECK: qcc.add %{{.*}}, %{{.*}} : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %0 = qcc.add %a, %b : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  // CHECK: qcc.sub
  %1 = qcc.sub %a, %b : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  // CHECK: qcc.mul
  %2 = qcc.mul %a, %b : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  // CHECK: qcc.div
  %3 = qcc.div %a, %b : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  // CHECK: qcc.pow
  %4 = qcc.pow %a, %b : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  // CHECK: qcc.max
  %5 = qcc.max %a, %b : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  // CHECK: qcc.min
  %6 = qcc.min %a, %b : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  // CHECK: qcc.equal %{{.*}}, %{{.*}} : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi1>
  %7 = qcc.equal %i, %i : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi1>
  // CHECK: qcc.less
  %8 = qcc.less %a, %b : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xi1>
  // CHECK: qcc.greater
  %9 = qcc.greater %a, %b : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xi1>
  // CHECK: qcc.neg %{{.*}} : tensor<?x8xf32>
  %10 = qcc.neg %a : tensor<?x8xf32>
  // CHECK: qcc.abs
  %11 = qcc.abs %a : tensor<?x8xf32>
  // CHECK: qcc.sqrt
  %12 = qcc.sqrt %a : tensor<?x8xf32>
  // CHECK: qcc.reciprocal
  %13 = qcc.reciprocal %a : tensor<?x8xf32>
  // CHECK: qcc.exp
  %14 = qcc.exp %a : tensor<?x8xf32>
  // CHECK: qcc.log
  %15 = qcc.log %a : tensor<?x8xf32>
  // CHECK: qcc.erf
  %16 = qcc.erf %a : tensor<?x8xf32>
  // CHECK: qcc.tanh
  %17 = qcc.tanh %a : tensor<?x8xf32>
  // CHECK: qcc.sigmoid
  %18 = qcc.sigmoid %a : tensor<?x8xf32>
  // CHECK: qcc.cos
  %19 = qcc.cos %a : tensor<?x8xf32>
  // CHECK: qcc.sin
  %20 = qcc.sin %a : tensor<?x8xf32>
  // CHECK: qcc.relu
  %21 = qcc.relu %a : tensor<?x8xf32>
  // CHECK: qcc.not %{{.*}} : tensor<?x8xi1>
  %22 = qcc.not %c : tensor<?x8xi1>
  // CHECK: qcc.clip %{{.*}} {max = 6.000000e+00 : f64, min = 0.000000e+00 : f64} : tensor<?x8xf32>
  %23 = qcc.clip %a {min = 0.0 : f64, max = 6.0 : f64} : tensor<?x8xf32>
  // CHECK: qcc.where %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x8xi1>, tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %24 = qcc.where %c, %a, %b : (tensor<?x8xi1>, tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  // CHECK: qcc.cast %{{.*}} : tensor<4xi64> to tensor<4xf32>
  %25 = qcc.cast %i : tensor<4xi64> to tensor<4xf32>
  return
}

// -----

// Tests that the transformer building blocks print and parse back unchanged.
// CHECK-LABEL: func.func @nn
func.func @nn(%x: tensor<?x?x64xf32>, %w: tensor<192x64xf32>, %b: tensor<192xf32>,
              %g: tensor<64xf32>, %q: tensor<?x4x?x16xf32>, %k: tensor<?x2x?x16xf32>,
              %cs: tensor<?x1x?x16xf32>, %mask: tensor<?x1x?x?xf32>, %causal: tensor<?x?xi1>) {
  // CHECK: qcc.linear %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x?x64xf32>, tensor<192x64xf32>, tensor<192xf32>) -> tensor<?x?x192xf32>
  %0 = qcc.linear %x, %w, %b : (tensor<?x?x64xf32>, tensor<192x64xf32>, tensor<192xf32>) -> tensor<?x?x192xf32>
  // CHECK: qcc.linear %{{.*}}, %{{.*}} : (tensor<?x?x64xf32>, tensor<192x64xf32>) -> tensor<?x?x192xf32>
  %1 = qcc.linear %x, %w : (tensor<?x?x64xf32>, tensor<192x64xf32>) -> tensor<?x?x192xf32>
  // CHECK: qcc.matmul
  %2 = qcc.matmul %q, %cs : (tensor<?x4x?x16xf32>, tensor<?x1x?x16xf32>) -> tensor<?x4x?x16xf32>
  // CHECK: qcc.layer_norm %{{.*}}, %{{.*}}, %{{.*}} {epsilon = 9.99999974E-6 : f32}
  %3 = qcc.layer_norm %x, %g, %g {epsilon = 1.0e-05 : f32} : (tensor<?x?x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  // CHECK: qcc.rms_norm %{{.*}}, %{{.*}} {epsilon = 9.99999974E-6 : f32}
  %4 = qcc.rms_norm %x, %g {epsilon = 1.0e-05 : f32} : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  // CHECK: qcc.softmax %{{.*}} : tensor<?x?x64xf32>
  %5 = qcc.softmax %x : tensor<?x?x64xf32>
  // CHECK: qcc.gelu %{{.*}} {approximate = "tanh"}
  %6 = qcc.gelu %x {approximate = "tanh"} : tensor<?x?x64xf32>
  // CHECK: qcc.silu
  %7 = qcc.silu %x : tensor<?x?x64xf32>
  // CHECK: qcc.rotary %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x4x?x16xf32>, tensor<?x1x?x16xf32>, tensor<?x1x?x16xf32>) -> tensor<?x4x?x16xf32>
  %8 = qcc.rotary %q, %cs, %cs : (tensor<?x4x?x16xf32>, tensor<?x1x?x16xf32>, tensor<?x1x?x16xf32>) -> tensor<?x4x?x16xf32>
  // CHECK: qcc.attention %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {scale = 2.500000e-01 : f32} : (tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x1x?x?xf32>) -> tensor<?x4x?x16xf32>
  %9 = qcc.attention %q, %k, %k, %mask {scale = 0.25 : f32} : (tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x1x?x?xf32>) -> tensor<?x4x?x16xf32>
  // CHECK: qcc.attention {{.*}} {masked_value = -1.000000e+04 : f32, scale = 2.500000e-01 : f32}
  %10 = qcc.attention %q, %k, %k, %causal {scale = 0.25 : f32, masked_value = -1.0e4 : f32} : (tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x?xi1>) -> tensor<?x4x?x16xf32>
  // CHECK: qcc.reduce_mean %{{.*}} {axes = array<i64: -1>} : (tensor<?x?x64xf32>) -> tensor<?x?x1xf32>
  %11 = qcc.reduce_mean %x {axes = array<i64: -1>} : (tensor<?x?x64xf32>) -> tensor<?x?x1xf32>
  // CHECK: qcc.reduce_sum %{{.*}} {axes = array<i64: 1>, keepdims = false} : (tensor<?x?x64xf32>) -> tensor<?x64xf32>
  %12 = qcc.reduce_sum %x {axes = array<i64: 1>, keepdims = false} : (tensor<?x?x64xf32>) -> tensor<?x64xf32>
  // CHECK: qcc.reduce_max %{{.*}} {axes = array<i64>, keepdims = false} : (tensor<?x?x64xf32>) -> tensor<f32>
  %13 = qcc.reduce_max %x {axes = array<i64>, keepdims = false} : (tensor<?x?x64xf32>) -> tensor<f32>
  return
}

// -----

// Tests that the data movement and shape ops print and parse back unchanged.
// CHECK-LABEL: func.func @tensor
func.func @tensor(%table: tensor<100x64xf32>, %ids: tensor<?x?xi64>, %x: tensor<?x?x64xf32>,
                  %s4: tensor<4xi64>, %s1: tensor<1xi64>, %scalar: tensor<i64>, %m: tensor<8x8xf32>) {
  // CHECK: qcc.gather %{{.*}}, %{{.*}} : (tensor<100x64xf32>, tensor<?x?xi64>) -> tensor<?x?x64xf32>
  %0 = qcc.gather %table, %ids : (tensor<100x64xf32>, tensor<?x?xi64>) -> tensor<?x?x64xf32>
  // CHECK: qcc.transpose %{{.*}} {permutation = array<i64: 1, 0, 2>}
  %1 = qcc.transpose %x {permutation = array<i64: 1, 0, 2>} : (tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  // CHECK: qcc.reshape %{{.*}}, %{{.*}} : (tensor<?x?x64xf32>, tensor<4xi64>) -> tensor<?x?x4x16xf32>
  %2 = qcc.reshape %x, %s4 : (tensor<?x?x64xf32>, tensor<4xi64>) -> tensor<?x?x4x16xf32>
  // CHECK: qcc.expand
  %3 = qcc.expand %2, %s4 : (tensor<?x?x4x16xf32>, tensor<4xi64>) -> tensor<?x?x4x16xf32>
  // CHECK: qcc.concat %{{.*}}, %{{.*}} {axis = 2 : i64} : (tensor<?x?x64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x128xf32>
  %4 = qcc.concat %x, %x {axis = 2 : i64} : (tensor<?x?x64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x128xf32>
  // CHECK: qcc.slice %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {axes = array<i64: 2>}
  %5 = qcc.slice %x, %s1, %s1, %s1 {axes = array<i64: 2>} : (tensor<?x?x64xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x?x?xf32>
  // CHECK: qcc.squeeze %{{.*}} {axes = array<i64: 0>} : (tensor<1xi64>) -> tensor<i64>
  %6 = qcc.squeeze %s1 {axes = array<i64: 0>} : (tensor<1xi64>) -> tensor<i64>
  // CHECK: qcc.unsqueeze %{{.*}} {axes = array<i64: 0>} : (tensor<i64>) -> tensor<1xi64>
  %7 = qcc.unsqueeze %scalar {axes = array<i64: 0>} : (tensor<i64>) -> tensor<1xi64>
  // CHECK: qcc.shape %{{.*}} {end = 2 : i64, start = 1 : i64} : (tensor<?x?x64xf32>) -> tensor<1xi64>
  %8 = qcc.shape %x {start = 1 : i64, end = 2 : i64} : (tensor<?x?x64xf32>) -> tensor<1xi64>
  // CHECK: qcc.constant_of_shape %{{.*}} {value = 0.000000e+00 : f32} : (tensor<4xi64>) -> tensor<?x?x?x?xf32>
  %9 = qcc.constant_of_shape %s4 {value = 0.0 : f32} : (tensor<4xi64>) -> tensor<?x?x?x?xf32>
  // CHECK: qcc.range %{{.*}}, %{{.*}}, %{{.*}} : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %10 = qcc.range %scalar, %scalar, %scalar : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  // CHECK: qcc.trilu %{{.*}} {k = 1 : i64, upper = false} : tensor<8x8xf32>
  %11 = qcc.trilu %m {k = 1 : i64, upper = false} : tensor<8x8xf32>
  return
}

// -----

// Tests that qlinear prints and parses back, with and without zero points
// and bias.
// CHECK-LABEL: func.func @qlinear
func.func @qlinear(%x: tensor<?x256xf32>, %w: tensor<64x256xi4>, %s: tensor<64x2xf32>,
                   %u: tensor<64x256xui4>, %z: tensor<64x2xui4>, %b: tensor<64xf32>,
                   %f: tensor<64x256xf8E4M3FN>, %c: tensor<64x1xf32>) {
  // CHECK: qcc.qlinear %{{.*}}, %{{.*}}, %{{.*}} {group_size = 128 : i64, weight_format = "int4"} : (tensor<?x256xf32>, tensor<64x256xi4>, tensor<64x2xf32>) -> tensor<?x64xf32>
  %0 = qcc.qlinear %x, %w, %s {group_size = 128 : i64, weight_format = "int4"} : (tensor<?x256xf32>, tensor<64x256xi4>, tensor<64x2xf32>) -> tensor<?x64xf32>
  // CHECK: qcc.qlinear %{{.*}}, %{{.*}}, %{{.*}} zero_points %{{.*}} bias %{{.*}} {group_size = 128 : i64, weight_format = "int4"}
  %1 = qcc.qlinear %x, %u, %s zero_points %z bias %b {group_size = 128 : i64, weight_format = "int4"} : (tensor<?x256xf32>, tensor<64x256xui4>, tensor<64x2xf32>, tensor<64x2xui4>, tensor<64xf32>) -> tensor<?x64xf32>
  // CHECK: qcc.qlinear {{.*}} {group_size = 256 : i64, weight_format = "fp8_e4m3"}
  %2 = qcc.qlinear %x, %f, %c {group_size = 256 : i64, weight_format = "fp8_e4m3"} : (tensor<?x256xf32>, tensor<64x256xf8E4M3FN>, tensor<64x1xf32>) -> tensor<?x64xf32>
  return
}
