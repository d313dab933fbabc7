// local_attention.hpp — local attention of Luong, Pham & Manning (2015), "Effective Approaches to
// Attention-based Neural Machine Translation", section 3.2. Global (soft) attention spreads α over
// EVERY source position; local attention first picks an aligned position p_t and attends only to
// the window [p_t − D, p_t + D]: cheaper for long sentences, and a prior that alignments are
// roughly monotonic.
//
//   local-m (monotonic):  p_t = t  (clamped to the last real position: min(t, len_b − 1))
//                         α_ts = softmax over s ∈ window of e_ts, 0 outside          (eq. 7 on the window)
//   local-p (predictive): p_t = S · sigmoid(v_pᵀ tanh(W_p h_t))                          (eq. 9)
//                         α_ts = softmax_window(e_t)_s · exp(−(s − p_t)² / 2σ²),  σ = D/2 (eq. 10)
//
// Window: [c − D, c + D] ∩ [0, len_b), c = p_t (local-m) or round(p_t) (local-p). Outside it the score
// counts as −INFINITY, so its weight is exactly 0 and so is its gradient. The scores e come from
// any score function (chapter 03's dot / general / concat); these functions only turn scores into
// weights, so the same decoder can switch between soft, local-m, local-p and hard (hard_attention.hpp).
//
// Our choices, where the paper leaves room:
//   * S in eq. 9 is the sentence's OWN length len_b (padding excluded), so p_b ∈ (0, len_b). Positions
//     are 0-based, so p close to len_b lies half a position past the last word; the window centre is
//     therefore clamped to len_b − 1, which keeps every window non-empty. The Gaussian uses the
//     unclamped, real-valued p.
//   * local-p's α is NOT renormalised after the Gaussian (the paper does not either): Σ_s α_ts ≤ 1.
//   * The window's integer boundaries (round(p)) are treated as constants in backward: the gradient
//     reaches p only through the Gaussian — which is why the paper needs the Gaussian at all.
//   * local-p needs D ≥ 1 (σ = D/2 > 0); local-m accepts D = 0 (a one-hot at p_t).
//
// Functions (backward directly below its forward, backward ACCUMULATES into gradients):
//   local_m_align_forward   (alpha, e, len, t, D, B, S)
//   local_m_align_backward  (de, dalpha, alpha, B, S)
//   local_p_position_forward (p, z, h, W_p, v_p, len, B, H, A)
//   local_p_position_backward(dh, dW_p, dv_p, dp, z, h, W_p, v_p, len, B, H, A)
//   local_p_align_forward   (alpha, soft, e, p, len, D, B, S)
//   local_p_align_backward  (de, dp, dalpha, alpha, soft, p, len, D, B, S)
//
// Shape legend: B batch rows, S source positions (padded), H decoder state size, A local-p hidden size.
// len (B): number of real source positions of each row, 0 ≤ len_b ≤ S; positions s ≥ len_b are padding.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>

#include "common/core/buffer.hpp"
#include "common/core/error.hpp"
#include "common/core/matmul.hpp"
#include "common/nn/activations.hpp"  // tanh_forward
#include "common/nn/softmax.hpp"

namespace ch04 {
using namespace attn;

// ---- shared: a softmax over one window of one row ----------------------------------------------
// out[s] = exp(e[s] − m) / Σ_{k ∈ [lo,hi)} exp(e[k] − m) for s ∈ [lo, hi), m the window's max;
// out[s] = 0 elsewhere (as if e[s] were −INFINITY). An empty window (lo ≥ hi) gives a row of zeros.
inline void window_softmax_row(float* out, const float* e, int lo, int hi, int S) {
    // e, out are (S)
    // BEGIN SOLUTION
    for (int s = 0; s < S; s++) out[s] = 0.0f;
    if (lo >= hi) return;
    float m = -INFINITY;
    for (int s = lo; s < hi; s++) m = std::max(m, e[s]);
    double sum = 0;
    for (int s = lo; s < hi; s++) sum += std::exp((double)(e[s] - m));
    for (int s = lo; s < hi; s++) out[s] = (float)(std::exp((double)(e[s] - m)) / sum);
    // END SOLUTION
}

// ---- local-m: the window sits at p_t = t ---------------------------------------------------------
// t is the decoder step (0-based); the window of row b is [p − D, p + D] ∩ [0, len_b),
// p = min(t, len_b − 1), so a target longer than its source keeps attending to the last words.
inline void local_m_align_forward(float* alpha, const float* e, const int* len, int t, int D, int B, int S) {
    // e, alpha are (B,S); len is (B)
    ATTN_CHECK(t >= 0 && D >= 0, "local_m_align_forward", "t >= 0 and D >= 0");
    // BEGIN SOLUTION
    for (int b = 0; b < B; b++) {
        const int n = len[b];
        ATTN_CHECK(n >= 0 && n <= S, "local_m_align_forward", "0 <= len[b] <= S");
        const int p = std::min(t, n - 1);  // p_t = t, clamped to the last real position
        const int lo = std::max(0, p - D), hi = std::min(n, p + D + 1);
        // α_ts = exp(e_ts) / Σ_{k ∈ window} exp(e_tk) on the window, 0 elsewhere
        window_softmax_row(alpha + (size_t)b * S, e + (size_t)b * S, lo, hi, S);
    }
    // END SOLUTION
}
// dalpha (B,S) is ∂L/∂α; de (B,S) +=. alpha is forward's output.
inline void local_m_align_backward(float* de, const float* dalpha, const float* alpha, int B, int S) {
    // BEGIN SOLUTION
    // α = softmax on the window -> ∂e_s += α_s (∂α_s − Σ_k ∂α_k α_k). Outside the window α_s = 0, so
    // the same formula as the full softmax gives exactly 0 there: the window needs no mask here.
    masked_softmax_backward(de, dalpha, alpha, B, S);
    // END SOLUTION
}

// ---- local-p, step 1: predict the aligned position ----------------------------------------------
// z_b = tanh(W_p h_b)               (A)      kept for backward
// p_b = len_b · sigmoid(v_pᵀ z_b)   ∈ (0, len_b)      eq. 9 with S = the row's own length
inline void local_p_position_forward(float* p, float* z, const float* h, const float* W_p, const float* v_p,
                                     const int* len, int B, int H, int A) {
    // h is (B,H), W_p is (A,H), v_p is (A), len is (B); p is (B), z is (B,A)
    // BEGIN SOLUTION
    linear_forward(z, h, W_p, nullptr, B, H, A);  // W_p h_t
    tanh_forward(z, z, B * A);  // tanh(W_p h_t)
    for (int b = 0; b < B; b++) {
        double u = 0;
        for (int a = 0; a < A; a++) u += (double)v_p[a] * z[(size_t)b * A + a];  // v_pᵀ tanh(W_p h_t)
        p[b] = (float)(len[b] / (1.0 + std::exp(-u)));                         // S · sigmoid(·)
    }
    // END SOLUTION
}
// dp (B) is ∂L/∂p. Adds into dh (B,H), dW_p (A,H), dv_p (A); any may be nullptr.
// z is forward's cache; sigmoid(v_pᵀ z) is recomputed from it (A multiply-adds per row).
inline void local_p_position_backward(float* dh, float* dW_p, float* dv_p, const float* dp, const float* z,
                                      const float* h, const float* W_p, const float* v_p, const int* len, int B,
                                      int H, int A) {
    // BEGIN SOLUTION
    Buf dpre((size_t)B * A);  // ∂L/∂(W_p h), a temporary of this call
    for (int b = 0; b < B; b++) {
        const float* zb = z + (size_t)b * A;
        double u = 0;
        for (int a = 0; a < A; a++) u += (double)v_p[a] * zb[a];
        const double sg = 1.0 / (1.0 + std::exp(-u));
        // p = len · sigmoid(u)  ->  ∂u = ∂p · len · σ(u)(1 − σ(u))
        const float du = (float)(dp[b] * len[b] * sg * (1.0 - sg));
        for (int a = 0; a < A; a++) {
            if (dv_p) dv_p[a] += du * zb[a];                          // u = v_pᵀ z -> ∂v_p += ∂u z
            dpre[(size_t)b * A + a] = du * v_p[a] * (1.0f - zb[a] * zb[a]);  // z = tanh(·) -> ∂· = ∂u v_p (1 − z²)
        }
    }
    // W_p h -> dh += dpre W_p,  dW_p += dpreᵀ h
    linear_backward(dh, dW_p, nullptr, dpre.data(), h, W_p, B, H, A);
    // END SOLUTION
}

// ---- local-p, step 2: window softmax times a Gaussian around p ----------------------------------
// The window of row b: [c − D, c + D] ∩ [0, len_b), c = round(p_b) clamped to [0, len_b − 1].
inline void local_p_window(int& lo, int& hi, float p, int n, int D) {
    const int c = std::clamp((int)std::floor(p + 0.5f), 0, std::max(0, n - 1));
    lo = std::max(0, c - D), hi = std::min(n, c + D + 1);
}

inline void local_p_align_forward(float* alpha, float* soft, const float* e, const float* p, const int* len, int D,
                                  int B, int S) {
    // e is (B,S), p is (B), len is (B); alpha is (B,S); soft (B,S) is the window softmax, kept for backward
    ATTN_CHECK(D >= 1, "local_p_align_forward", "D >= 1 (the Gaussian has σ = D/2)");
    // BEGIN SOLUTION
    const double sigma = D / 2.0;
    for (int b = 0; b < B; b++) {
        ATTN_CHECK(len[b] >= 0 && len[b] <= S, "local_p_align_forward", "0 <= len[b] <= S");
        int lo, hi;
        local_p_window(lo, hi, p[b], len[b], D);
        float* sb = soft + (size_t)b * S;
        float* ab = alpha + (size_t)b * S;
        window_softmax_row(sb, e + (size_t)b * S, lo, hi, S);  // align(h_t, h_s) restricted to the window
        for (int s = 0; s < S; s++) {
            const double d = s - (double)p[b];
            // α_ts = align_s · exp(−(s − p_t)² / 2σ²)          eq. 10 (0 outside the window: soft = 0)
            ab[s] = (float)(sb[s] * std::exp(-d * d / (2 * sigma * sigma)));
        }
    }
    // END SOLUTION
}
// dalpha (B,S) is ∂L/∂α. Adds into de (B,S) and dp (B) (either may be nullptr).
// alpha, soft are forward's output and cache; p its input.
inline void local_p_align_backward(float* de, float* dp, const float* dalpha, const float* alpha, const float* soft,
                                   const float* p, const int* len, int D, int B, int S) {
    // BEGIN SOLUTION
    const double sigma = D / 2.0;
    for (int b = 0; b < B; b++) {
        const float* da = dalpha + (size_t)b * S;
        const float* ab = alpha + (size_t)b * S;
        const float* sb = soft + (size_t)b * S;
        double gp = 0, dot = 0;  // ∂L/∂p, Σ_k ∂soft_k soft_k
        for (int s = 0; s < len[b]; s++) {
            const double d = s - (double)p[b];
            const double g = std::exp(-d * d / (2 * sigma * sigma));
            // α_s = soft_s · g_s  ->  ∂soft_s = ∂α_s g_s,  ∂g_s = ∂α_s soft_s
            // g_s = exp(−(s − p)² / 2σ²)  ->  ∂g_s/∂p = g_s (s − p) / σ², so ∂p += ∂α_s α_s (s − p) / σ²
            gp += (double)da[s] * ab[s] * d / (sigma * sigma);
            dot += (double)da[s] * g * sb[s];
        }
        if (dp) dp[b] += (float)gp;
        if (de)  // soft = softmax on the window -> ∂e_s += soft_s (∂soft_s − Σ_k ∂soft_k soft_k); 0 off-window
            for (int s = 0; s < len[b]; s++) {
                const double d = s - (double)p[b];
                const double g = std::exp(-d * d / (2 * sigma * sigma));
                de[(size_t)b * S + s] += (float)(sb[s] * ((double)da[s] * g - dot));
            }
    }
    // END SOLUTION
}

}  // namespace ch04
