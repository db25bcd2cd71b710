// RUN: qcc-opt %s -split-input-file --canonicalize | FileCheck %s

// Tests that the shape of a static tensor folds to a constant, and the
// gather/unsqueeze/concat arithmetic on it folds with it.
// CHECK-LABEL: func.func @static_shape_arithmetic
// CHECK-NEXT:    %[[C:.*]] = arith.constant dense<[2, 3, 4, 16]> : tensor<4xi64>
// CHECK-NEXT:    return %[[C]]
func.func @static_shape_arithmetic(%x: tensor<2x3x64xf32>) -> tensor<4xi64> {
  %s = qcc.shape %x : (tensor<2x3x64xf32>) -> tensor<3xi64>
  %i0 = arith.constant dense<0> : tensor<i64>
  %i1 = arith.constant dense<1> : tensor<i64>
  %d0 = qcc.gather %s, %i0 : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %d1 = qcc.gather %s, %i1 : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %u0 = qcc.unsqueeze %d0 {axes = array<i64: 0>} : (tensor<i64>) -> tensor<1xi64>
  %u1 = qcc.unsqueeze %d1 {axes = array<i64: 0>} : (tensor<i64>) -> tensor<1xi64>
  %rest = arith.constant dense<[4, 16]> : tensor<2xi64>
  %c = qcc.concat %u0, %u1, %rest {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<2xi64>) -> tensor<4xi64>
  return %c : tensor<4xi64>
}

// -----

// Tests that the static part of a partly dynamic shape folds and the rest
// stays.
// CHECK-LABEL: func.func @dynamic_shape
// CHECK:         %[[TAIL:.*]] = arith.constant dense<64> : tensor<1xi64>
// CHECK:         %[[S:.*]] = qcc.shape
// CHECK:         %[[D:.*]] = qcc.gather %[[S]]
// CHECK-NEXT:    return %[[D]], %[[TAIL]]
func.func @dynamic_shape(%x: tensor<?x64xf32>) -> (tensor<i64>, tensor<1xi64>) {
  %s = qcc.shape %x : (tensor<?x64xf32>) -> tensor<2xi64>
  %i0 = arith.constant dense<0> : tensor<i64>
  %d0 = qcc.gather %s, %i0 : (tensor<2xi64>, tensor<i64>) -> tensor<i64>
  %tail = qcc.shape %x {start = 1 : i64} : (tensor<?x64xf32>) -> tensor<1xi64>
  return %d0, %tail : tensor<i64>, tensor<1xi64>
}

// -----

// Tests that integer arithmetic, comparison and select on small constants
// fold (the Where(Equal(shape, -1), 1, shape) idiom of Expand exports).
// s = [2, -1, 16]: r6 = 3s, the select replaces -1 by 1.
// CHECK-LABEL: func.func @integer_arithmetic
// CHECK-DAG:     arith.constant dense<[2, 1, 16]> : tensor<3xi64>
// CHECK-DAG:     arith.constant dense<[6, -3, 48]> : tensor<3xi64>
// CHECK-DAG:     arith.constant dense<[true, false, false]> : tensor<3xi1>
// CHECK-NOT:     qcc.
func.func @integer_arithmetic() -> (tensor<3xi64>, tensor<3xi64>, tensor<3xi1>) {
  %s = arith.constant dense<[2, -1, 16]> : tensor<3xi64>
  %m1 = arith.constant dense<-1> : tensor<i64>
  %one = arith.constant dense<1> : tensor<3xi64>
  %two = arith.constant dense<2> : tensor<i64>
  %zero = arith.constant dense<0> : tensor<i64>
  %eq = qcc.equal %s, %m1 : (tensor<3xi64>, tensor<i64>) -> tensor<3xi1>
  %fixed = qcc.where %eq, %one, %s : (tensor<3xi1>, tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  %sum = qcc.add %s, %s : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  %prod = qcc.mul %sum, %two : (tensor<3xi64>, tensor<i64>) -> tensor<3xi64>
  %q = qcc.div %prod, %two : (tensor<3xi64>, tensor<i64>) -> tensor<3xi64>
  %diff = qcc.sub %q, %s : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  %r = qcc.add %diff, %prod : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  %r2 = qcc.sub %r, %q : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  %r3 = qcc.add %r2, %s : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  %r4 = qcc.sub %r3, %s : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  %r5 = qcc.sub %r4, %q : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  %r6 = qcc.add %r5, %q : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  %gt = qcc.greater %s, %two : (tensor<3xi64>, tensor<i64>) -> tensor<3xi1>
  %lt = qcc.less %s, %zero : (tensor<3xi64>, tensor<i64>) -> tensor<3xi1>
  %either = qcc.equal %gt, %lt : (tensor<3xi1>, tensor<3xi1>) -> tensor<3xi1>
  return %fixed, %r6, %either : tensor<3xi64>, tensor<3xi64>, tensor<3xi1>
}

// -----

// Tests that float scalar arithmetic folds (exporters compute constants such
// as 1/sqrt(d) in the graph).
// CHECK-LABEL: func.func @float_arithmetic
// CHECK-NEXT:    %[[C:.*]] = arith.constant dense<2.500000e-01> : tensor<f32>
// CHECK-NEXT:    return %[[C]]
func.func @float_arithmetic() -> tensor<f32> {
  %one = arith.constant dense<1.0> : tensor<f32>
  %d = arith.constant dense<16.0> : tensor<f32>
  %half = arith.constant dense<0.5> : tensor<f32>
  %root = qcc.pow %d, %half : (tensor<f32>, tensor<f32>) -> tensor<f32>
  %r = qcc.div %one, %root : (tensor<f32>, tensor<f32>) -> tensor<f32>
  return %r : tensor<f32>
}

// -----

// Tests that casts fold on constants and vanish when they change nothing.
// CHECK-LABEL: func.func @casts
// CHECK-DAG:     %[[F:.*]] = arith.constant dense<[2.000000e+00, -1.000000e+00]> : tensor<2xf32>
// CHECK-DAG:     %[[I:.*]] = arith.constant dense<[1, -2]> : tensor<2xi64>
// CHECK:         return %[[F]], %[[I]], %arg0
func.func @casts(%x: tensor<?xf32>) -> (tensor<2xf32>, tensor<2xi64>, tensor<?xf32>) {
  %i = arith.constant dense<[2, -1]> : tensor<2xi64>
  %f = qcc.cast %i : tensor<2xi64> to tensor<2xf32>
  %g = arith.constant dense<[1.7, -2.9]> : tensor<2xf32>
  %t = qcc.cast %g : tensor<2xf32> to tensor<2xi64>
  %same = qcc.cast %x : tensor<?xf32> to tensor<?xf32>
  return %f, %t, %same : tensor<2xf32>, tensor<2xi64>, tensor<?xf32>
}

// -----

// Tests that slice, range and constant_of_shape fold on constants.
// CHECK-LABEL: func.func @constant_producers
// CHECK-DAG:     arith.constant dense<[20, 40]> : tensor<2xi64>
// CHECK-DAG:     arith.constant dense<[0, 2, 4]> : tensor<3xi64>
// CHECK-DAG:     arith.constant dense<true> : tensor<2x3xi1>
// CHECK-NOT:     qcc.
func.func @constant_producers() -> (tensor<2xi64>, tensor<3xi64>, tensor<2x3xi1>) {
  %v = arith.constant dense<[10, 20, 30, 40]> : tensor<4xi64>
  %start = arith.constant dense<1> : tensor<1xi64>
  %end = arith.constant dense<9223372036854775807> : tensor<1xi64>
  %step = arith.constant dense<2> : tensor<1xi64>
  %s = qcc.slice %v, %start, %end, %step {axes = array<i64: 0>} : (tensor<4xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %zero = arith.constant dense<0> : tensor<i64>
  %six = arith.constant dense<6> : tensor<i64>
  %two = arith.constant dense<2> : tensor<i64>
  %r = qcc.range %zero, %six, %two : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<3xi64>
  %shape = arith.constant dense<[2, 3]> : tensor<2xi64>
  %c = qcc.constant_of_shape %shape {value = true} : (tensor<2xi64>) -> tensor<2x3xi1>
  return %s, %r, %c : tensor<2xi64>, tensor<3xi64>, tensor<2x3xi1>
}

// -----

// Tests that identity transposes vanish and chains compose into one.
// CHECK-LABEL: func.func @transposes
// CHECK-NEXT:    %[[T:.*]] = qcc.transpose %arg0 {permutation = array<i64: 0, 2, 3, 1>}
// CHECK-NEXT:    return %[[T]], %arg0
func.func @transposes(%x: tensor<2x3x4x5xf32>) -> (tensor<2x4x5x3xf32>, tensor<2x3x4x5xf32>) {
  %a = qcc.transpose %x {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x3x4x5xf32>) -> tensor<2x4x3x5xf32>
  %b = qcc.transpose %a {permutation = array<i64: 0, 1, 3, 2>} : (tensor<2x4x3x5xf32>) -> tensor<2x4x5x3xf32>
  %id = qcc.transpose %x {permutation = array<i64: 0, 1, 2, 3>} : (tensor<2x3x4x5xf32>) -> tensor<2x3x4x5xf32>
  return %b, %id : tensor<2x4x5x3xf32>, tensor<2x3x4x5xf32>
}

// -----

// Tests that reshape-like ops that change nothing vanish, and fold on
// constants.
// CHECK-LABEL: func.func @reshape_like
// CHECK-DAG:     %[[C:.*]] = arith.constant dense<{{\[\[}}1, 2], [3, 4]]> : tensor<2x2xi64>
// CHECK:         return %arg0, %arg0, %[[C]]
func.func @reshape_like(%x: tensor<2x8xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x2xi64>) {
  %s = arith.constant dense<[2, 8]> : tensor<2xi64>
  %r = qcc.reshape %x, %s : (tensor<2x8xf32>, tensor<2xi64>) -> tensor<2x8xf32>
  %e = qcc.expand %x, %s : (tensor<2x8xf32>, tensor<2xi64>) -> tensor<2x8xf32>
  %v = arith.constant dense<[1, 2, 3, 4]> : tensor<4xi64>
  %s2 = arith.constant dense<[2, 2]> : tensor<2xi64>
  %m = qcc.reshape %v, %s2 : (tensor<4xi64>, tensor<2xi64>) -> tensor<2x2xi64>
  return %r, %e, %m : tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x2xi64>
}

// -----

// Tests that large weights are never evaluated by folding.
// CHECK-LABEL: func.func @weights_untouched
// CHECK:         qcc.add
func.func @weights_untouched() -> tensor<4096x2xf32> {
  %w = arith.constant dense<1.0> : tensor<4096x2xf32>
  %v = arith.constant dense_resource<w> : tensor<4096x2xf32>
  %r = qcc.add %w, %v : (tensor<4096x2xf32>, tensor<4096x2xf32>) -> tensor<4096x2xf32>
  return %r : tensor<4096x2xf32>
}
