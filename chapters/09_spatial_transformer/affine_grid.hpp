// affine_grid.hpp — chapter 09: where to look. The grid generator of a spatial transformer.
//
// Jaderberg et al., "Spatial Transformer Networks" (NeurIPS 2015), eq. 1: each pixel i of the
// OUTPUT, at normalised coordinates (x_i^t, y_i^t), reads the input at the source point
//
//     ( x_i^s )   ( θ00 θ01 θ02 ) ( x_i^t )
//     ( y_i^s ) = ( θ10 θ11 θ12 ) ( y_i^t )
//                                 (   1   )
//
// Coordinates are normalised to [-1, 1] over the image, so θ = [[1,0,0],[0,1,0]] is the identity
// whatever the sizes. We follow PyTorch's F.affine_grid(..., align_corners=False): -1 and +1 are
// the outer EDGES of the border pixels, and pixel centres sit at
//
//     x_j^t = (2j + 1)/W − 1,   y_i^t = (2i + 1)/H − 1        (j < W columns, i < H rows)
//
// The grid stores (x, y) in that order (x = column, y = row), as PyTorch does.
//
// The "attention" transform of the paper (sec. 3.1, eq. 2) restricts θ to isotropic scale and
// translation, θ = [[s, 0, tx], [0, s, ty]]: a square window of side s (in units of the image)
// centred on (tx, ty). It crops, translates and zooms, but cannot rotate or shear.
//
// Shapes: B batch, H×W output grid.   theta (B,2,3)   grid (B,H,W,2)   params (B,3) = (s, tx, ty)
#pragma once
#include "common/core/thread_pool.hpp"

namespace ch09 {
using namespace attn;

// ---- affine grid ----------------------------------------------------------------------------

// grid is (B,H,W,2) of source points (x, y); theta is (B,2,3).
inline void affine_grid_forward(float* grid, const float* theta, int B, int H, int W) {
    // BEGIN SOLUTION
    parallel_for(B, [&](int b0, int b1) {
        for (int b = b0; b < b1; b++) {
            const float* th = theta + (size_t)b * 6;
            for (int i = 0; i < H; i++) {
                float y = (2.0f * i + 1.0f) / H - 1.0f;  // y_i^t, the centre of row i
                for (int j = 0; j < W; j++) {
                    float x = (2.0f * j + 1.0f) / W - 1.0f;  // x_j^t, the centre of column j
                    float* g = grid + (((size_t)b * H + i) * W + j) * 2;
                    g[0] = th[0] * x + th[1] * y + th[2];  // x^s = θ00 x + θ01 y + θ02
                    g[1] = th[3] * x + th[4] * y + th[5];  // y^s = θ10 x + θ11 y + θ12
                }
            }
        }
    });
    // END SOLUTION
}
// dtheta (B,2,3) += ∂L/∂θ; dgrid is (B,H,W,2).
inline void affine_grid_backward(float* dtheta, const float* dgrid, int B, int H, int W) {
    // BEGIN SOLUTION
    // forward: g[0] = θ00 x + θ01 y + θ02  →  ∂L/∂θ0· = Σ_ij dg[0] · (x, y, 1)
    //          g[1] = θ10 x + θ11 y + θ12  →  ∂L/∂θ1· = Σ_ij dg[1] · (x, y, 1)
    // Each batch item's θ is one thread's: no two threads add into the same element.
    parallel_for(B, [&](int b0, int b1) {
        for (int b = b0; b < b1; b++) {
            double acc[6] = {0, 0, 0, 0, 0, 0};  // a sum over H·W pixels: keep it in double
            for (int i = 0; i < H; i++) {
                float y = (2.0f * i + 1.0f) / H - 1.0f;
                for (int j = 0; j < W; j++) {
                    float x = (2.0f * j + 1.0f) / W - 1.0f;
                    const float* dg = dgrid + (((size_t)b * H + i) * W + j) * 2;
                    acc[0] += (double)dg[0] * x, acc[1] += (double)dg[0] * y, acc[2] += dg[0];
                    acc[3] += (double)dg[1] * x, acc[4] += (double)dg[1] * y, acc[5] += dg[1];
                }
            }
            for (int k = 0; k < 6; k++) dtheta[(size_t)b * 6 + k] += (float)acc[k];
        }
    });
    // END SOLUTION
}

// ---- the attention transform: (s, tx, ty) -> θ ----------------------------------------------

// theta is (B,2,3); params is (B,3) = (s, tx, ty).
inline void attention_theta_forward(float* theta, const float* params, int B) {
    for (int b = 0; b < B; b++) {
        const float* p = params + (size_t)b * 3;
        float* th = theta + (size_t)b * 6;
        th[0] = p[0], th[1] = 0.0f, th[2] = p[1];  // θ = [[s, 0, tx],
        th[3] = 0.0f, th[4] = p[0], th[5] = p[2];  //      [0, s, ty]]
    }
}
// dparams (B,3) += ∂L/∂(s, tx, ty); dtheta is (B,2,3).
inline void attention_theta_backward(float* dparams, const float* dtheta, int B) {
    for (int b = 0; b < B; b++) {
        const float* dth = dtheta + (size_t)b * 6;
        float* dp = dparams + (size_t)b * 3;
        dp[0] += dth[0] + dth[4];  // th[0] = s, th[4] = s: s feeds two entries, their gradients add
        dp[1] += dth[2];           // th[2] = tx
        dp[2] += dth[5];           // th[5] = ty
        // th[1] = th[3] = 0 are constants: their gradients go nowhere.
    }
}

}  // namespace ch09
