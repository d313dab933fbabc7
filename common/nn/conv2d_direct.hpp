// conv2d_direct.hpp — the stride-1 convolution (chapter 09's 5×5 convs, chapter 11's 3×3 ones) without
// im2col.
//
//   out[b,o,q] = bias[o] + Σ_k W[o,k] · inp_b[tap[k] + pix[q]]
//   tap[k] = c·H·Wd + i·Wd + j  for k = (c·KH + i)·KW + j,    pix[q] = y·Wd + x  for q = y·OW + x
//
// With no padding every tap of every output pixel is a pixel of the image, so the im2col matrix
// cols_b[k, q] = inp_b[tap[k] + pix[q]] need not be written: a kernel reads each entry where it lies
// (an "implicit" im2col). Its lanes are VL output channels; for one tap k it loads W[o0 .. o0+VL, k]
// (from Wᵀ, transposed once per call) and multiplies it by the one input number of each of X
// consecutive output pixels (q0, ..., q0 + X − 1, on across a row's end), in X accumulators:
//   acc[x] (VL channels at pixel q0 + x) += Wᵀ[k, o0 ..] · inp_b[tap[k] + pix[q0 + x]]
// The weight gradient is the same with the roles swapped: lanes VL channels of dout (transposed to
// (B, P, C_out) once per call), a row of T taps in T accumulators, the chain over the batch's pixels:
//   acc[t] (dW[o0 .., k0 + t]) += doutᵀ[b, q, o0 ..] · inp_b[tap[k0 + t] + pix[q]]
// Each output is the chain of fused multiply-adds the im2col product computed, in the same order
// (k = 0, 1, ... from 0, then + bias; for dW from its old value, b then q), so the same bits.
// The input gradient has lanes of VL input channels (conv2d_direct_input_grad.cpp), so it is taken with at least
// VL/2 of them; with fewer (chapter 09's first convs, one channel) it stays im2col's.
// Why: on chapter 09's 8×8 and 24×24 outputs, im2col's copies and the products' packing took most of
// a conv's time. One thread, a batch of 64, the classifier's second conv (16 → 48 channels, 12×12 →
// 8×8): forward 1.67–2.36 → 0.67–0.71 ms, backward 3.28–4.47 → 1.73–1.82; the localisation net's
// second (8 → 10) forward 0.90–0.95 → 0.14 (runs minutes apart: this machine's speed drifts). Chapter
// 09's whole step, in alternating rounds in one process: 0.68 of its time on one thread, 0.71 on two.
#pragma once

namespace attn {

// Whether conv2d_forward / conv2d_backward take the direct path (they check first that an image has
// at least 4096 multiply-adds). Stride 1, and
//   - no padding: the forward and the weight gradient always (chapter 09's convs);
//   - with padding: conv2d.cpp copies the images into zero-bordered ones (in the scratch that im2col
//     would fill; padding·2 wider and higher) and convolves those without padding, the same sums
//     again (each padding zero enters its chain as im2col's zero does). That copy is a pass more, so
//     it is taken where the direct kernels beat im2col's product by more: at least VL/2 input
//     channels, tiles at least 4 pixels or taps wide, and for the forward rows at least a tile wide.
//     On AVX-512 chapter 11's middle stage (24 → 48 channels, 14×14) takes both, its last stage
//     (48 → 96, 7×7) the weight gradient; so does AVX2 (conv2d_direct.cpp says why).
bool conv2d_direct_forward_fits(int C_in, int C_out, int OW, int stride, int pad);
bool conv2d_direct_weight_grad_fits(int C_in, int C_out, int stride, int pad);
// out (B, C_out, OH, OW) = W ⋆ inp + b, as conv2d_forward (b may be nullptr)
void conv2d_direct_forward(float* out, const float* inp, const float* W, const float* b, int B, int C_in, int H,
                           int Wd, int C_out, int KH, int KW);
// dW (C_out, C_in·KH·KW) += Σ_b dout_b · cols_bᵀ, as conv2d_backward's weight gradient
void conv2d_direct_weight_grad(float* dW, const float* dout, const float* inp, int B, int C_in, int H, int Wd,
                               int C_out, int KH, int KW);
// The weight gradient of a conv with few taps, C_in·KH·KW ≤ 2·VL (chapter 11's first conv: 1 channel,
// 3×3), stride 1: the taps in the lanes (conv2d_direct_weight_grad.cpp), the same sums as conv2d_backward's.
bool conv2d_direct_weight_grad_taps_fits(int C_in, int KH, int KW, int stride);
void conv2d_direct_weight_grad_taps(float* dW, const float* dout, const float* inp, int B, int C_in, int H,
                                    int Wd, int C_out, int KH, int KW);
// Whether the input gradient takes the direct path too: stride 1, no padding, and (its lanes are input
// channels) at least VL/2 of them. (With padding it lost to im2col's: chapter 11's middle stage
// 4.1 → 6.6 ms on one thread.)
bool conv2d_direct_input_grad_fits(int C_in, int stride, int pad);
// dinp (B, C_in, H, Wd) += col2im(Wᵀ · dout_b), as conv2d_backward's input gradient
void conv2d_direct_input_grad(float* dinp, const float* dout, const float* W, int B, int C_in, int H, int Wd,
                              int C_out, int KH, int KW);

}  // namespace attn
