// RUN: qcc-opt %s -split-input-file --qcc-quantize-weights -verify-diagnostics
// RUN: qcc-opt %s -split-input-file --qcc-scale-search -verify-diagnostics

// Tests that a linear whose weight is not a constant is refused by both
// weight passes.
func.func @argument_weight(%x: tensor<2x8xf32>, %w: tensor<4x8xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{has a weight that is not an f32 constant}}
  %y = qcc.linear %x, %w : (tensor<2x8xf32>, tensor<4x8xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// Tests that a weight resource without its data is refused.
func.func @elided_weight(%x: tensor<2x8xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense_resource<missing> : tensor<4x8xf32>
  // expected-error @+1 {{has a weight blob without its data}}
  %y = qcc.linear %x, %w : (tensor<2x8xf32>, tensor<4x8xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}
