// init.hpp — weight initialisers. Call them after ParamSet::allocate() (which zeroes everything).
//
//   init_xavier_uniform(m.W1, rng, /*fan_in*/ D, /*fan_out*/ H);   // tanh / sigmoid / attention layers
//   init_kaiming_normal(m.W2, rng, /*fan_in*/ H);                 // layers followed by ReLU
//   init_orthogonal_blocks(m.W_hh, rng, 3);                       // GRU W_hh (3H, H): each gate's HxH block
//   init_constant(m.b1, 0.0f);
//
// Why these scales: a layer y = W x with fan_in inputs of variance 1 has Var(y) = fan_in * Var(W).
// Xavier (Glorot & Bengio 2010) keeps the variance of activations AND of gradients roughly equal
// across layers: Var(W) = 2 / (fan_in + fan_out). Kaiming (He et al. 2015) makes up for ReLU
// zeroing half of its inputs: Var(W) = 2 / fan_in. An orthogonal recurrent matrix (Saxe et al.
// 2014) keeps every singular value at 1, so the hidden state neither blows up nor dies when the
// same matrix is applied over many time steps.
//
// All draw from the Rng passed in, in row-major order, so the same seed gives the same weights.
#pragma once
#include <cstddef>

#include "common/core/params.hpp"
#include "common/core/rng.hpp"

namespace attn {

// U(lo, hi) for every element
void init_uniform(Tensor& t, Rng& rng, float lo, float hi);
void init_uniform(float* data, size_t n, Rng& rng, float lo, float hi);

// N(0, std^2) for every element
void init_normal(Tensor& t, Rng& rng, float std);
void init_normal(float* data, size_t n, Rng& rng, float std);

void init_constant(Tensor& t, float v);

// Xavier/Glorot uniform: U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)), so Var = gain^2 *
// 2/(fan_in+fan_out)
void init_xavier_uniform(Tensor& t, Rng& rng, int fan_in, int fan_out, float gain = 1.0f);

// Kaiming/He normal: N(0, std^2), std = gain / sqrt(fan_in); gain sqrt(2) is ReLU's
void init_kaiming_normal(Tensor& t, Rng& rng, int fan_in, float gain = 1.41421356f);

// Kaiming/He uniform: U(-a, a), a = gain * sqrt(3 / fan_in) (same variance as kaiming_normal).
// gain = 1/sqrt(3) gives a = 1/sqrt(fan_in), PyTorch's default for nn.Linear and nn.Conv2d.
void init_kaiming_uniform(Tensor& t, Rng& rng, int fan_in, float gain = 1.41421356f);

// Orthogonal (torch.nn.init.orthogonal_): the tensor is a rows x cols matrix with rows = shape[0]
// and cols = the product of the other dimensions. A Gaussian matrix is factored A = QR by modified
// Gram-Schmidt in double; Q (with R's diagonal positive, i.e. sign-corrected as PyTorch does) times
// gain is the result. rows >= cols: orthonormal columns (Q^T Q = I); rows < cols: orthonormal
// rows (Q Q^T = I).
void init_orthogonal(Tensor& t, Rng& rng, float gain = 1.0f);
void init_orthogonal(float* data, int rows, int cols, Rng& rng, float gain = 1.0f);

// A stack of `blocks` matrices along shape[0] (e.g. a GRU's W_hh of (3H, H): reset, update, new),
// each (shape[0]/blocks) x cols block made orthogonal on its own. One orthogonal (3H, H) matrix
// would NOT make each gate's HxH block orthogonal, which is what the recurrence applies.
void init_orthogonal_blocks(Tensor& t, Rng& rng, int blocks, float gain = 1.0f);

}  // namespace attn
