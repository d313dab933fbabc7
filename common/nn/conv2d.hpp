// conv2d.hpp — 2-D convolution (cross-correlation, as in PyTorch's nn.Conv2d) by im2col + matmul.
//
//   out[b,o,y,x] = bias[o] + Σ_{c,i,j} W[o,c,i,j] · inp[b, c, y·stride − pad + i, x·stride − pad + j]
//
// with zero padding: pixels outside the image read as 0. Shapes (NCHW, row-major):
//   inp (B, C_in, H, Wd)   W (C_out, C_in, KH, KW)   bias (C_out)   out (B, C_out, OH, OW)
//   OH = conv2d_out_size(H, KH, stride, pad), OW = conv2d_out_size(Wd, KW, stride, pad)
//
// Why im2col (im2col.hpp): copying every receptive field of image b into a column of a matrix
//   cols_b (C_in·KH·KW, OH·OW)
// turns the convolution into one matrix product out_b (C_out, OH·OW) = W (C_out, C_in·KH·KW) · cols_b,
// and the matmul is where all the speed lives. The products take a few images at a time, their
// matrices side by side (cols_g (C_in·KH·KW, g·OH·OW), small enough to stay in the cache between
// im2col and the matmul), in the scratch `cols` (C_in·KH·KW, B·OH·OW) = conv2d_cols_size(...) floats;
// the gradient dW adds image after image (small images a few side by side in one product). Each
// output is still the sum image by image would give, in the same order (conv2d.cpp).
// Stride 1 without padding (chapter 09's 5×5 convs) skips im2col: every entry of cols_b is a pixel
// of the image, and the direct path (conv2d_direct.hpp) reads it there, with the same sums in the
// same order. With padding, where the direct kernels win (conv2d_direct.hpp says when: chapter 11's
// wider 3×3 convs), the images are first copied into zero-bordered ones in `cols`, and those are
// convolved directly.
#pragma once
#include <cstddef>

namespace attn {

// (in + 2·pad − k) / stride + 1; fails when the kernel does not fit
int conv2d_out_size(int in, int k, int stride, int pad);
// floats needed by the `cols` scratch of conv2d_forward / conv2d_backward: B·C_in·KH·KW·OH·OW
size_t conv2d_cols_size(int B, int C_in, int H, int Wd, int KH, int KW, int stride, int pad);

// inp (B,C_in,H,Wd), W (C_out,C_in,KH,KW), b (C_out) or nullptr -> out (B,C_out,OH,OW).
// cols: scratch of conv2d_cols_size(...) floats (overwritten).
void conv2d_forward(float* out, float* cols, const float* inp, const float* W, const float* b, int B, int C_in,
                    int H, int Wd, int C_out, int KH, int KW, int stride, int pad);
// dinp (B,C_in,H,Wd) += ∂L/∂inp, dW (C_out,C_in,KH,KW) += ∂L/∂W, db (C_out) += ∂L/∂b; any may be nullptr.
// dout is (B,C_out,OH,OW); cols: the same scratch as forward (overwritten; its content is not reused).
void conv2d_backward(float* dinp, float* dW, float* db, const float* dout, const float* inp, const float* W,
                     float* cols, int B, int C_in, int H, int Wd, int C_out, int KH, int KW, int stride, int pad);

// The naive twin: the defining 7-deep loop, no scratch. The tests hold conv2d_forward equal to it.
void conv2d_forward_naive(float* out, const float* inp, const float* W, const float* b, int B, int C_in, int H,
                          int Wd, int C_out, int KH, int KW, int stride, int pad);

}  // namespace attn
