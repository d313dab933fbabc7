// bilinear_sampler.hpp — chapter 09: how to look. The differentiable image sampler of a spatial
// transformer, = F.grid_sample(inp, grid, mode='bilinear', padding_mode='zeros', align_corners=False).
//
// Jaderberg et al. 2015, eq. 6: output pixel i of channel c reads the input U at the source point
// (x_i^s, y_i^s), in pixel units, with the bilinear kernel max(0, 1 − |d|):
//
//     V_i^c = Σ_n Σ_m U_nm^c · max(0, 1 − |ix_i − m|) · max(0, 1 − |iy_i − n|)          (eq. 6)
//
// Only the four pixels around (ix, iy) have a non-zero weight. With x0 = ⌊ix⌋, x1 = x0 + 1,
// y0 = ⌊iy⌋, y1 = y0 + 1 and the fractional parts  ax = ix − x0,  ay = iy − y0:
//
//     V = (1−ay)(1−ax)·U[y0,x0] + (1−ay)·ax·U[y0,x1] + ay(1−ax)·U[y1,x0] + ay·ax·U[y1,x1]
//
// where a neighbour outside the image reads as 0 (padding_mode='zeros').
//
// From the normalised grid (x, y) ∈ [-1, 1] to pixel coordinates, align_corners=False convention
// (−1 and +1 are the outer edges of the border pixels, pixel m has its centre at m):
//
//     ix = ((x + 1)·W_in − 1) / 2,     iy = ((y + 1)·H_in − 1) / 2
//
// Gradients, eq. 7 adapted (the kernel is piecewise linear, so these hold away from integer ix, iy,
// where it has kinks):
//     ∂V/∂U[y0,x0] = (1−ay)(1−ax), … (each neighbour receives its own weight: a scatter-add)
//     ∂V/∂ix = (1−ay)·(U[y0,x1] − U[y0,x0]) + ay·(U[y1,x1] − U[y1,x0])
//     ∂V/∂iy = (1−ax)·(U[y1,x0] − U[y0,x0]) + ax·(U[y1,x1] − U[y0,x1])
//     ∂ix/∂x = W_in / 2,   ∂iy/∂y = H_in / 2
// That ∂V/∂x exists at all is the paper's point: the loss reaches θ through where we looked.
//
// Shapes: B batch, C channels, H_in×W_in input, H_out×W_out output.
//   inp (B,C,H_in,W_in)   grid (B,H_out,W_out,2) of (x, y)   out (B,C,H_out,W_out)
#pragma once
#include <cmath>
#include <cstddef>

#include "common/core/thread_pool.hpp"

namespace ch09 {
using namespace attn;

// The four neighbours of one sample point and their interpolation fractions.
struct BilinearTap {
    int x0, y0;     // top-left neighbour; the others are x0+1, y0+1
    float ax, ay;   // fractional parts: ix = x0 + ax, iy = y0 + ay, in [0, 1)
    bool any;       // false when no neighbour is inside the image (the sample is 0)
};

// grid point (x, y) in [-1,1] -> neighbours in an H_in×W_in image.
inline BilinearTap bilinear_tap(float x, float y, int H_in, int W_in) {
    float ix = ((x + 1.0f) * W_in - 1.0f) * 0.5f;  // ix = ((x + 1)·W_in − 1) / 2
    float iy = ((y + 1.0f) * H_in - 1.0f) * 0.5f;  // iy = ((y + 1)·H_in − 1) / 2
    BilinearTap t{0, 0, 0.0f, 0.0f, false};
    // All four neighbours are outside unless −1 < ix < W_in and −1 < iy < H_in. Testing this first
    // also keeps far-away (or NaN) points from overflowing the int conversion below.
    if (!(ix > -1.0f && ix < (float)W_in && iy > -1.0f && iy < (float)H_in)) return t;
    float fx = std::floor(ix), fy = std::floor(iy);
    t.x0 = (int)fx, t.y0 = (int)fy;
    t.ax = ix - fx, t.ay = iy - fy;
    t.any = true;
    return t;
}

// U[y, x] of one H×W image, 0 outside it (padding_mode='zeros')
inline float pixel_or_zero(const float* img, int y, int x, int H, int W) {
    return (y >= 0 && y < H && x >= 0 && x < W) ? img[(size_t)y * W + x] : 0.0f;
}

// out is (B,C,H_out,W_out); inp is (B,C,H_in,W_in); grid is (B,H_out,W_out,2).
inline void bilinear_sample_forward(float* out, const float* inp, const float* grid, int B, int C, int H_in,
                                    int W_in, int H_out, int W_out) {
    // BEGIN SOLUTION
    const size_t P = (size_t)H_out * W_out, HWi = (size_t)H_in * W_in;
    // One thread per range of output rows (b, i); it writes out[b, :, i, :] and nothing else.
    parallel_for(B * H_out, [&](int r0, int r1) {
        for (int r = r0; r < r1; r++) {
            int b = r / H_out, i = r % H_out;
            for (int j = 0; j < W_out; j++) {
                size_t p = (size_t)i * W_out + j;
                const float* g = grid + ((size_t)b * P + p) * 2;
                BilinearTap t = bilinear_tap(g[0], g[1], H_in, W_in);
                float w00 = (1 - t.ay) * (1 - t.ax), w01 = (1 - t.ay) * t.ax;  // weights of eq. 6
                float w10 = t.ay * (1 - t.ax), w11 = t.ay * t.ax;
                for (int c = 0; c < C; c++) {
                    const float* U = inp + ((size_t)b * C + c) * HWi;
                    float v = 0.0f;
                    if (t.any) {
                        // V = w00·U[y0,x0] + w01·U[y0,x1] + w10·U[y1,x0] + w11·U[y1,x1]
                        v = w00 * pixel_or_zero(U, t.y0, t.x0, H_in, W_in) +
                            w01 * pixel_or_zero(U, t.y0, t.x0 + 1, H_in, W_in) +
                            w10 * pixel_or_zero(U, t.y0 + 1, t.x0, H_in, W_in) +
                            w11 * pixel_or_zero(U, t.y0 + 1, t.x0 + 1, H_in, W_in);
                    }
                    out[((size_t)b * C + c) * P + p] = v;
                }
            }
        }
    });
    // END SOLUTION
}
// dinp (B,C,H_in,W_in) += ∂L/∂inp and dgrid (B,H_out,W_out,2) += ∂L/∂grid; either may be nullptr.
// dout is (B,C,H_out,W_out); inp and grid as in forward.
inline void bilinear_sample_backward(float* dinp, float* dgrid, const float* dout, const float* inp,
                                     const float* grid, int B, int C, int H_in, int W_in, int H_out, int W_out) {
    // BEGIN SOLUTION
    const size_t P = (size_t)H_out * W_out, HWi = (size_t)H_in * W_in;
    // Everything about output pixel p of image b, done by one thread: its scatter into dinp[b] and
    // its dgrid entry (a sum over channels, kept in one register, so no other thread touches it).
    auto pixel = [&](int b, size_t p) {
        const float* g = grid + ((size_t)b * P + p) * 2;
        BilinearTap t = bilinear_tap(g[0], g[1], H_in, W_in);
        if (!t.any) return;  // V = 0 whatever U and (x, y) are nearby: no gradient
        float w00 = (1 - t.ay) * (1 - t.ax), w01 = (1 - t.ay) * t.ax;
        float w10 = t.ay * (1 - t.ax), w11 = t.ay * t.ax;
        int x0 = t.x0, x1 = t.x0 + 1, y0 = t.y0, y1 = t.y0 + 1;
        float dix = 0.0f, diy = 0.0f;  // ∂L/∂ix, ∂L/∂iy summed over channels
        for (int c = 0; c < C; c++) {
            float d = dout[((size_t)b * C + c) * P + p];
            size_t img = ((size_t)b * C + c) * HWi;
            if (dinp) {
                // forward: V = w00·U[y0,x0] + w01·U[y0,x1] + w10·U[y1,x0] + w11·U[y1,x1]
                //   → dU[yn,xm] += w_nm · dV, for the neighbours inside the image
                float* dU = dinp + img;
                if (y0 >= 0 && x0 >= 0) dU[(size_t)y0 * W_in + x0] += w00 * d;
                if (y0 >= 0 && x1 < W_in) dU[(size_t)y0 * W_in + x1] += w01 * d;
                if (y1 < H_in && x0 >= 0) dU[(size_t)y1 * W_in + x0] += w10 * d;
                if (y1 < H_in && x1 < W_in) dU[(size_t)y1 * W_in + x1] += w11 * d;
            }
            if (dgrid) {
                const float* U = inp + img;
                float u00 = pixel_or_zero(U, y0, x0, H_in, W_in), u01 = pixel_or_zero(U, y0, x1, H_in, W_in);
                float u10 = pixel_or_zero(U, y1, x0, H_in, W_in), u11 = pixel_or_zero(U, y1, x1, H_in, W_in);
                // ∂V/∂ix = (1−ay)(U[y0,x1] − U[y0,x0]) + ay(U[y1,x1] − U[y1,x0])      (eq. 7)
                // ∂V/∂iy = (1−ax)(U[y1,x0] − U[y0,x0]) + ax(U[y1,x1] − U[y0,x1])
                dix += d * ((1 - t.ay) * (u01 - u00) + t.ay * (u11 - u10));
                diy += d * ((1 - t.ax) * (u10 - u00) + t.ax * (u11 - u01));
            }
        }
        if (dgrid) {
            // forward: ix = ((x + 1)·W_in − 1)/2  →  ∂ix/∂x = W_in/2;  likewise ∂iy/∂y = H_in/2
            float* dg = dgrid + ((size_t)b * P + p) * 2;
            dg[0] += dix * (0.5f * W_in);
            dg[1] += diy * (0.5f * H_in);
        }
    };
    if (dinp) {
        // dinp is a scatter-add: two output pixels may read the same input pixel. Give each thread
        // whole images, so every element of dinp is summed by one thread in the serial order.
        parallel_for(B, [&](int b0, int b1) {
            for (int b = b0; b < b1; b++)
                for (size_t p = 0; p < P; p++) pixel(b, p);
        });
    } else {
        // Only dgrid: each (b, p) writes its own two numbers, so any split of the pixels is safe.
        parallel_for(B * (int)P, [&](int r0, int r1) {
            for (int r = r0; r < r1; r++) pixel(r / (int)P, (size_t)(r % (int)P));
        });
    }
    // END SOLUTION
}

}  // namespace ch09
