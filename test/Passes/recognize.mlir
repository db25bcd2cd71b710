// RUN: qcc-opt %s -split-input-file --qcc-recognize | FileCheck %s

// Tests that a matmul with a constant [K, N] weight becomes a linear with the
// weight stored transposed, [N, K] (as a resource), and a following bias add
// is folded in.
// CHECK-LABEL: func.func @matmul_bias
// CHECK:         %[[W:.*]] = arith.constant dense_resource<weight.nk> : tensor<2x3xf32>
// CHECK:         %[[Y:.*]] = qcc.linear %arg0, %[[W]], %{{.*}} : (tensor<?x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<?x2xf32>
// CHECK-NEXT:    return %[[Y]]
// CHECK:       weight.nk: "0x040000000000803F000040400000A04000000040000080400000C040"
func.func @matmul_bias(%x: tensor<?x3xf32>) -> tensor<?x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf32>
  %b = arith.constant dense<[0.5, -0.5]> : tensor<2xf32>
  %m = qcc.matmul %x, %w : (tensor<?x3xf32>, tensor<3x2xf32>) -> tensor<?x2xf32>
  %y = qcc.add %b, %m : (tensor<2xf32>, tensor<?x2xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// Tests that a resource weight is transposed into a new resource.
// CHECK-LABEL: func.func @resource_weight
// CHECK:         %[[W:.*]] = arith.constant dense_resource<w.nk> : tensor<3x2xf32>
// CHECK:         qcc.linear %arg0, %[[W]] : (tensor<?x?x2xf32>, tensor<3x2xf32>) -> tensor<?x?x3xf32>
// CHECK:       w.nk: "0x04000000000080BF0000803F00000040000000000000000000000040"
func.func @resource_weight(%x: tensor<?x?x2xf32>) -> tensor<?x?x3xf32> {
  %w = arith.constant dense_resource<w> : tensor<2x3xf32>
  %m = qcc.matmul %x, %w : (tensor<?x?x2xf32>, tensor<2x3xf32>) -> tensor<?x?x3xf32>
  return %m : tensor<?x?x3xf32>
}
{-#
  dialect_resources: {
    builtin: {
      // [[-1, 2, 0], [1, 0, 2]] as f32
      w: "0x04000000000080BF00000040000000000000803F0000000000000040"
    }
  }
#-}

// -----

// Tests that a Gemm-style matmul with a transposed [N, K] weight becomes a
// linear on the weight itself, without a copy.
// CHECK-LABEL: func.func @gemm_transposed
// CHECK:         %[[W:.*]] = arith.constant dense_resource<gemm_w> : tensor<4x8xf32>
// CHECK:         qcc.linear %arg0, %[[W]] : (tensor<2x8xf32>, tensor<4x8xf32>) -> tensor<2x4xf32>
func.func @gemm_transposed(%x: tensor<2x8xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense_resource<gemm_w> : tensor<4x8xf32>
  %t = qcc.transpose %w {permutation = array<i64: 1, 0>} : (tensor<4x8xf32>) -> tensor<8x4xf32>
  %m = qcc.matmul %x, %t : (tensor<2x8xf32>, tensor<8x4xf32>) -> tensor<2x4xf32>
  return %m : tensor<2x4xf32>
}

// -----

// Tests that a matmul of two activations stays a matmul, and that a bias
// whose size is not the output channel count is not folded.
// CHECK-LABEL: func.func @not_linear
// CHECK:         qcc.matmul %arg0, %arg1
// CHECK:         %[[L:.*]] = qcc.linear
// CHECK:         qcc.add %[[L]]
func.func @not_linear(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %m = qcc.matmul %a, %b : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %w = arith.constant dense<1.0> : tensor<3x4xf32>
  %l = qcc.matmul %a, %w : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %c = arith.constant dense<1.0> : tensor<2x1xf32>
  %y = qcc.add %l, %c : (tensor<2x4xf32>, tensor<2x1xf32>) -> tensor<2x4xf32>
  return %m, %y : tensor<2x4xf32>, tensor<2x4xf32>
}

// -----

// Tests both RMSNorm decompositions: reciprocal of sqrt, and division.
// CHECK-LABEL: func.func @rms_norm
// CHECK:         %[[A:.*]] = qcc.rms_norm %arg0, %[[W:.*]] {epsilon = 9.99999997E-7 : f32}
// CHECK:         %[[B:.*]] = qcc.rms_norm %arg0, %[[W]] {epsilon = 9.99999997E-7 : f32}
// CHECK:         return %[[A]], %[[B]]
func.func @rms_norm(%x: tensor<?x?x8xf32>) -> (tensor<?x?x8xf32>, tensor<?x?x8xf32>) {
  %two = arith.constant dense<2.0> : tensor<f32>
  %eps = arith.constant dense<1.0e-6> : tensor<f32>
  %w = arith.constant dense<[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]> : tensor<8xf32>
  %sq = qcc.pow %x, %two : (tensor<?x?x8xf32>, tensor<f32>) -> tensor<?x?x8xf32>
  %mean = qcc.reduce_mean %sq {axes = array<i64: -1>} : (tensor<?x?x8xf32>) -> tensor<?x?x1xf32>
  %add = qcc.add %mean, %eps : (tensor<?x?x1xf32>, tensor<f32>) -> tensor<?x?x1xf32>
  %root = qcc.sqrt %add : tensor<?x?x1xf32>
  %inv = qcc.reciprocal %root : tensor<?x?x1xf32>
  %n1 = qcc.mul %x, %inv : (tensor<?x?x8xf32>, tensor<?x?x1xf32>) -> tensor<?x?x8xf32>
  %a = qcc.mul %n1, %w : (tensor<?x?x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %xx = qcc.mul %x, %x : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %mean2 = qcc.reduce_mean %xx {axes = array<i64: 2>} : (tensor<?x?x8xf32>) -> tensor<?x?x1xf32>
  %add2 = qcc.add %eps, %mean2 : (tensor<f32>, tensor<?x?x1xf32>) -> tensor<?x?x1xf32>
  %root2 = qcc.sqrt %add2 : tensor<?x?x1xf32>
  %n2 = qcc.div %x, %root2 : (tensor<?x?x8xf32>, tensor<?x?x1xf32>) -> tensor<?x?x8xf32>
  %b = qcc.mul %w, %n2 : (tensor<8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  return %a, %b : tensor<?x?x8xf32>, tensor<?x?x8xf32>
}

// -----

// Tests that an RMSNorm-like pattern over a different tensor, or a mean over
// another axis, is left alone.
// CHECK-LABEL: func.func @not_rms_norm
// CHECK-NOT:     qcc.rms_norm
func.func @not_rms_norm(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %two = arith.constant dense<2.0> : tensor<f32>
  %eps = arith.constant dense<1.0e-6> : tensor<f32>
  %w = arith.constant dense<1.5> : tensor<8xf32>
  %sq = qcc.pow %y, %two : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %mean = qcc.reduce_mean %sq {axes = array<i64: -1>} : (tensor<4x8xf32>) -> tensor<4x1xf32>
  %add = qcc.add %mean, %eps : (tensor<4x1xf32>, tensor<f32>) -> tensor<4x1xf32>
  %root = qcc.sqrt %add : tensor<4x1xf32>
  %n = qcc.div %x, %root : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  %a = qcc.mul %n, %w : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %sqx = qcc.pow %x, %two : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %mean0 = qcc.reduce_mean %sqx {axes = array<i64: 0>} : (tensor<4x8xf32>) -> tensor<1x8xf32>
  %add0 = qcc.add %mean0, %eps : (tensor<1x8xf32>, tensor<f32>) -> tensor<1x8xf32>
  %root0 = qcc.sqrt %add0 : tensor<1x8xf32>
  %n0 = qcc.div %x, %root0 : (tensor<4x8xf32>, tensor<1x8xf32>) -> tensor<4x8xf32>
  %b = qcc.mul %n0, %w : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  return %a, %b : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// Tests that a decomposed layer normalization with scale and bias becomes a
// layer_norm.
// CHECK-LABEL: func.func @layer_norm
// CHECK:         %[[Y:.*]] = qcc.layer_norm %arg0, %{{.*}}, %{{.*}} {epsilon = 9.99999996E-13 : f32}
// CHECK-NEXT:    return %[[Y]]
func.func @layer_norm(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %two = arith.constant dense<2.0> : tensor<f32>
  %eps = arith.constant dense<1.0e-12> : tensor<f32>
  %g = arith.constant dense<1.5> : tensor<8xf32>
  %b = arith.constant dense<0.25> : tensor<8xf32>
  %mean = qcc.reduce_mean %x {axes = array<i64: -1>} : (tensor<?x8xf32>) -> tensor<?x1xf32>
  %d = qcc.sub %x, %mean : (tensor<?x8xf32>, tensor<?x1xf32>) -> tensor<?x8xf32>
  %sq = qcc.pow %d, %two : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  %var = qcc.reduce_mean %sq {axes = array<i64: -1>} : (tensor<?x8xf32>) -> tensor<?x1xf32>
  %add = qcc.add %var, %eps : (tensor<?x1xf32>, tensor<f32>) -> tensor<?x1xf32>
  %root = qcc.sqrt %add : tensor<?x1xf32>
  %n = qcc.div %d, %root : (tensor<?x8xf32>, tensor<?x1xf32>) -> tensor<?x8xf32>
  %s = qcc.mul %n, %g : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %y = qcc.add %s, %b : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// Tests that a layer normalization without affine parameters gets a unit
// scale.
// CHECK-LABEL: func.func @layer_norm_plain
// CHECK:         %[[ONE:.*]] = arith.constant dense<1.000000e+00> : tensor<8xf32>
// CHECK:         qcc.layer_norm %arg0, %[[ONE]] {epsilon
func.func @layer_norm_plain(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %two = arith.constant dense<2.0> : tensor<f32>
  %eps = arith.constant dense<1.0e-5> : tensor<f32>
  %mean = qcc.reduce_mean %x {axes = array<i64: -1>} : (tensor<?x8xf32>) -> tensor<?x1xf32>
  %d = qcc.sub %x, %mean : (tensor<?x8xf32>, tensor<?x1xf32>) -> tensor<?x8xf32>
  %sq = qcc.pow %d, %two : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  %var = qcc.reduce_mean %sq {axes = array<i64: -1>} : (tensor<?x8xf32>) -> tensor<?x1xf32>
  %add = qcc.add %var, %eps : (tensor<?x1xf32>, tensor<f32>) -> tensor<?x1xf32>
  %root = qcc.sqrt %add : tensor<?x1xf32>
  %n = qcc.div %d, %root : (tensor<?x8xf32>, tensor<?x1xf32>) -> tensor<?x8xf32>
  return %n : tensor<?x8xf32>
}

// -----

// Tests the GELU erf form as torch exports it and with the 0.5 applied first.
// CHECK-LABEL: func.func @gelu
// CHECK:         %[[A:.*]] = qcc.gelu %arg0 : tensor<?x16xf32>
// CHECK:         %[[B:.*]] = qcc.gelu %arg0 : tensor<?x16xf32>
// CHECK:         return %[[A]], %[[B]]
func.func @gelu(%x: tensor<?x16xf32>) -> (tensor<?x16xf32>, tensor<?x16xf32>) {
  %sqrt2 = arith.constant dense<1.41421354> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %half = arith.constant dense<0.5> : tensor<f32>
  %inv = arith.constant dense<0.707106769> : tensor<f32>
  %d = qcc.div %x, %sqrt2 : (tensor<?x16xf32>, tensor<f32>) -> tensor<?x16xf32>
  %e = qcc.erf %d : tensor<?x16xf32>
  %p = qcc.add %e, %one : (tensor<?x16xf32>, tensor<f32>) -> tensor<?x16xf32>
  %m = qcc.mul %x, %p : (tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  %a = qcc.mul %m, %half : (tensor<?x16xf32>, tensor<f32>) -> tensor<?x16xf32>
  %h = qcc.mul %x, %half : (tensor<?x16xf32>, tensor<f32>) -> tensor<?x16xf32>
  %d2 = qcc.mul %x, %inv : (tensor<?x16xf32>, tensor<f32>) -> tensor<?x16xf32>
  %e2 = qcc.erf %d2 : tensor<?x16xf32>
  %p2 = qcc.add %one, %e2 : (tensor<f32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  %b = qcc.mul %h, %p2 : (tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  return %a, %b : tensor<?x16xf32>, tensor<?x16xf32>
}

// -----

// Tests that an erf with the wrong constant is not a GELU.
// CHECK-LABEL: func.func @not_gelu
// CHECK-NOT:     qcc.gelu
func.func @not_gelu(%x: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %c = arith.constant dense<1.5> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %half = arith.constant dense<0.5> : tensor<f32>
  %d = qcc.div %x, %c : (tensor<?x16xf32>, tensor<f32>) -> tensor<?x16xf32>
  %e = qcc.erf %d : tensor<?x16xf32>
  %p = qcc.add %e, %one : (tensor<?x16xf32>, tensor<f32>) -> tensor<?x16xf32>
  %m = qcc.mul %x, %p : (tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  %a = qcc.mul %m, %half : (tensor<?x16xf32>, tensor<f32>) -> tensor<?x16xf32>
  return %a : tensor<?x16xf32>
}

// -----

// Tests that x * sigmoid(x), in either order, becomes silu, and that
// x * sigmoid(y) does not.
// CHECK-LABEL: func.func @silu
// CHECK:         qcc.silu %arg0
// CHECK:         qcc.silu %arg0
// CHECK:         qcc.sigmoid %arg1
// CHECK:         qcc.mul
func.func @silu(%x: tensor<?x8xf32>, %y: tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>) {
  %s = qcc.sigmoid %x : tensor<?x8xf32>
  %a = qcc.mul %x, %s : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %b = qcc.mul %s, %x : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %t = qcc.sigmoid %y : tensor<?x8xf32>
  %c = qcc.mul %x, %t : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  return %a, %b, %c : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// Tests that q * cos + rotate_half(q) * sin becomes rotary.
// CHECK-LABEL: func.func @rotary
// CHECK:         %[[R:.*]] = qcc.rotary %arg0, %arg1, %arg2
// CHECK-NEXT:    return %[[R]]
func.func @rotary(%q: tensor<?x4x?x16xf32>, %cos: tensor<?x1x?x16xf32>, %sin: tensor<?x1x?x16xf32>) -> tensor<?x4x?x16xf32> {
  %c0 = arith.constant dense<0> : tensor<1xi64>
  %c8 = arith.constant dense<8> : tensor<1xi64>
  %big = arith.constant dense<9223372036854775807> : tensor<1xi64>
  %one = arith.constant dense<1> : tensor<1xi64>
  %lo = qcc.slice %q, %c0, %c8, %one {axes = array<i64: 3>} : (tensor<?x4x?x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4x?x8xf32>
  %hi = qcc.slice %q, %c8, %big, %one {axes = array<i64: -1>} : (tensor<?x4x?x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4x?x8xf32>
  %neg = qcc.neg %hi : tensor<?x4x?x8xf32>
  %rot = qcc.concat %neg, %lo {axis = -1 : i64} : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>) -> tensor<?x4x?x16xf32>
  %a = qcc.mul %q, %cos : (tensor<?x4x?x16xf32>, tensor<?x1x?x16xf32>) -> tensor<?x4x?x16xf32>
  %b = qcc.mul %rot, %sin : (tensor<?x4x?x16xf32>, tensor<?x1x?x16xf32>) -> tensor<?x4x?x16xf32>
  %r = qcc.add %a, %b : (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %r : tensor<?x4x?x16xf32>
}

// -----

// Tests that halves swapped the other way (concat(x1, -x2)) are not rotary.
// CHECK-LABEL: func.func @not_rotary
// CHECK-NOT:     qcc.rotary
func.func @not_rotary(%q: tensor<2x4x3x16xf32>, %cos: tensor<2x1x3x16xf32>, %sin: tensor<2x1x3x16xf32>) -> tensor<2x4x3x16xf32> {
  %c0 = arith.constant dense<0> : tensor<1xi64>
  %c8 = arith.constant dense<8> : tensor<1xi64>
  %c16 = arith.constant dense<16> : tensor<1xi64>
  %one = arith.constant dense<1> : tensor<1xi64>
  %lo = qcc.slice %q, %c0, %c8, %one {axes = array<i64: 3>} : (tensor<2x4x3x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x4x3x8xf32>
  %hi = qcc.slice %q, %c8, %c16, %one {axes = array<i64: 3>} : (tensor<2x4x3x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x4x3x8xf32>
  %neg = qcc.neg %lo : tensor<2x4x3x8xf32>
  %rot = qcc.concat %neg, %hi {axis = 3 : i64} : (tensor<2x4x3x8xf32>, tensor<2x4x3x8xf32>) -> tensor<2x4x3x16xf32>
  %a = qcc.mul %q, %cos : (tensor<2x4x3x16xf32>, tensor<2x1x3x16xf32>) -> tensor<2x4x3x16xf32>
  %b = qcc.mul %rot, %sin : (tensor<2x4x3x16xf32>, tensor<2x1x3x16xf32>) -> tensor<2x4x3x16xf32>
  %r = qcc.add %a, %b : (tensor<2x4x3x16xf32>, tensor<2x4x3x16xf32>) -> tensor<2x4x3x16xf32>
  return %r : tensor<2x4x3x16xf32>
}

// -----

// Tests attention with a scale, an additive mask, and key/value heads
// repeated for grouped-query attention (looked through).
// CHECK-LABEL: func.func @gqa_attention
// CHECK:         %[[O:.*]] = qcc.attention %arg0, %arg1, %arg2, %arg3 {scale = 2.500000e-01 : f32} : (tensor<1x4x5x16xf32>, tensor<1x2x7x16xf32>, tensor<1x2x7x16xf32>, tensor<1x1x5x7xf32>) -> tensor<1x4x5x16xf32>
// CHECK-NEXT:    return %[[O]]
func.func @gqa_attention(%q: tensor<1x4x5x16xf32>, %k: tensor<1x2x7x16xf32>, %v: tensor<1x2x7x16xf32>, %mask: tensor<1x1x5x7xf32>) -> tensor<1x4x5x16xf32> {
  %e = arith.constant dense<[1, 2, 2, 7, 16]> : tensor<5xi64>
  %r = arith.constant dense<[1, 4, 7, 16]> : tensor<4xi64>
  %ku = qcc.unsqueeze %k {axes = array<i64: 2>} : (tensor<1x2x7x16xf32>) -> tensor<1x2x1x7x16xf32>
  %ke = qcc.expand %ku, %e : (tensor<1x2x1x7x16xf32>, tensor<5xi64>) -> tensor<1x2x2x7x16xf32>
  %kr = qcc.reshape %ke, %r : (tensor<1x2x2x7x16xf32>, tensor<4xi64>) -> tensor<1x4x7x16xf32>
  %vu = qcc.unsqueeze %v {axes = array<i64: 2>} : (tensor<1x2x7x16xf32>) -> tensor<1x2x1x7x16xf32>
  %ve = qcc.expand %vu, %e : (tensor<1x2x1x7x16xf32>, tensor<5xi64>) -> tensor<1x2x2x7x16xf32>
  %vr = qcc.reshape %ve, %r : (tensor<1x2x2x7x16xf32>, tensor<4xi64>) -> tensor<1x4x7x16xf32>
  %kt = qcc.transpose %kr {permutation = array<i64: 0, 1, 3, 2>} : (tensor<1x4x7x16xf32>) -> tensor<1x4x16x7xf32>
  %s = qcc.matmul %q, %kt : (tensor<1x4x5x16xf32>, tensor<1x4x16x7xf32>) -> tensor<1x4x5x7xf32>
  %c = arith.constant dense<0.25> : tensor<f32>
  %ss = qcc.mul %s, %c : (tensor<1x4x5x7xf32>, tensor<f32>) -> tensor<1x4x5x7xf32>
  %sm = qcc.add %ss, %mask : (tensor<1x4x5x7xf32>, tensor<1x1x5x7xf32>) -> tensor<1x4x5x7xf32>
  %p = qcc.softmax %sm {axis = -1 : i64} : tensor<1x4x5x7xf32>
  %o = qcc.matmul %p, %vr : (tensor<1x4x5x7xf32>, tensor<1x4x7x16xf32>) -> tensor<1x4x5x16xf32>
  return %o : tensor<1x4x5x16xf32>
}

// -----

// Tests attention with a divided scale, a boolean mask applied by where, and
// the key transposed from [B, T, H, D] in one step, as BERT and GPT-2 exports
// have it.
// CHECK-LABEL: func.func @masked_attention
// CHECK:         %[[K:.*]] = qcc.transpose %arg1 {permutation = array<i64: 0, 2, 1, 3>}
// CHECK:         qcc.attention %arg0, %[[K]], %arg2, %arg3 {masked_value = -3.40282347E+38 : f32, scale = 1.250000e-01 : f32}
func.func @masked_attention(%q: tensor<?x4x?x16xf32>, %k: tensor<?x?x4x16xf32>, %v: tensor<?x4x?x16xf32>, %causal: tensor<?x?xi1>) -> tensor<?x4x?x16xf32> {
  %kt = qcc.transpose %k {permutation = array<i64: 0, 2, 3, 1>} : (tensor<?x?x4x16xf32>) -> tensor<?x4x16x?xf32>
  %s = qcc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %c = arith.constant dense<8.0> : tensor<f32>
  %ss = qcc.div %s, %c : (tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %sm = qcc.where %causal, %ss, %min : (tensor<?x?xi1>, tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  %p = qcc.softmax %sm : tensor<?x4x?x?xf32>
  %o = qcc.matmul %p, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}

// -----

// Tests that a softmax over another axis is not attention and leaves the IR
// unchanged.
// CHECK-LABEL: func.func @not_attention
// CHECK-NOT:     qcc.attention
// CHECK-COUNT-3: qcc.transpose
// CHECK-NOT:     qcc.transpose
func.func @not_attention(%q: tensor<1x4x5x16xf32>, %k: tensor<1x5x4x16xf32>, %v: tensor<1x4x5x16xf32>) -> tensor<1x4x5x16xf32> {
  %kt = qcc.transpose %k {permutation = array<i64: 0, 2, 3, 1>} : (tensor<1x5x4x16xf32>) -> tensor<1x4x16x5xf32>
  %s = qcc.matmul %q, %kt : (tensor<1x4x5x16xf32>, tensor<1x4x16x5xf32>) -> tensor<1x4x5x5xf32>
  %p = qcc.softmax %s {axis = 2 : i64} : tensor<1x4x5x5xf32>
  %o = qcc.matmul %p, %v : (tensor<1x4x5x5xf32>, tensor<1x4x5x16xf32>) -> tensor<1x4x5x16xf32>
  %t = qcc.transpose %o {permutation = array<i64: 0, 2, 1, 3>} : (tensor<1x4x5x16xf32>) -> tensor<1x5x4x16xf32>
  %u = qcc.transpose %t {permutation = array<i64: 0, 2, 1, 3>} : (tensor<1x5x4x16xf32>) -> tensor<1x4x5x16xf32>
  return %u : tensor<1x4x5x16xf32>
}

// -----

// Tests the tanh GELU approximation (GPT-2's gelu_new), with x³ as x·x·x.
// CHECK-LABEL: func.func @tanh_gelu
// CHECK:         %[[G:.*]] = qcc.gelu %arg0 {approximate = "tanh"} : tensor<?x16xf32>
// CHECK-NEXT:    return %[[G]]
func.func @tanh_gelu(%x: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %coef = arith.constant dense<0.044715> : tensor<f32>
  %root = arith.constant dense<0.797884583> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %half = arith.constant dense<0.5> : tensor<f32>
  %sq = qcc.mul %x, %x : (tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  %cube = qcc.mul %sq, %x : (tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  %term = qcc.mul %coef, %cube : (tensor<f32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  %inner = qcc.add %x, %term : (tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  %arg = qcc.mul %inner, %root : (tensor<?x16xf32>, tensor<f32>) -> tensor<?x16xf32>
  %t = qcc.tanh %arg : tensor<?x16xf32>
  %p = qcc.add %t, %one : (tensor<?x16xf32>, tensor<f32>) -> tensor<?x16xf32>
  %h = qcc.mul %half, %x : (tensor<f32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  %g = qcc.mul %h, %p : (tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  return %g : tensor<?x16xf32>
}
