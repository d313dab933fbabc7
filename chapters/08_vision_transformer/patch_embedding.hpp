// patch_embedding.hpp — an image becomes a sequence of tokens (Dosovitskiy et al. 2020, eq. 1).
//
//   cut the H×W image into N = (H/P)·(W/P) patches of P×P pixels, each flattened to P² numbers:
//     x_p (B,N,P²)            patch n = (row r, column c) of the patch grid, n = r·(W/P) + c
//   embed each patch with ONE shared linear map:
//     X = x_p E ᵀ + b_E        E (C,P²), b_E (C)  →  X (B,N,C)
//   prepend a learned class token and add learned position embeddings:
//     z₀ = [x_class; X] + E_pos        x_class (C), E_pos (T,C), T = N + 1  →  z₀ (B,T,C)
//
// Why this linear map IS a convolution: a conv with kernel P×P and stride P computes at output
// position (r, c) the dot product of its (C, P, P) kernel with the pixels of window (r, c), and
// with stride = kernel size the windows tile the image without overlap, so each output position
// sees exactly one patch. Reshaping the kernel to (C, P²) and the window to P² numbers gives
// E · x_p — the same numbers, in the same order (PyTorch's ViT writes it as Conv2d(1, C, P, stride=P)).
// The test holds ours equal to that conv (common/nn/conv2d.hpp) and the PyTorch fixture uses it too.
//
// There is nothing else image-specific in a ViT: from z₀ on it is chapter 06's encoder. What the
// model knows about 2-D layout it must learn into E_pos (figure: the position-embedding similarities).
//
// Shapes: B batch, H = W image side (28), P patch side, G = H/P patches per side, N = G² patches,
// T = N + 1 tokens, C width.
#pragma once
#include <algorithm>
#include <cstddef>

#include "common/core/matmul.hpp"

namespace ch08 {
using namespace attn;

// ---- patchify: (B,S,H,W) maps → (B,N,S·K²) patches -----------------------------------------------
// The patch grid has stride P; each patch is a K×K window (K ≥ P, K − P even) centred on its P×P cell,
// so with K > P neighbouring patches overlap by K − P pixels, and the windows at the border reach
// a = (K − P)/2 pixels into a zero padding. S is the number of channels: 1 for the pixels, the stem's
// channels for the hybrid (vit_model.hpp). K = P, S = 1 (the paper's ViT, and the default) is a pure
// permutation of the pixels:
//   xp[b, r·G + c, s·K² + i·K + j] = x[b, s, r·P − a + i, c·P − a + j]   (0 outside the image)
inline void patchify_forward(float* xp, const float* x, int B, int H, int P, int K = 0, int S = 1) {
    // BEGIN SOLUTION
    if (K == 0) K = P;
    const int G = H / P, N = G * G, D = S * K * K, a = (K - P) / 2;
    for (int b = 0; b < B; b++)
        for (int r = 0; r < G; r++)
            for (int c = 0; c < G; c++) {
                const int x0 = c * P - a, j0 = std::max(0, -x0), j1 = std::min(K, H - x0);  // columns inside
                for (int s = 0; s < S; s++)
                    for (int i = 0; i < K; i++) {
                        float* dst = xp + ((size_t)b * N + r * G + c) * D + ((size_t)s * K + i) * K;
                        const int y = r * P - a + i;
                        if (y < 0 || y >= H) {  // a row of the padding
                            std::fill_n(dst, K, 0.0f);
                            continue;
                        }
                        const float* src = x + (((size_t)b * S + s) * H + y) * H + x0;
                        std::fill_n(dst, j0, 0.0f);
                        std::copy(src + j0, src + j1, dst + j0);
                        std::fill(dst + j1, dst + K, 0.0f);
                    }
            }
    // END SOLUTION
}
// dx (B,S,H,W) += the patch gradients put back in place (each pixel gets the sum over the windows
// that contain it; the padding's gradients are dropped).
inline void patchify_backward(float* dx, const float* dxp, int B, int H, int P, int K = 0, int S = 1) {
    if (K == 0) K = P;
    const int G = H / P, N = G * G, D = S * K * K, a = (K - P) / 2;
    for (int b = 0; b < B; b++)
        for (int r = 0; r < G; r++)
            for (int c = 0; c < G; c++) {
                const int x0 = c * P - a, j0 = std::max(0, -x0), j1 = std::min(K, H - x0);
                for (int s = 0; s < S; s++)
                    for (int i = 0; i < K; i++) {
                        const int y = r * P - a + i;
                        if (y < 0 || y >= H) continue;
                        const float* g = dxp + ((size_t)b * N + r * G + c) * D + ((size_t)s * K + i) * K;
                        float* d = dx + (((size_t)b * S + s) * H + y) * H + x0;
                        for (int j = j0; j < j1; j++) d[j] += g[j];
                    }
            }
}

// ---- the patch embedding: X = x_p Eᵀ + b_E, the same E for every patch ---------------------------
// X (B,N,C); xp (B,N,P²); E (C,P²); bE (C).
inline void patch_embed_forward(float* X, const float* xp, const float* E, const float* bE, int B, int N, int D,
                                int C) {
    linear_forward(X, xp, E, bE, B * N, D, C);  // one matrix product over all B·N patches
}
// dxp (may be nullptr: pixels need no gradient when training), dE, dbE += gradients; dX (B,N,C).
//   X = x_p Eᵀ + b_E   →   dE += dXᵀ x_p,  db_E += Σ_{b,n} dX,  dx_p += dX E
inline void patch_embed_backward(float* dxp, float* dE, float* dbE, const float* dX, const float* xp, const float* E,
                                 int B, int N, int D, int C) {
    linear_backward(dxp, dE, dbE, dX, xp, E, B * N, D, C);
}

// ---- the class token and the position embeddings -------------------------------------------------
// z (B,T,C), T = N + 1:  z[b,0] = cls + pos[0],  z[b,1+n] = X[b,n] + pos[1+n].
// The class token is the same learned vector for every image; after the encoder its output z_L[b,0]
// is the image's representation (it has attended to every patch), and the head reads only it.
inline void tokens_forward(float* z, const float* X, const float* cls, const float* pos, int B, int N, int C) {
    // BEGIN SOLUTION
    const int T = N + 1;
    for (int b = 0; b < B; b++) {
        float* z_b = z + (size_t)b * T * C;
        for (int c = 0; c < C; c++) z_b[c] = cls[c] + pos[c];  // token 0: the class token
        for (int n = 0; n < N; n++) {
            const float* X_bn = X + ((size_t)b * N + n) * C;
            const float* pos_t = pos + (size_t)(n + 1) * C;
            float* z_bt = z_b + (size_t)(n + 1) * C;
            for (int c = 0; c < C; c++) z_bt[c] = X_bn[c] + pos_t[c];  // token 1+n: patch n
        }
    }
    // END SOLUTION
}
// dX (B,N,C), dcls (C), dpos (T,C) += gradients; dz (B,T,C).
//   z[b,0] = cls + pos[0]        →  dcls += Σ_b dz[b,0],   dpos[0] += Σ_b dz[b,0]
//   z[b,1+n] = X[b,n] + pos[1+n] →  dX[b,n] += dz[b,1+n],  dpos[1+n] += Σ_b dz[b,1+n]
inline void tokens_backward(float* dX, float* dcls, float* dpos, const float* dz, int B, int N, int C) {
    // BEGIN SOLUTION
    const int T = N + 1;
    for (int b = 0; b < B; b++) {  // b outermost, in order: the same sums on any thread count
        const float* dz_b = dz + (size_t)b * T * C;
        for (int c = 0; c < C; c++) dcls[c] += dz_b[c];
        for (int t = 0; t < T; t++)
            for (int c = 0; c < C; c++) dpos[(size_t)t * C + c] += dz_b[(size_t)t * C + c];
        for (int n = 0; n < N; n++)
            for (int c = 0; c < C; c++) dX[((size_t)b * N + n) * C + c] += dz_b[(size_t)(n + 1) * C + c];
    }
    // END SOLUTION
}

}  // namespace ch08
