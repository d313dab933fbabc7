// batchnorm2d.hpp — batch normalisation over the channels of images (Ioffe & Szegedy 2015), as
// PyTorch's nn.BatchNorm2d.
//
// inp, out are (B,C,HW) — NCHW with the two spatial dimensions flattened. Per channel c, over the
// N = B·HW values of the batch:
//   μ_c = (1/N) Σ_{b,p} x[b,c,p]          σ²_c = (1/N) Σ_{b,p} (x[b,c,p] − μ_c)²   (biased, as PyTorch)
//   r_c = 1 / √(σ²_c + eps)               x̂[b,c,p] = (x[b,c,p] − μ_c) · r_c
//   out[b,c,p] = γ_c · x̂[b,c,p] + β_c
// Training uses the batch's own μ, σ² and keeps running averages for evaluation:
//   running_mean ← (1 − m)·running_mean + m·μ_c
//   running_var  ← (1 − m)·running_var  + m·σ²_c · N/(N − 1)      (the UNBIASED variance, as PyTorch)
// Evaluation normalises with the running averages instead (out is then an affine map of x, the same
// for every batch), so a test prediction does not depend on which other images share its batch.
//
// mean and rstd (C) are the cache the backward reads. Backward ACCUMULATES (+=) into dinp, dgamma,
// dbeta (any may be nullptr). Channels are independent: each thread owns whole channels, and every
// sum runs over b, p in order, so results are bit-identical for any thread count.
#pragma once

namespace attn {

// Training mode: batch statistics; updates running_mean / running_var (C) when they are non-null.
void batchnorm2d_forward_train(float* out, float* mean, float* rstd, float* running_mean, float* running_var,
                               const float* inp, const float* gamma, const float* beta, int B, int C, int HW,
                               float momentum = 0.1f, float eps = 1e-5f);
// Evaluation mode: out = γ (x − running_mean) / √(running_var + eps) + β.
void batchnorm2d_forward_eval(float* out, const float* inp, const float* gamma, const float* beta,
                              const float* running_mean, const float* running_var, int B, int C, int HW,
                              float eps = 1e-5f);
// The training-mode backward: dinp (B,C,HW), dgamma (C), dbeta (C) += gradients; dout, inp (B,C,HW);
// mean, rstd (C) from batchnorm2d_forward_train. accumulate = false: dinp = its gradient instead of +=
// (the same bits as adding into a cleared dinp, without the pass that clears it).
void batchnorm2d_backward(float* dinp, float* dgamma, float* dbeta, const float* dout, const float* inp,
                          const float* gamma, const float* mean, const float* rstd, int B, int C, int HW,
                          bool accumulate = true);

// Batch norm and then relu, in one pass (chapter 11's conv → BN → relu blocks):
//   out = max(0, γ x̂ + β)
// The same numbers as batchnorm2d_forward_train (or _eval) followed by relu_forward, without writing
// the normalised values out and reading them back in. Arguments as above.
void batchnorm2d_relu_forward_train(float* out, float* mean, float* rstd, float* running_mean, float* running_var,
                                    const float* inp, const float* gamma, const float* beta, int B, int C, int HW,
                                    float momentum = 0.1f, float eps = 1e-5f);
void batchnorm2d_relu_forward_eval(float* out, const float* inp, const float* gamma, const float* beta,
                                   const float* running_mean, const float* running_var, int B, int C, int HW,
                                   float eps = 1e-5f);
// Its backward. dout is ∂L/∂out and out the forward's output: the relu passes dout where out > 0,
// which is where γ x̂ + β > 0 (relu_backward's mask), and batch norm's backward takes it from there,
// with the same numbers as relu_backward then batchnorm2d_backward. dout is OVERWRITTEN with the
// relu's gradient, dout ⊙ [out > 0], while batch norm's first pass reads it: no pass of its own.
// dinp may be dout itself (with accumulate = false): each value of dinp is written after the last read
// of the same place in dout, so the gradient is computed in place, in the buffer it came in. (Chapter
// 11's first stage: a 10 MB buffer fewer to stream through the caches, 0.83–0.86 of this backward's
// time; the plain CNN's whole step 0.95 on one thread, 0.97 on two.)
void batchnorm2d_relu_backward(float* dinp, float* dgamma, float* dbeta, float* dout, const float* out,
                               const float* inp, const float* gamma, const float* mean, const float* rstd, int B,
                               int C, int HW, bool accumulate = true);

}  // namespace attn
