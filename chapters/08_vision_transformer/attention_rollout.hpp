// attention_rollout.hpp — where the class token looks: attention rollout (Abnar & Zuidema 2020,
// "Quantifying Attention Flow in Transformers") and the per-head maps it summarises.
//
// One layer's attention A_ℓ (T,T) says how much each token's output reads each input token — but the
// residual connection also passes every token through unchanged, and after L layers a token's output
// depends on the inputs through every path of attention and residuals. Rollout tracks that flow:
//
//   Ā_ℓ = mean over heads of A_ℓ                        (T,T)  rows sum to 1
//   Ã_ℓ = (Ā_ℓ + I) / 2                                        the residual: half the token stays itself
//                                                              (Abnar & Zuidema's 0.5·W_att + 0.5·I;
//                                                              rows still sum to 1)
//   R   = Ã_L · Ã_{L−1} ⋯ Ã_1                            (T,T)  rows sum to 1 (products of row-stochastic
//                                                              matrices are row-stochastic)
//
// R[0, 1+n] is how much of the class token's final representation flows from patch n; drawn over the
// image as a G×G map. It is a heuristic — attention weights are not explanations (Jain & Wallace 2019)
// — but a cheap one, and on digits it is easy to check against the ink.
//
// Shapes: L layers, NH heads, T = N + 1 tokens (token 0 the class token), G = √N patches per side.
#pragma once
#include <algorithm>
#include <vector>

#include "common/core/buffer.hpp"

namespace ch08 {

// R (T,T) = the rollout of one image; att[ℓ] points at layer ℓ's weights for this image (NH,T,T).
inline void attention_rollout(float* R, const std::vector<const float*>& att, int NH, int T) {
    // BEGIN SOLUTION
    const size_t TT = (size_t)T * T;
    std::vector<double> cur(TT, 0.0), At(TT), next(TT);
    for (int i = 0; i < T; i++) cur[(size_t)i * T + i] = 1.0;  // R starts as I (no layer yet)
    for (const float* A : att) {
        for (size_t k = 0; k < TT; k++) {  // Ã = (mean_h A_h + I) / 2
            double s = 0;
            for (int h = 0; h < NH; h++) s += A[(size_t)h * TT + k];
            At[k] = 0.5 * s / NH;
        }
        for (int i = 0; i < T; i++) At[(size_t)i * T + i] += 0.5;
        for (int i = 0; i < T; i++) {  // R ← Ã · R  (the later layer on the left)
            for (int j = 0; j < T; j++) {
                double s = 0;
                for (int k = 0; k < T; k++) s += At[(size_t)i * T + k] * cur[(size_t)k * T + j];
                next[(size_t)i * T + j] = s;
            }
        }
        std::swap(cur, next);
    }
    for (size_t k = 0; k < TT; k++) R[k] = (float)cur[k];
    // END SOLUTION
}

// map (N) = row 0 of a (T,T) matrix without its first column: how much the class token takes from
// each patch (in patch order: row-major over the G×G grid).
inline void class_token_row(float* map, const float* M, int T) { std::copy_n(M + 1, T - 1, map); }

}  // namespace ch08
