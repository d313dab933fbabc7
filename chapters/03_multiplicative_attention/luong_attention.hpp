// luong_attention.hpp — Luong, Pham & Manning (2015), "Effective Approaches to Attention-based Neural
// Machine Translation", section 3.1 (global attention), the pieces one at a time:
//
//   keys      k_s = K(h̄_s)                      once per sentence (what the score compares h_t with)
//   scores    e_ts = score(h_t, h̄_s)             (B,S)  eq. (8), −∞ at padded positions
//   weights   α_ts = softmax over valid s of e_t  (B,S)  eq. (7) — common/nn/softmax.hpp, in the model
//   context   c_t  = Σ_s α_ts h̄_s               (B,D)
//   attentional hidden state  h̃_t = tanh(W_c [c_t ; h_t])   (B,H)  eq. (5)
//
// The four score functions (eq. 8, plus the scaled dot product of Vaswani et al. 2017):
//   dot         e_ts = h_tᵀ h̄_s                 keys k_s = h̄_s          no parameters
//   scaled-dot  e_ts = h_tᵀ h̄_s / √H            keys k_s = h̄_s          no parameters
//   general     e_ts = h_tᵀ W_a h̄_s             keys k_s = W_a h̄_s      W_a (H,H)
//   concat      e_ts = v_aᵀ tanh(W_a [h_t ; h̄_s]) = v_aᵀ tanh(W_q h_t + U_a h̄_s)
//                                                keys k_s = U_a h̄_s      W_q (A,H), U_a (A,H), v_a (A)
// Everything that depends only on h̄_s is moved into the keys, computed once per sentence: then each
// decoder step costs S·H multiply-adds per row for dot/general — a product, hence MULTIPLICATIVE —
// and S·A tanh plus an A×H matmul for concat (chapter 02's additive score, now queried with h_t).
// For dot and scaled-dot, h_t and h̄_s must have the same size H (the model makes sure they do).
//
// Shape legend: B batch rows, S source positions, H state size (decoder h_t and encoder h̄_s),
// A concat attention size, D value size (= H here).
#pragma once
#include <algorithm>
#include <cmath>
#include <string>

#include "common/core/buffer.hpp"
#include "common/core/error.hpp"
#include "common/core/matmul.hpp"
#include "common/core/thread_pool.hpp"
#include "common/nn/activations.hpp"  // tanh_forward

namespace ch03 {
using namespace attn;

enum class LuongScore { dot, general, concat, scaled_dot };

inline std::string luong_score_name(LuongScore s) {
    switch (s) {
        case LuongScore::dot: return "dot";
        case LuongScore::general: return "general";
        case LuongScore::concat: return "concat";
        case LuongScore::scaled_dot: return "scaled-dot";
    }
    return "?";
}
inline LuongScore parse_luong_score(const std::string& s) {
    for (LuongScore k : {LuongScore::dot, LuongScore::general, LuongScore::concat, LuongScore::scaled_dot})
        if (luong_score_name(k) == s) return k;
    fail("--score", "dot, general, concat or scaled-dot, found '" + s + "'");
}

// ---- keys: the h̄-only part of each score, once per sentence ----------------------------------
// hbar (B,S,H) -> keys (B,S,K) with K = H (dot, scaled-dot, general) or A (concat).
// Wk is W_a (H,H) for general, U_a (A,H) for concat, unused (nullptr) for dot and scaled-dot.
inline int luong_key_size(LuongScore s, int H, int A) { return s == LuongScore::concat ? A : H; }

inline void luong_keys_forward(float* keys, const float* hbar, const float* Wk, LuongScore score, int B, int S, int H,
                               int A) {
    if (score == LuongScore::dot || score == LuongScore::scaled_dot)
        std::copy_n(hbar, (size_t)B * S * H, keys);  // k_s = h̄_s
    else  // general: k_s = W_a h̄_s (H outputs);  concat: k_s = U_a h̄_s (A outputs)
        linear_forward(keys, hbar, Wk, nullptr, B * S, H, luong_key_size(score, H, A));
}
inline void luong_keys_backward(float* dhbar, float* dWk, const float* dkeys, const float* hbar, const float* Wk,
                                LuongScore score, int B, int S, int H, int A) {
    // dkeys (B,S,K); dhbar (B,S,H) +=, dWk +=
    if (score == LuongScore::dot || score == LuongScore::scaled_dot) {
        for (size_t i = 0; i < (size_t)B * S * H; i++) dhbar[i] += dkeys[i];  // k = h̄  ->  ∂h̄ += ∂k
    } else {  // k = h̄ Wkᵀ  ->  ∂h̄ += ∂k Wk,  ∂Wk += ∂kᵀ h̄
        linear_backward(dhbar, dWk, nullptr, dkeys, hbar, Wk, B * S, H, luong_key_size(score, H, A));
    }
}

// ---- multiplicative scores: dot, scaled-dot, general (general's W_a is already in the keys) ------
// e_ts = scale · h_t · k_s for s < len[b], −∞ for s ≥ len[b]. scale = 1 (dot, general) or 1/√H.
inline void dot_score_forward(float* e, const float* h, const float* keys, const int* len, float scale, int B, int S,
                              int H) {
    // h is (B,H), keys is (B,S,H), len is (B); e is (B,S)
    // BEGIN SOLUTION
    // The source's positions, then the padding: two loops, not one with a branch. In the copy of this
    // body that runs on two or more threads, g++ 12 compiled the branchy version with the inner loop's
    // pointer going through a vector register at every step: 3.9 times slower (64 × 6 scores of 256),
    // 5 % of a two-thread training step.
    parallel_for(B, [&](int b0, int b1) {
        for (int b = b0; b < b1; b++) {
            const float* hb = h + (size_t)b * H;
            float* eb = e + (size_t)b * S;
            for (int s = 0; s < len[b]; s++) {  // the source's positions
                const float* k = keys + ((size_t)b * S + s) * H;
                double d = 0;
                for (int j = 0; j < H; j++) d += (double)hb[j] * k[j];  // h_tᵀ k_s
                eb[s] = (float)(scale * d);
            }
            for (int s = len[b]; s < S; s++) eb[s] = -INFINITY;  // padding: weight exactly 0 after the softmax
        }
    });
    // END SOLUTION
}
// de (B,S) = ∂L/∂e (0 at padded positions). dh (B,H) +=, dkeys (B,S,H) += (either may be nullptr).
inline void dot_score_backward(float* dh, float* dkeys, const float* de, const float* h, const float* keys,
                               const int* len, float scale, int B, int S, int H) {
    parallel_for(B, [&](int b0, int b1) {
        for (int b = b0; b < b1; b++)
            for (int s = 0; s < len[b]; s++) {
                // e_ts = scale · h_t · k_s  ->  ∂h_t += scale ∂e_ts k_s,  ∂k_s += scale ∂e_ts h_t
                const float g = scale * de[(size_t)b * S + s];
                const float* k = keys + ((size_t)b * S + s) * H;
                const float* hb = h + (size_t)b * H;
                if (dh)
                    for (int j = 0; j < H; j++) dh[(size_t)b * H + j] += g * k[j];
                if (dkeys)
                    for (int j = 0; j < H; j++) dkeys[((size_t)b * S + s) * H + j] += g * hb[j];
            }
    });
}

// ---- concat score: e_ts = v_aᵀ tanh(W_q h_t + k_s),  k_s = U_a h̄_s ------------------------------
// Caches for backward: th (B,S,A) = tanh(W_q h_t + k_s). scratch q: (B,A).
inline void concat_score_forward(float* e, float* th, float* q, const float* h, const float* keys, const float* Wq,
                                 const float* v, const int* len, int B, int S, int H, int A) {
    // h is (B,H), keys is (B,S,A), Wq is (A,H), v is (A); e is (B,S), th is (B,S,A), q is (B,A)
    linear_forward(q, h, Wq, nullptr, B, H, A);  // q = W_q h_t
    parallel_for(B, [&](int b0, int b1) {
        for (int b = b0; b < b1; b++)
            for (int s = 0; s < S; s++) {
                if (s >= len[b]) {
                    e[(size_t)b * S + s] = -INFINITY;
                    continue;
                }
                float* t = th + ((size_t)b * S + s) * A;
                const float* k = keys + ((size_t)b * S + s) * A;
                for (int a = 0; a < A; a++) t[a] = q[(size_t)b * A + a] + k[a];
                tanh_forward(t, t, A);  // tanh(W_q h_t + U_a h̄_s)
                double d = 0;
                for (int a = 0; a < A; a++) d += (double)v[a] * t[a];  // e_ts = v_aᵀ tanh(...)
                e[(size_t)b * S + s] = (float)d;
            }
    });
}
// de (B,S). Adds into dh (B,H), dkeys (B,S,A), dWq (A,H), dv (A) (any may be nullptr).
// scratch: (B,A) floats.
inline void concat_score_backward(float* dh, float* dkeys, float* dWq, float* dv, const float* de, const float* h,
                                  const float* th, const float* Wq, const float* v, const int* len, int B, int S,
                                  int H, int A, float* scratch) {
    // BEGIN SOLUTION
    float* dq = scratch;  // (B,A) ∂L/∂q, q = W_q h_t
    std::fill(dq, dq + (size_t)B * A, 0.0f);
    parallel_for(B, [&](int b0, int b1) {
        for (int b = b0; b < b1; b++)
            for (int s = 0; s < len[b]; s++) {
                const float g = de[(size_t)b * S + s];
                const float* t = th + ((size_t)b * S + s) * A;
                for (int a = 0; a < A; a++) {
                    // e = v·t, t = tanh(q + k)  ->  ∂(q + k) = ∂e v ⊙ (1 − t²)
                    const float dpre = g * v[a] * (1.0f - t[a] * t[a]);
                    dq[(size_t)b * A + a] += dpre;
                    if (dkeys) dkeys[((size_t)b * S + s) * A + a] += dpre;
                }
            }
    });
    if (dv)  // e = v·t  ->  ∂v += Σ_{b,s} ∂e_bs t_bs  (a fixed serial order: the same sum on any thread count)
        for (int b = 0; b < B; b++)
            for (int s = 0; s < len[b]; s++) {
                const float g = de[(size_t)b * S + s];
                const float* t = th + ((size_t)b * S + s) * A;
                for (int a = 0; a < A; a++) dv[a] += g * t[a];
            }
    // q = W_q h  ->  ∂h += ∂q W_q,  ∂W_q += ∂qᵀ h
    linear_backward(dh, dWq, nullptr, dq, h, Wq, B, H, A);
    // END SOLUTION
}

// ---- context: c_t = Σ_s α_ts h̄_s ---------------------------------------------------------------
// Positions with α = 0 (padding; outside a local window in chapter 04) add nothing.
inline void context_forward(float* c, const float* alpha, const float* values, const int* len, int B, int S, int D) {
    // alpha is (B,S), values is (B,S,D); c is (B,D)
    parallel_for(B, [&](int b0, int b1) {
        for (int b = b0; b < b1; b++) {
            float* cb = c + (size_t)b * D;
            std::fill(cb, cb + D, 0.0f);
            for (int s = 0; s < len[b]; s++) {
                const float w = alpha[(size_t)b * S + s];
                const float* hv = values + ((size_t)b * S + s) * D;
                for (int d = 0; d < D; d++) cb[d] += w * hv[d];
            }
        }
    });
}
// dc (B,D). Adds into dalpha (B,S) and dvalues (B,S,D) (either may be nullptr).
inline void context_backward(float* dalpha, float* dvalues, const float* dc, const float* alpha, const float* values,
                             const int* len, int B, int S, int D) {
    parallel_for(B, [&](int b0, int b1) {
        for (int b = b0; b < b1; b++) {
            const float* g = dc + (size_t)b * D;
            for (int s = 0; s < len[b]; s++) {
                // c = Σ_s α_s h̄_s  ->  ∂α_s += ∂c · h̄_s,  ∂h̄_s += α_s ∂c
                const float* hv = values + ((size_t)b * S + s) * D;
                if (dalpha) {
                    double d = 0;
                    for (int j = 0; j < D; j++) d += (double)g[j] * hv[j];
                    dalpha[(size_t)b * S + s] += (float)d;
                }
                if (dvalues) {
                    const float w = alpha[(size_t)b * S + s];
                    float* dv = dvalues + ((size_t)b * S + s) * D;
                    for (int j = 0; j < D; j++) dv[j] += w * g[j];
                }
            }
        }
    });
}

// ---- the attentional hidden state: h̃_t = tanh(W_c [c_t ; h_t])  (eq. 5; no bias, as the paper) ----
// Cache for backward: cat (B,D+H) = [c_t ; h_t] and the output h̃ itself.
inline void attentional_forward(float* htil, float* cat, const float* c, const float* h, const float* Wc, int B, int D,
                                int H) {
    // c is (B,D), h is (B,H), Wc is (H, D+H); htil is (B,H), cat is (B,D+H)
    for (int b = 0; b < B; b++) {
        std::copy_n(c + (size_t)b * D, D, cat + (size_t)b * (D + H));
        std::copy_n(h + (size_t)b * H, H, cat + (size_t)b * (D + H) + D);
    }
    linear_forward(htil, cat, Wc, nullptr, B, D + H, H);             // W_c [c_t ; h_t]
    tanh_forward(htil, htil, B * H);  // h̃_t = tanh(·)
}
// dhtil (B,H) = ∂L/∂h̃. Adds into dc (B,D), dh (B,H), dWc (H,D+H). scratch: B·(D+2H) floats.
inline void attentional_backward(float* dc, float* dh, float* dWc, const float* dhtil, const float* htil,
                                 const float* cat, const float* Wc, int B, int D, int H, float* scratch) {
    // BEGIN SOLUTION
    float* dpre = scratch;                    // (B,H)    ∂L/∂(W_c [c ; h])
    float* dcat = scratch + (size_t)B * H;    // (B,D+H)  ∂L/∂[c ; h]
    // h̃ = tanh(pre)  ->  ∂pre = ∂h̃ ⊙ (1 − h̃²)
    for (size_t i = 0; i < (size_t)B * H; i++) dpre[i] = dhtil[i] * (1.0f - htil[i] * htil[i]);
    // pre = W_c cat  ->  ∂cat = ∂pre W_c,  ∂W_c += ∂preᵀ cat
    std::fill(dcat, dcat + (size_t)B * (D + H), 0.0f);
    linear_backward(dcat, dWc, nullptr, dpre, cat, Wc, B, D + H, H);
    // cat = [c ; h]  ->  split the gradient
    for (int b = 0; b < B; b++) {
        const float* g = dcat + (size_t)b * (D + H);
        for (int j = 0; j < D; j++) dc[(size_t)b * D + j] += g[j];
        for (int j = 0; j < H; j++) dh[(size_t)b * H + j] += g[D + j];
    }
    // END SOLUTION
}
inline size_t attentional_scratch_size(int B, int D, int H) { return (size_t)B * (D + 2 * H); }

}  // namespace ch03
