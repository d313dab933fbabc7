// pool2d.cpp — max and average pooling; see pool2d.hpp. Planes (b,c) are independent, so each
// thread takes whole planes: no two threads write the same element, for any thread count.
#include "common/nn/pool2d.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "common/core/error.hpp"
#include "common/core/thread_pool.hpp"

namespace attn {

// wins ? a : b, computed with a mask instead of a branch. With a ternary the compiler emits a jump,
// which mispredicts about every other time on real activations (half of them relu zeros), and the
// pooling took longer than the convolution before it.
static inline float select(int wins, float a, float b) {
    uint32_t ua, ub;
    std::memcpy(&ua, &a, 4), std::memcpy(&ub, &b, 4);
    const uint32_t m = 0u - (uint32_t)wins, u = (ua & m) | (ub & ~m);
    float r;
    std::memcpy(&r, &u, 4);
    return r;
}
static inline int select(int wins, int a, int b) { return (a & -wins) | (b & ~-wins); }

// planes per thread chunk: small tensors stay on one thread (a hand-off costs more than the work)
static int planes_chunk(int H, int W) { return std::max(1, 16384 / std::max(H * W, 1)); }

int pool2d_out_size(int in, int k, int stride) {
    if (k < 1 || stride < 1 || in < k)
        fail("pool2d", "a " + std::to_string(k) + "x" + std::to_string(k) + " window with stride " +
                           std::to_string(stride) + " does not fit an input of size " + std::to_string(in),
             "pooling has no padding: the input must be at least k wide");
    return (in - k) / stride + 1;
}

// One plane's max pooling. K and S > 0 fix the window and stride at compile time (the common 2×2,
// stride 2: the compiler unrolls the window, 2.3 times faster); 0 means "read k and stride at run time".
template <int K, int S>
static void maxpool_plane(float* __restrict out, int* __restrict argmax, const float* __restrict in, int W,
                          int OH, int OW, int k_rt, int stride_rt) {
    const int k = K > 0 ? K : k_rt, stride = S > 0 ? S : stride_rt;
    for (int y = 0; y < OH; y++)
        for (int x = 0; x < OW; x++) {
            float best = -INFINITY;  // below every float, so the first element of the window always wins
            int best_at = (y * stride) * W + x * stride;
            for (int i = 0; i < k; i++)
                for (int j = 0; j < k; j++) {
                    const int at = (y * stride + i) * W + (x * stride + j);
                    const float v = in[at];
                    // a NaN wins too (as in PyTorch), so a diverged input is not hidden by the pooling
                    const int wins = (v > best) | (v != v);
                    best = select(wins, v, best);
                    best_at = select(wins, at, best_at);
                }
            out[(size_t)y * OW + x] = best;
            argmax[(size_t)y * OW + x] = best_at;
        }
}

void maxpool2d_forward(float* out, int* argmax, const float* inp, int B, int C, int H, int W, int k, int stride) {
    // inp is (B,C,H,W), out and argmax are (B,C,OH,OW)
    const int OH = pool2d_out_size(H, k, stride), OW = pool2d_out_size(W, k, stride);
    auto plane = (k == 2 && stride == 2) ? maxpool_plane<2, 2> : maxpool_plane<0, 0>;
    parallel_for(B * C, [=](int p0, int p1) {
        for (int p = p0; p < p1; p++)
            plane(out + (size_t)p * OH * OW, argmax + (size_t)p * OH * OW, inp + (size_t)p * H * W, W, OH, OW, k,
                  stride);
    }, planes_chunk(H, W));
}

void maxpool2d_backward(float* dinp, const float* dout, const int* argmax, int B, int C, int H, int W, int k,
                        int stride) {
    // out = inp[argmax]  ->  dinp[argmax] += dout (the other k²−1 inputs of the window get nothing)
    const int OH = pool2d_out_size(H, k, stride), OW = pool2d_out_size(W, k, stride);
    parallel_for(B * C, [=](int p0, int p1) {
        for (int p = p0; p < p1; p++)
            for (int o = 0; o < OH * OW; o++) {
                size_t idx = (size_t)p * OH * OW + o;
                dinp[(size_t)p * H * W + argmax[idx]] += dout[idx];
            }
    }, planes_chunk(H, W));
}

void avgpool2d_forward(float* out, const float* inp, int B, int C, int H, int W, int k, int stride) {
    // inp is (B,C,H,W), out is (B,C,OH,OW)
    const int OH = pool2d_out_size(H, k, stride), OW = pool2d_out_size(W, k, stride);
    const float scale = 1.0f / (float)(k * k);
    parallel_for(B * C, [=](int p0, int p1) {
        for (int p = p0; p < p1; p++) {
            const float* in_p = inp + (size_t)p * H * W;
            for (int y = 0; y < OH; y++)
                for (int x = 0; x < OW; x++) {
                    float s = 0.0f;
                    for (int i = 0; i < k; i++)
                        for (int j = 0; j < k; j++) s += in_p[(y * stride + i) * W + (x * stride + j)];
                    out[((size_t)p * OH + y) * OW + x] = s * scale;
                }
        }
    }, planes_chunk(H, W));
}

void avgpool2d_backward(float* dinp, const float* dout, int B, int C, int H, int W, int k, int stride) {
    // out = (1/k²) Σ_window inp  ->  every input of the window gets dout / k²
    const int OH = pool2d_out_size(H, k, stride), OW = pool2d_out_size(W, k, stride);
    const float scale = 1.0f / (float)(k * k);
    parallel_for(B * C, [=](int p0, int p1) {
        for (int p = p0; p < p1; p++) {
            float* din_p = dinp + (size_t)p * H * W;
            for (int y = 0; y < OH; y++)
                for (int x = 0; x < OW; x++) {
                    float g = dout[((size_t)p * OH + y) * OW + x] * scale;
                    for (int i = 0; i < k; i++)
                        for (int j = 0; j < k; j++) din_p[(y * stride + i) * W + (x * stride + j)] += g;
                }
        }
    }, planes_chunk(H, W));
}

}  // namespace attn
