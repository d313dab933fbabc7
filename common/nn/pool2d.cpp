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

// One plane's max pooling, any window and stride: the plain scan of each window.
static void maxpool_plane(float* __restrict out, int* __restrict argmax, const float* __restrict in, int W, int OH,
                          int OW, int k, int stride) {
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

// The common 2×2 window with stride 2: outputs x0 … x0+V−1 of output row y, the same comparisons in
// the same order as maxpool_plane (the window's first element, then the three others, each winning
// when larger or NaN). V is fixed at compile time, so the compiler runs the V windows side by side
// in vector registers; maxpool_plane's loop over a 14- or 7-wide row compiled to 8 lanes and a scalar
// tail, which left the pooling 6–8 times slower (3.5 ms against 0.5 ms per 128×24×28×28 call).
template <int V>
static void maxpool2x2_run(float* __restrict out, int* __restrict argmax, const float* __restrict in, int W, int y,
                           int x0) {
    const float* r0 = in + (size_t)(2 * y) * W;  // the window's two input rows
    const float* r1 = r0 + W;
    for (int l = 0; l < V; l++) {
        const int x = x0 + l, at = 2 * y * W + 2 * x;
        float best = r0[2 * x];
        int best_at = at;
        const float v1 = r0[2 * x + 1], v2 = r1[2 * x], v3 = r1[2 * x + 1];
        int wins = (v1 > best) | (v1 != v1);
        best = select(wins, v1, best), best_at = select(wins, at + 1, best_at);
        wins = (v2 > best) | (v2 != v2);
        best = select(wins, v2, best), best_at = select(wins, at + W, best_at);
        wins = (v3 > best) | (v3 != v3);
        best = select(wins, v3, best), best_at = select(wins, at + W + 1, best_at);
        out[l] = best;
        argmax[l] = best_at;
    }
}
// One output row in runs of V (OW ≥ V); a last partial run is done as the run ending at OW, which
// overlaps the one before and writes the same values there again.
template <int V>
static void maxpool2x2_row(float* out, int* argmax, const float* in, int W, int y, int OW) {
    int x0 = 0;
    for (; x0 + V <= OW; x0 += V) maxpool2x2_run<V>(out + x0, argmax + x0, in, W, y, x0);
    if (x0 < OW) maxpool2x2_run<V>(out + OW - V, argmax + OW - V, in, W, y, OW - V);
}
static void maxpool2x2_plane(float* out, int* argmax, const float* in, int W, int OH, int OW) {
    for (int y = 0; y < OH; y++) {
        float* o = out + (size_t)y * OW;
        int* a = argmax + (size_t)y * OW;
        if (OW >= 16) maxpool2x2_row<16>(o, a, in, W, y, OW);
        else if (OW >= 8) maxpool2x2_row<8>(o, a, in, W, y, OW);
        else if (OW >= 4) maxpool2x2_row<4>(o, a, in, W, y, OW);
        else maxpool2x2_row<1>(o, a, in, W, y, OW);
    }
}

void maxpool2d_forward(float* out, int* argmax, const float* inp, int B, int C, int H, int W, int k, int stride) {
    // inp is (B,C,H,W), out and argmax are (B,C,OH,OW)
    const int OH = pool2d_out_size(H, k, stride), OW = pool2d_out_size(W, k, stride);
    const bool two_by_two = k == 2 && stride == 2;
    parallel_for(B * C, [=](int p0, int p1) {
        for (int p = p0; p < p1; p++) {
            float* o = out + (size_t)p * OH * OW;
            int* a = argmax + (size_t)p * OH * OW;
            const float* in = inp + (size_t)p * H * W;
            if (two_by_two) maxpool2x2_plane(o, a, in, W, OH, OW);
            else maxpool_plane(o, a, in, W, OH, OW, k, stride);
        }
    }, planes_chunk(H, W));
}

void maxpool2d_backward(float* dinp, const float* dout, const int* argmax, int B, int C, int H, int W, int k,
                        int stride, bool accumulate) {
    // out = inp[argmax]  ->  dinp[argmax] += dout (the other k²−1 inputs of the window get nothing)
    const int OH = pool2d_out_size(H, k, stride), OW = pool2d_out_size(W, k, stride);
    parallel_for(B * C, [=](int p0, int p1) {
        for (int p = p0; p < p1; p++) {
            if (!accumulate) std::fill(dinp + (size_t)p * H * W, dinp + (size_t)(p + 1) * H * W, 0.0f);
            for (int o = 0; o < OH * OW; o++) {
                size_t idx = (size_t)p * OH * OW + o;
                dinp[(size_t)p * H * W + argmax[idx]] += dout[idx];
            }
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
