// glimpse.hpp — chapter 10's eye: the glimpse sensor ρ(x, l) and the glimpse network f_g.
//
// Mnih, Heess, Graves, Kavukcuoglu, "Recurrent Models of Visual Attention", NeurIPS 2014, sec. 3.1.
//
//   The sensor reads a "retina-like" representation of the image x around the location l:
//   k patches centred on l, the first g×g pixels, each next one twice the side of the previous
//   (g·2^s for scale s), every patch shrunk to g×g by averaging 2^s × 2^s blocks. High resolution
//   in the centre, a blurry view of the surroundings. Pixels outside the image read as 0.
//
//   The glimpse network mixes WHAT was seen with WHERE (paper, sec. 4):
//       h_g = relu(ρ(x, l) W_whatᵀ + b_what)          "what"
//       h_l = relu(l W_whereᵀ + b_where)               "where"
//       g   = relu(h_g W_gᵀ + h_l W_lᵀ + b_g)          the glimpse feature fed to the core RNN
//
// Locations: l = (l_x, l_y) ∈ [−1, 1]², x along columns, y along rows; (−1,−1) is the top-left
// corner of the image and (1,1) the bottom-right one. In pixel units (the image spans [0, W] × [0, H],
// pixel (r, c) covers [c, c+1] × [r, r+1]) the glimpse centre is
//       c_x = (l_x + 1)·W/2,   c_y = (l_y + 1)·H/2,
// and a patch of side S starts at the pixel x0 = ⌊c_x − S/2 + ½⌋ (rounded to whole pixels: the
// sensor never interpolates).
//
// The sensor has no backward pass: the location is a SAMPLE from the location policy, detached
// from backprop (the model learns where to look by REINFORCE, reinforce.hpp), and the image needs
// no gradient. The glimpse network's parameters are learnt by backprop as usual.
//
// Shapes: B batch, H×W image, g patch side, k scales, P = k·g·g sensor outputs per glimpse,
// Dg = |h_g|, Dl = |h_l|, G = |g|.
#pragma once
#include <algorithm>
#include <cmath>

#include "common/nn/activations.hpp"
#include "common/core/matmul.hpp"
#include "common/core/thread_pool.hpp"

namespace ch10 {
using namespace attn;

// The first pixel (column, or row) of a patch of side S centred on the normalised coordinate l
// along an axis of n pixels. One function, used by the sensor and by the figure's rectangles.
inline int glimpse_origin(float l, int n, int S) {
    float c = (l + 1.0f) * 0.5f * (float)n;  // centre in pixel units
    return (int)std::floor(c - 0.5f * (float)S + 0.5f);
}

// x is (B,H,W); loc (B,2) = (l_x, l_y). out is (B,k,g,g): scale s is the (g·2^s)² patch
// around loc, averaged over 2^s × 2^s blocks. Images are split among threads (each writes only its
// own output rows, so the result is the same on any thread count).
inline void glimpse_sensor_forward(float* out, const float* x, const float* loc, int B, int H, int W, int g, int k) {
    // BEGIN SOLUTION
    parallel_for(B, [&](int b0, int b1) {
        for (int b = b0; b < b1; b++) {
            const float* img = x + (size_t)b * H * W;
            for (int s = 0; s < k; s++) {
                const int f = 1 << s, S = g * f;  // block side, patch side
                const int x0 = glimpse_origin(loc[b * 2 + 0], W, S), y0 = glimpse_origin(loc[b * 2 + 1], H, S);
                const float inv = 1.0f / (float)(f * f);
                float* o = out + ((size_t)b * k + s) * g * g;
                // out[i][j] = mean of x over the f×f block (y0 + i·f .., x0 + j·f ..), 0 outside the image
                for (int i = 0; i < g; i++)
                    for (int j = 0; j < g; j++) {
                        float sum = 0.0f;
                        for (int di = 0; di < f; di++) {
                            const int r = y0 + i * f + di;
                            if (r < 0 || r >= H) continue;
                            for (int dj = 0; dj < f; dj++) {
                                const int c = x0 + j * f + dj;
                                if (c >= 0 && c < W) sum += img[(size_t)r * W + c];
                            }
                        }
                        o[i * g + j] = sum * inv;
                    }
            }
        }
    }, 4);
    // END SOLUTION
}

// ---- the glimpse network -------------------------------------------------------------------

struct GlimpseNetParams {  // views into the model's ParamSet
    const float *W_what, *b_what;    // (Dg,P), (Dg)
    const float *W_where, *b_where;  // (Dl,2), (Dl)
    const float *W_g, *W_l, *b_g;    // (G,Dg), (G,Dl), (G)
};
struct GlimpseNetGrads {
    float *W_what, *b_what, *W_where, *b_where, *W_g, *W_l, *b_g;
};

// rho (N,P), loc (N,2) -> g (N,G). Caches: hg_pre, hg (N,Dg); hl_pre, hl (N,Dl); g_pre (N,G).
// N is any number of rows (a batch at one step, or every step at once).
inline void glimpse_net_forward(float* g, float* g_pre, float* hg, float* hg_pre, float* hl, float* hl_pre,
                                const float* rho, const float* loc, const GlimpseNetParams& p, int N, int P, int Dg,
                                int Dl, int G) {
    linear_forward(hg_pre, rho, p.W_what, p.b_what, N, P, Dg);  // h_g = relu(ρ W_whatᵀ + b_what)
    relu_forward(hg, hg_pre, N * Dg);
    linear_forward(hl_pre, loc, p.W_where, p.b_where, N, 2, Dl);  // h_l = relu(l W_whereᵀ + b_where)
    relu_forward(hl, hl_pre, N * Dl);
    linear_forward(g_pre, hg, p.W_g, p.b_g, N, Dg, G);  // g = relu(h_g W_gᵀ + h_l W_lᵀ + b_g)
    matmul_nt(g_pre, hl, p.W_l, N, Dl, G, /*accumulate=*/true);
    relu_forward(g, g_pre, N * G);
}
// dg (N,G) is ∂L/∂g. Adds the parameter gradients into d. scratch: dg_pre (N,G), dhg (N,Dg), dhl (N,Dl),
// all overwritten. No gradient to ρ or l: the sensor and the location are not differentiated.
inline void glimpse_net_backward(const GlimpseNetGrads& d, float* dg_pre, float* dhg, float* dhl, const float* dg,
                                 const float* g_pre, const float* hg, const float* hg_pre, const float* hl,
                                 const float* hl_pre, const float* rho, const float* loc, const GlimpseNetParams& p,
                                 int N, int P, int Dg, int Dl, int G) {
    std::fill(dg_pre, dg_pre + (size_t)N * G, 0.0f);
    std::fill(dhg, dhg + (size_t)N * Dg, 0.0f);
    std::fill(dhl, dhl + (size_t)N * Dl, 0.0f);
    // g = relu(g_pre)                          →  dg_pre = dg ⊙ [g_pre > 0]
    relu_backward(dg_pre, dg, g_pre, N * G);
    // g_pre = h_g W_gᵀ + h_l W_lᵀ + b_g        →  dh_g, dW_g, db_g;  dh_l, dW_l
    linear_backward(dhg, d.W_g, d.b_g, dg_pre, hg, p.W_g, N, Dg, G);
    linear_backward(dhl, d.W_l, nullptr, dg_pre, hl, p.W_l, N, Dl, G);
    // h_g = relu(ρ W_whatᵀ + b_what): dh_g ⊙ [hg_pre > 0] in place (dhg is ours), then dW_what, db_what
    for (size_t i = 0; i < (size_t)N * Dg; i++) dhg[i] = hg_pre[i] > 0.0f ? dhg[i] : 0.0f;
    linear_backward(nullptr, d.W_what, d.b_what, dhg, rho, p.W_what, N, P, Dg);
    // h_l = relu(l W_whereᵀ + b_where)          →  dW_where, db_where
    for (size_t i = 0; i < (size_t)N * Dl; i++) dhl[i] = hl_pre[i] > 0.0f ? dhl[i] : 0.0f;
    linear_backward(nullptr, d.W_where, d.b_where, dhl, loc, p.W_where, N, 2, Dl);
}

}  // namespace ch10
