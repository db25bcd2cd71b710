// RUN: qcc-opt %s -split-input-file -verify-diagnostics

// Tests that binary operands must broadcast.
func.func @add_not_broadcastable(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+2 {{operand shapes do not broadcast}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.add %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x3xf32>
  return
}

// -----

// Tests that binary operands must share an element type.
func.func @add_mixed_types(%a: tensor<3xf32>, %b: tensor<3xf16>) {
  // expected-error @+2 {{operands have different element types}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.add %a, %b : (tensor<3xf32>, tensor<3xf16>) -> tensor<3xf32>
  return
}

// -----

// Tests that a declared result type must match the inferred one.
func.func @add_wrong_result(%a: tensor<3xf32>) {
  // expected-error @+2 {{inferred type(s) 'tensor<3xf32>' are incompatible with return type(s) of operation 'tensor<4xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.add %a, %a : (tensor<3xf32>, tensor<3xf32>) -> tensor<4xf32>
  return
}

// -----

// Tests that clip bounds must be ordered.
func.func @clip_bounds(%a: tensor<3xf32>) {
  // expected-error @+1 {{min 2.000000e+00 exceeds max 1.000000e+00}}
  %0 = qcc.clip %a {min = 2.0 : f64, max = 1.0 : f64} : tensor<3xf32>
  return
}

// -----

// Tests that cast keeps the shape.
func.func @cast_shape(%a: tensor<3xi64>) {
  // expected-error @+1 {{changes the shape}}
  %0 = qcc.cast %a : tensor<3xi64> to tensor<4xf32>
  return
}

// -----

// Tests that a linear weight is [N, K] with K the input's last dimension.
func.func @linear_k(%x: tensor<?x64xf32>, %w: tensor<8x32xf32>) {
  // expected-error @+2 {{input features 64 do not match weight}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.linear %x, %w : (tensor<?x64xf32>, tensor<8x32xf32>) -> tensor<?x8xf32>
  return
}

// -----

// Tests that a linear weight has rank 2.
func.func @linear_rank(%x: tensor<?x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+2 {{expects an input of rank >= 1 and a weight of rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.linear %x, %w : (tensor<?x64xf32>, tensor<64xf32>) -> tensor<?x8xf32>
  return
}

// -----

// Tests that linear input and weight share an element type.
func.func @linear_types(%x: tensor<?x64xf16>, %w: tensor<8x64xf32>) {
  // expected-error @+2 {{input and weight element types differ}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.linear %x, %w : (tensor<?x64xf16>, tensor<8x64xf32>) -> tensor<?x8xf16>
  return
}

// -----

// Tests that a linear bias has one entry per output channel.
func.func @linear_bias(%x: tensor<?x64xf32>, %w: tensor<8x64xf32>, %b: tensor<9xf32>) {
  // expected-error @+2 {{bias 'tensor<9xf32>' does not match weight}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.linear %x, %w, %b : (tensor<?x64xf32>, tensor<8x64xf32>, tensor<9xf32>) -> tensor<?x8xf32>
  return
}

// -----

// Tests that matmul operands have rank 2 or more.
func.func @matmul_rank(%a: tensor<4xf32>, %b: tensor<4x4xf32>) {
  // expected-error @+2 {{expects operands of rank >= 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.matmul %a, %b : (tensor<4xf32>, tensor<4x4xf32>) -> tensor<4xf32>
  return
}

// -----

// Tests that matmul contraction sizes agree.
func.func @matmul_k(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+2 {{contraction sizes differ}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.matmul %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return
}

// -----

// Tests that matmul batch dimensions broadcast.
func.func @matmul_batch(%a: tensor<2x3x4xf32>, %b: tensor<5x4x6xf32>) {
  // expected-error @+2 {{batch dimensions do not broadcast}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.matmul %a, %b : (tensor<2x3x4xf32>, tensor<5x4x6xf32>) -> tensor<2x3x6xf32>
  return
}

// -----

// Tests that matmul operands share an element type.
func.func @matmul_types(%a: tensor<2x3xf32>, %b: tensor<3x5xf16>) {
  // expected-error @+2 {{operand element types differ}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.matmul %a, %b : (tensor<2x3xf32>, tensor<3x5xf16>) -> tensor<2x5xf32>
  return
}

// -----

// Tests that layer_norm's axis is in range.
func.func @layer_norm_axis(%x: tensor<?x64xf32>, %g: tensor<64xf32>) {
  // expected-error @+1 {{axis 2 is out of range}}
  %0 = qcc.layer_norm %x, %g {axis = 2 : i64, epsilon = 1.0e-5 : f32} : (tensor<?x64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  return
}

// -----

// Tests that layer_norm's scale covers the normalized dimensions.
func.func @layer_norm_scale(%x: tensor<?x64xf32>, %g: tensor<32xf32>) {
  // expected-error @+1 {{scale 'tensor<32xf32>' does not match the normalized dimensions}}
  %0 = qcc.layer_norm %x, %g {epsilon = 1.0e-5 : f32} : (tensor<?x64xf32>, tensor<32xf32>) -> tensor<?x64xf32>
  return
}

// -----

// Tests that layer_norm's bias covers the normalized dimensions.
func.func @layer_norm_bias(%x: tensor<?x64xf32>, %g: tensor<64xf32>, %b: tensor<63xf32>) {
  // expected-error @+1 {{bias 'tensor<63xf32>' does not match the normalized dimensions}}
  %0 = qcc.layer_norm %x, %g, %b {epsilon = 1.0e-5 : f32} : (tensor<?x64xf32>, tensor<64xf32>, tensor<63xf32>) -> tensor<?x64xf32>
  return
}

// -----

// Tests that norm parameters share the input's element type.
func.func @rms_norm_type(%x: tensor<?x64xf32>, %g: tensor<64xf16>) {
  // expected-error @+1 {{scale element type differs from the input}}
  %0 = qcc.rms_norm %x, %g {epsilon = 1.0e-5 : f32} : (tensor<?x64xf32>, tensor<64xf16>) -> tensor<?x64xf32>
  return
}

// -----

// Tests that rms_norm needs an input of rank 1 or more.
func.func @rms_norm_rank(%x: tensor<f32>, %g: tensor<1xf32>) {
  // expected-error @+1 {{expects an input of rank >= 1}}
  %0 = qcc.rms_norm %x, %g {epsilon = 1.0e-5 : f32} : (tensor<f32>, tensor<1xf32>) -> tensor<f32>
  return
}

// -----

// Tests that softmax's axis is in range.
func.func @softmax_axis(%x: tensor<?x64xf32>) {
  // expected-error @+1 {{axis -3 is out of range}}
  %0 = qcc.softmax %x {axis = -3 : i64} : tensor<?x64xf32>
  return
}

// -----

// Tests that gelu knows only the erf and tanh forms.
func.func @gelu_approximate(%x: tensor<?x64xf32>) {
  // expected-error @+1 {{approximate must be "none" or "tanh", got "sigmoid"}}
  %0 = qcc.gelu %x {approximate = "sigmoid"} : tensor<?x64xf32>
  return
}

// -----

// Tests that rotary needs an even head size.
func.func @rotary_odd(%x: tensor<?x4x?x15xf32>, %c: tensor<?x1x?x15xf32>) {
  // expected-error @+1 {{expects a last dimension of even size}}
  %0 = qcc.rotary %x, %c, %c : (tensor<?x4x?x15xf32>, tensor<?x1x?x15xf32>, tensor<?x1x?x15xf32>) -> tensor<?x4x?x15xf32>
  return
}

// -----

// Tests that rotary tables cover the head size.
func.func @rotary_table(%x: tensor<?x4x?x16xf32>, %c: tensor<?x1x?x8xf32>) {
  // expected-error @+1 {{cos/sin 'tensor<?x1x?x8xf32>' do not match input}}
  %0 = qcc.rotary %x, %c, %c : (tensor<?x4x?x16xf32>, tensor<?x1x?x8xf32>, tensor<?x1x?x8xf32>) -> tensor<?x4x?x16xf32>
  return
}

// -----

// Tests that rotary tables broadcast against the input.
func.func @rotary_broadcast(%x: tensor<2x4x8x16xf32>, %c: tensor<3x1x8x16xf32>) {
  // expected-error @+1 {{do not broadcast against input}}
  %0 = qcc.rotary %x, %c, %c : (tensor<2x4x8x16xf32>, tensor<3x1x8x16xf32>, tensor<3x1x8x16xf32>) -> tensor<2x4x8x16xf32>
  return
}

// -----

// Tests that rotary cos and sin have one type.
func.func @rotary_cos_sin(%x: tensor<2x4x8x16xf32>, %c: tensor<2x1x8x16xf32>, %s: tensor<1x1x8x16xf32>) {
  // expected-error @+1 {{cos and sin types differ}}
  %0 = qcc.rotary %x, %c, %s : (tensor<2x4x8x16xf32>, tensor<2x1x8x16xf32>, tensor<1x1x8x16xf32>) -> tensor<2x4x8x16xf32>
  return
}

// -----

// Tests that attention operands have rank 4.
func.func @attention_rank(%q: tensor<4x8x16xf32>) {
  // expected-error @+2 {{expects rank-4 [B, H, S, D] query, key and value}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.attention %q, %q, %q {scale = 1.0 : f32} : (tensor<4x8x16xf32>, tensor<4x8x16xf32>, tensor<4x8x16xf32>) -> tensor<4x8x16xf32>
  return
}

// -----

// Tests that query heads are a multiple of key/value heads.
func.func @attention_heads(%q: tensor<1x4x8x16xf32>, %k: tensor<1x3x8x16xf32>) {
  // expected-error @+1 {{query heads 4 are not a multiple of key/value heads 3}}
  %0 = qcc.attention %q, %k, %k {scale = 1.0 : f32} : (tensor<1x4x8x16xf32>, tensor<1x3x8x16xf32>, tensor<1x3x8x16xf32>) -> tensor<1x4x8x16xf32>
  return
}

// -----

// Tests that query and key head sizes agree.
func.func @attention_head_size(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x32xf32>) {
  // expected-error @+1 {{query and key head sizes differ: 16 and 32}}
  %0 = qcc.attention %q, %k, %k {scale = 1.0 : f32} : (tensor<1x4x8x16xf32>, tensor<1x4x8x32xf32>, tensor<1x4x8x32xf32>) -> tensor<1x4x8x32xf32>
  return
}

// -----

// Tests that batch sizes agree.
func.func @attention_batch(%q: tensor<1x4x8x16xf32>, %k: tensor<2x4x8x16xf32>) {
  // expected-error @+1 {{batch sizes of query, key and value differ}}
  %0 = qcc.attention %q, %k, %k {scale = 1.0 : f32} : (tensor<1x4x8x16xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return
}

// -----

// Tests that key and value agree on heads and length.
func.func @attention_kv(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x9x16xf32>) {
  // expected-error @+1 {{key and value disagree on heads or sequence length}}
  %0 = qcc.attention %q, %k, %v {scale = 1.0 : f32} : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x9x16xf32>) -> tensor<1x4x8x16xf32>
  return
}

// -----

// Tests that the mask broadcasts to the scores.
func.func @attention_mask_shape(%q: tensor<1x4x8x16xf32>, %m: tensor<1x1x8x7xf32>) {
  // expected-error @+1 {{mask 'tensor<1x1x8x7xf32>' does not broadcast to the scores}}
  %0 = qcc.attention %q, %q, %q, %m {scale = 1.0 : f32} : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x1x8x7xf32>) -> tensor<1x4x8x16xf32>
  return
}

// -----

// Tests that the mask is i1 or of the query's element type.
func.func @attention_mask_type(%q: tensor<1x4x8x16xf32>, %m: tensor<8x8xi64>) {
  // expected-error @+1 {{mask must be i1 or of the query element type}}
  %0 = qcc.attention %q, %q, %q, %m {scale = 1.0 : f32} : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<8x8xi64>) -> tensor<1x4x8x16xf32>
  return
}

// -----

// Tests that a boolean mask needs the value it writes.
func.func @attention_bool_mask(%q: tensor<1x4x8x16xf32>, %m: tensor<8x8xi1>) {
  // expected-error @+1 {{masked_value is required with an i1 mask and only then}}
  %0 = qcc.attention %q, %q, %q, %m {scale = 1.0 : f32} : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<8x8xi1>) -> tensor<1x4x8x16xf32>
  return
}

// -----

// Tests that masked_value needs a mask.
func.func @attention_masked_value(%q: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{masked_value without a mask}}
  %0 = qcc.attention %q, %q, %q {scale = 1.0 : f32, masked_value = 0.0 : f32} : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return
}

// -----

// Tests that reduction axes are in range.
func.func @reduce_axis(%x: tensor<?x64xf32>) {
  // expected-error @+2 {{axis 2 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.reduce_mean %x {axes = array<i64: 2>} : (tensor<?x64xf32>) -> tensor<?x64xf32>
  return
}

// -----

// Tests that reduction axes are not repeated.
func.func @reduce_repeated(%x: tensor<?x64xf32>) {
  // expected-error @+2 {{axis -1 is repeated}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.reduce_sum %x {axes = array<i64: 1, -1>} : (tensor<?x64xf32>) -> tensor<?x1xf32>
  return
}

// -----

// Tests that gather's axis is in range.
func.func @gather_axis(%t: tensor<100x64xf32>, %i: tensor<4xi64>) {
  // expected-error @+2 {{axis 2 is out of range}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.gather %t, %i {axis = 2 : i64} : (tensor<100x64xf32>, tensor<4xi64>) -> tensor<4x64xf32>
  return
}

// -----

// Tests that transpose needs one permutation entry per dimension.
func.func @transpose_length(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{permutation has 3 entries for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.transpose %x {permutation = array<i64: 0, 1, 2>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

// Tests that transpose needs a permutation.
func.func @transpose_repeated(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{permutation is not a permutation of [0, 2)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.transpose %x {permutation = array<i64: 0, 0>} : (tensor<2x3xf32>) -> tensor<2x2xf32>
  return
}

// -----

// Tests that reshape keeps the element type.
func.func @reshape_type(%x: tensor<2x3xf32>, %s: tensor<1xi64>) {
  // expected-error @+1 {{changes the element type}}
  %0 = qcc.reshape %x, %s : (tensor<2x3xf32>, tensor<1xi64>) -> tensor<6xf16>
  return
}

// -----

// Tests that the reshape shape operand has one entry per result dimension.
func.func @reshape_rank(%x: tensor<2x3xf32>, %s: tensor<2xi64>) {
  // expected-error @+1 {{shape has 2 entries for result rank 1}}
  %0 = qcc.reshape %x, %s : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<6xf32>
  return
}

// -----

// Tests that reshape keeps the element count.
func.func @reshape_count(%x: tensor<2x3xf32>, %s: tensor<1xi64>) {
  // expected-error @+1 {{changes the element count from 6 to 7}}
  %0 = qcc.reshape %x, %s : (tensor<2x3xf32>, tensor<1xi64>) -> tensor<7xf32>
  return
}

// -----

// Tests that expand keeps the element type.
func.func @expand_type(%x: tensor<1x3xf32>, %s: tensor<2xi64>) {
  // expected-error @+1 {{changes the element type}}
  %0 = qcc.expand %x, %s : (tensor<1x3xf32>, tensor<2xi64>) -> tensor<2x3xf16>
  return
}

// -----

// Tests that expand cannot lower the rank.
func.func @expand_rank(%x: tensor<1x3xf32>, %s: tensor<1xi64>) {
  // expected-error @+1 {{result rank 1 is lower than the input's or the shape's}}
  %0 = qcc.expand %x, %s : (tensor<1x3xf32>, tensor<1xi64>) -> tensor<3xf32>
  return
}

// -----

// Tests that expand's result is a broadcast of the input.
func.func @expand_broadcast(%x: tensor<2x3xf32>, %s: tensor<2xi64>) {
  // expected-error @+1 {{does not broadcast to}}
  %0 = qcc.expand %x, %s : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<4x3xf32>
  return
}

// -----

// Tests that concat inputs agree on rank and element type.
func.func @concat_rank(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{differ in rank or element type}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.concat %a, %b {axis = 0 : i64} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<5x3xf32>
  return
}

// -----

// Tests that concat inputs agree off the axis.
func.func @concat_dims(%a: tensor<2x3xf32>, %b: tensor<2x4xf32>) {
  // expected-error @+2 {{differ in dimension 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.concat %a, %b {axis = 0 : i64} : (tensor<2x3xf32>, tensor<2x4xf32>) -> tensor<4x3xf32>
  return
}

// -----

// Tests that concat's axis is in range.
func.func @concat_axis(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{axis 2 is out of range}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.concat %a, %a {axis = 2 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

// Tests that slice keeps the rank.
func.func @slice_rank(%x: tensor<4x8xf32>, %s: tensor<1xi64>) {
  // expected-error @+1 {{changes the rank or element type}}
  %0 = qcc.slice %x, %s, %s, %s {axes = array<i64: 1>} : (tensor<4x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<4xf32>
  return
}

// -----

// Tests that slice bounds have one entry per axis.
func.func @slice_bounds(%x: tensor<4x8xf32>, %s: tensor<2xi64>) {
  // expected-error @+1 {{starts, ends and steps need one entry per axis (1)}}
  %0 = qcc.slice %x, %s, %s, %s {axes = array<i64: 1>} : (tensor<4x8xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<4x2xf32>
  return
}

// -----

// Tests that slice leaves dimensions it does not slice alone.
func.func @slice_unsliced(%x: tensor<4x8xf32>, %s: tensor<1xi64>) {
  // expected-error @+1 {{changes dimension 0, which is not sliced}}
  %0 = qcc.slice %x, %s, %s, %s {axes = array<i64: 1>} : (tensor<4x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<3x2xf32>
  return
}

// -----

// Tests that slice axes are in range.
func.func @slice_axis(%x: tensor<4x8xf32>, %s: tensor<1xi64>) {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %0 = qcc.slice %x, %s, %s, %s {axes = array<i64: 2>} : (tensor<4x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<4x8xf32>
  return
}

// -----

// Tests that squeeze removes only size-1 dimensions.
func.func @squeeze_size(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{squeezes dimension 1 of size 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.squeeze %x {axes = array<i64: 1>} : (tensor<2x3xf32>) -> tensor<2xf32>
  return
}

// -----

// Tests that unsqueeze axes index the result.
func.func @unsqueeze_axis(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{axis 3 is out of range for rank 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.unsqueeze %x {axes = array<i64: 3>} : (tensor<2x3xf32>) -> tensor<2x3x1xf32>
  return
}

// -----

// Tests that constant_of_shape's value has the result element type.
func.func @constant_of_shape_type(%s: tensor<2xi64>) {
  // expected-error @+1 {{value type 'f32' differs from the result element type}}
  %0 = qcc.constant_of_shape %s {value = 0.0 : f32} : (tensor<2xi64>) -> tensor<?x?xi64>
  return
}

// -----

// Tests that constant_of_shape's shape has one entry per dimension.
func.func @constant_of_shape_rank(%s: tensor<3xi64>) {
  // expected-error @+1 {{shape has 3 entries for result rank 2}}
  %0 = qcc.constant_of_shape %s {value = 0.0 : f32} : (tensor<3xi64>) -> tensor<?x?xf32>
  return
}

// -----

// Tests that range takes scalars of the result element type.
func.func @range_scalars(%a: tensor<1xi64>) {
  // expected-error @+1 {{expects scalar operands of the result element type}}
  %0 = qcc.range %a, %a, %a : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?xi64>
  return
}

// -----

// Tests that range produces a 1-D tensor.
func.func @range_result(%a: tensor<i64>) {
  // expected-error @+1 {{expects a 1-D result}}
  %0 = qcc.range %a, %a, %a : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?x?xi64>
  return
}

// -----

// Tests that trilu needs a matrix.
func.func @trilu_rank(%x: tensor<8xf32>) {
  // expected-error @+1 {{expects an input of rank >= 2}}
  %0 = qcc.trilu %x : tensor<8xf32>
  return
}

// -----

// Tests that qlinear knows its formats.
func.func @qlinear_format(%x: tensor<4x64xf32>, %w: tensor<8x64xi4>, %s: tensor<8x1xf32>) {
  // expected-error @+1 {{weight_format "int3" is not one of int8, int4, fp8_e4m3, fp4_e2m1}}
  %0 = qcc.qlinear %x, %w, %s {group_size = 64 : i64, weight_format = "int3"} : (tensor<4x64xf32>, tensor<8x64xi4>, tensor<8x1xf32>) -> tensor<4x8xf32>
  return
}

// -----

// Tests that the weight's type is the format's.
func.func @qlinear_storage(%x: tensor<4x64xf32>, %w: tensor<8x64xi8>, %s: tensor<8x1xf32>) {
  // expected-error @+1 {{expects a [N, K] weight of 'i4' for int4, got 'tensor<8x64xi8>'}}
  %0 = qcc.qlinear %x, %w, %s {group_size = 64 : i64, weight_format = "int4"} : (tensor<4x64xf32>, tensor<8x64xi8>, tensor<8x1xf32>) -> tensor<4x8xf32>
  return
}

// -----

// Tests that the scales have one column per group.
func.func @qlinear_scales(%x: tensor<4x64xf32>, %w: tensor<8x64xi4>, %s: tensor<8x3xf32>) {
  // expected-error @+1 {{scales must be [N, ceil(K / group_size)] = [8, 2], got 'tensor<8x3xf32>'}}
  %0 = qcc.qlinear %x, %w, %s {group_size = 32 : i64, weight_format = "int4"} : (tensor<4x64xf32>, tensor<8x64xi4>, tensor<8x3xf32>) -> tensor<4x8xf32>
  return
}

// -----

// Tests that the input has K features.
func.func @qlinear_k(%x: tensor<4x32xf32>, %w: tensor<8x64xi4>, %s: tensor<8x1xf32>) {
  // expected-error @+1 {{input 'tensor<4x32xf32>' does not have K = 64 features}}
  %0 = qcc.qlinear %x, %w, %s {group_size = 64 : i64, weight_format = "int4"} : (tensor<4x32xf32>, tensor<8x64xi4>, tensor<8x1xf32>) -> tensor<4x8xf32>
  return
}

// -----

// Tests that zero points match the weight type and the scales' shape.
func.func @qlinear_zeros(%x: tensor<4x64xf32>, %w: tensor<8x64xui4>, %s: tensor<8x1xf32>, %z: tensor<8x1xi8>) {
  // expected-error @+1 {{zero points must be of the weight's type, shaped like the scales}}
  %0 = qcc.qlinear %x, %w, %s zero_points %z {group_size = 64 : i64, weight_format = "int4"} : (tensor<4x64xf32>, tensor<8x64xui4>, tensor<8x1xf32>, tensor<8x1xi8>) -> tensor<4x8xf32>
  return
}

// -----

// Tests that zero points are for integer formats.
func.func @qlinear_float_zeros(%x: tensor<4x64xf32>, %w: tensor<8x64xf8E4M3FN>, %s: tensor<8x1xf32>, %z: tensor<8x1xf8E4M3FN>) {
  // expected-error @+1 {{zero points apply to integer formats only}}
  %0 = qcc.qlinear %x, %w, %s zero_points %z {group_size = 64 : i64, weight_format = "fp8_e4m3"} : (tensor<4x64xf32>, tensor<8x64xf8E4M3FN>, tensor<8x1xf32>, tensor<8x1xf8E4M3FN>) -> tensor<4x8xf32>
  return
}

// -----

// Tests that group_size is positive.
func.func @qlinear_group(%x: tensor<4x64xf32>, %w: tensor<8x64xi4>, %s: tensor<8x1xf32>) {
  // expected-error @+1 {{group_size must be positive}}
  %0 = qcc.qlinear %x, %w, %s {group_size = 0 : i64, weight_format = "int4"} : (tensor<4x64xf32>, tensor<8x64xi4>, tensor<8x1xf32>) -> tensor<4x8xf32>
  return
}

// -----

// Tests that the bias has one entry per output channel.
func.func @qlinear_bias(%x: tensor<4x64xf32>, %w: tensor<8x64xi4>, %s: tensor<8x1xf32>, %b: tensor<7xf32>) {
  // expected-error @+1 {{bias must be [N] = [8]}}
  %0 = qcc.qlinear %x, %w, %s bias %b {group_size = 64 : i64, weight_format = "int4"} : (tensor<4x64xf32>, tensor<8x64xi4>, tensor<8x1xf32>, tensor<7xf32>) -> tensor<4x8xf32>
  return
}

// -----

// Tests that the result is [..., N] of the input's type.
func.func @qlinear_result(%x: tensor<4x64xf32>, %w: tensor<8x64xi4>, %s: tensor<8x1xf32>) {
  // expected-error @+1 {{result must be 'tensor<4x8xf32>'}}
  %0 = qcc.qlinear %x, %w, %s {group_size = 64 : i64, weight_format = "int4"} : (tensor<4x64xf32>, tensor<8x64xi4>, tensor<8x1xf32>) -> tensor<4x9xf32>
  return
}

// -----

// Tests that two-level scales come with channel scales.
func.func @qlinear_two_level(%x: tensor<4x64xf32>, %w: tensor<8x64xi4>, %s: tensor<8x2xui8>) {
  // expected-error @+1 {{scales of 'ui8' need channel_scales}}
  %0 = qcc.qlinear %x, %w, %s {group_size = 32 : i64, weight_format = "int4"} : (tensor<4x64xf32>, tensor<8x64xi4>, tensor<8x2xui8>) -> tensor<4x8xf32>
  return
}

// -----

// Tests that MX scales belong to fp4 weights.
func.func @qlinear_mx(%x: tensor<4x64xf32>, %w: tensor<8x64xi4>, %s: tensor<8x2xf8E8M0FNU>) {
  // expected-error @+1 {{e8m0 (MX) scales need fp4_e2m1 weights}}
  %0 = qcc.qlinear %x, %w, %s {group_size = 32 : i64, weight_format = "int4"} : (tensor<4x64xf32>, tensor<8x64xi4>, tensor<8x2xf8E8M0FNU>) -> tensor<4x8xf32>
  return
}

// -----

// Tests that integer activations need integer weights.
func.func @qlinear_activation(%x: tensor<4x64xf32>, %w: tensor<8x64xf8E4M3FN>, %s: tensor<8x1xf32>) {
  // expected-error @+1 {{activation_format int8 needs int4 or int8 weights}}
  %0 = qcc.qlinear %x, %w, %s {activation_format = "int8", group_size = 64 : i64, weight_format = "fp8_e4m3"} : (tensor<4x64xf32>, tensor<8x64xf8E4M3FN>, tensor<8x1xf32>) -> tensor<4x8xf32>
  return
}

// -----

// Tests that Runtime Smooth groups align with weight groups.
func.func @qlinear_smooth(%x: tensor<4x64xf32>, %w: tensor<8x64xi4>, %s: tensor<8x2xf32>) {
  // expected-error @+1 {{runtime_smooth_group 24 must be positive and divide or be divided by the group size 32}}
  %0 = qcc.qlinear %x, %w, %s {activation_format = "int8", group_size = 32 : i64, runtime_smooth_group = 24 : i64, weight_format = "int4"} : (tensor<4x64xf32>, tensor<8x64xi4>, tensor<8x2xf32>) -> tensor<4x8xf32>
  return
}

// -----

// Tests that LoRC factors have matching shapes.
func.func @qlinear_lorc(%x: tensor<4x64xf32>, %w: tensor<8x64xi4>, %s: tensor<8x2xf32>, %u: tensor<8x4xf16>, %v: tensor<3x64xf16>) {
  // expected-error @+1 {{LoRC factors must be [N, r] and [r, K] with N = 8, K = 64}}
  %0 = qcc.qlinear %x, %w, %s lorc %u, %v {group_size = 32 : i64, weight_format = "int4"} : (tensor<4x64xf32>, tensor<8x64xi4>, tensor<8x2xf32>, tensor<8x4xf16>, tensor<3x64xf16>) -> tensor<4x8xf32>
  return
}

// -----

// Tests that quantize knows its formats.
func.func @quantize_format(%x: tensor<4x64xf32>) {
  // expected-error @+1 {{format "int2" is not one of int8, int4, fp8_e4m3}}
  %0, %1 = qcc.quantize %x {format = "int2"} : (tensor<4x64xf32>) -> (tensor<4x64xi8>, tensor<4x1xf32>)
  return
}

// -----

// Tests that hadamard blocks have a construction.
func.func @hadamard_order(%x: tensor<4x172xf32>) {
  // expected-error @+1 {{no Hadamard matrix of order 172 is constructed}}
  %0 = qcc.hadamard %x {block_size = 172 : i64} : tensor<4x172xf32>
  return
}

// -----

// Tests that hadamard blocks divide the rows.
func.func @hadamard_block(%x: tensor<4x100xf32>) {
  // expected-error @+1 {{block_size 12 does not divide the last dimension 100}}
  %0 = qcc.hadamard %x {block_size = 12 : i64} : tensor<4x100xf32>
  return
}
