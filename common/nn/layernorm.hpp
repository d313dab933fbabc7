// layernorm.hpp — layer normalisation (Ba, Kiros & Hinton 2016) over the last dimension.
//
//   μ_n = (1/C) Σ_c x[n,c]          σ²_n = (1/C) Σ_c (x[n,c] − μ_n)²   (biased variance, as PyTorch)
//   r_n = 1 / √(σ²_n + eps)         x̂[n,c] = (x[n,c] − μ_n) · r_n
//   out[n,c] = γ_c · x̂[n,c] + β_c
//
// mean and rstd (= r_n) are a cache the backward reads. N is every leading dimension
// flattened (B·T), C the normalised one. Backward ACCUMULATES (+=) into dinp, dgamma, dbeta;
// any of the three may be nullptr to skip it. gamma/beta may be nullptr in the forward for a
// plain normalisation (γ = 1, β = 0).
// Determinism: dinp is split among threads by rows; dgamma/dbeta by columns, each column
// summed over n = 0..N−1 in order, so results are bit-identical for any thread count.
#pragma once

namespace attn {

// inp, out are (N,C); gamma, beta are (C); mean, rstd are (N)
void layernorm_forward(float* out, float* mean, float* rstd, const float* inp, const float* gamma,
                       const float* beta, int N, int C, float eps = 1e-5f);
// dinp (N,C), dgamma (C), dbeta (C) += gradients; dout, inp (N,C); mean, rstd (N) from the forward.
// accumulate = false: dinp = its gradient instead of += (not cleared first; the same bits as adding
// into zeros). dgamma and dbeta always add.
void layernorm_backward(float* dinp, float* dgamma, float* dbeta, const float* dout, const float* inp,
                        const float* gamma, const float* mean, const float* rstd, int N, int C,
                        bool accumulate = true);

}  // namespace attn
