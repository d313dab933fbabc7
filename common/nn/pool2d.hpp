// pool2d.hpp — max and average pooling over k×k windows, NCHW.
//
//   inp (B, C, H, W)  ->  out (B, C, OH, OW),  OH = (H − k) / stride + 1,  OW = (W − k) / stride + 1
//
// No padding: every window lies wholly inside the image (rows/columns that no window reaches are
// simply not pooled, as in PyTorch with padding=0), so the average always divides by k·k.
// Windows may overlap (stride < k); backward then adds the contributions of every window.
#pragma once

namespace attn {

// (in − k) / stride + 1; fails when the window does not fit
int pool2d_out_size(int in, int k, int stride);

// out[b,c,y,x] = max_{i,j<k} inp[b,c, y·stride + i, x·stride + j]
// argmax (B,C,OH,OW): where that max was, as an index h·W + w into its (H,W) plane (first max on ties).
void maxpool2d_forward(float* out, int* argmax, const float* inp, int B, int C, int H, int W, int k, int stride);
// dinp (B,C,H,W) += dout routed to the argmax of each window. accumulate = false: dinp = that instead
// (each plane cleared just before its windows add into it: the same bits, no separate clearing pass)
void maxpool2d_backward(float* dinp, const float* dout, const int* argmax, int B, int C, int H, int W, int k,
                        int stride, bool accumulate = true);

// out[b,c,y,x] = (1/k²) Σ_{i,j<k} inp[b,c, y·stride + i, x·stride + j]
void avgpool2d_forward(float* out, const float* inp, int B, int C, int H, int W, int k, int stride);
// dinp (B,C,H,W) += dout / k² spread over each window
void avgpool2d_backward(float* dinp, const float* dout, int B, int C, int H, int W, int k, int stride);

}  // namespace attn
