// additive_attention.hpp — Bahdanau, Cho & Bengio (2014), "Neural Machine Translation by Jointly
// Learning to Align and Translate", section 3.1 and appendix A.1.2:
//
//   keys      k_i  = U h_i                                  (B,S,A)  once per sentence
//   query     q    = W s_{t−1}                              (B,A)    once per decoder step
//   scores    e_ti = vᵀ tanh(q + k_i)                        (B,S)
//   weights   α_ti = exp(e_ti) / Σ_{j < len} exp(e_tj)       (B,S)    softmax over VALID positions only
//   context   c_t  = Σ_i α_ti h_i                           (B,D)    D = 2H for a bidirectional encoder
//
// The sum inside tanh is why it is called ADDITIVE (chapter 03 replaces it by a product).
// U h_i does not depend on t, so it is computed once per sentence (additive_keys_forward); each
// decoder step then costs only W s_{t−1} plus S·A tanh. Padded positions (i ≥ len) get weight
// exactly 0 and — because α = 0 there — exactly zero gradient, to keys, values and everything else.
//
// Shape legend: B batch rows, S source positions, A attention size, D value size (2H),
// Hd decoder state size.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "common/core/buffer.hpp"
#include "common/core/matmul.hpp"
#include "common/nn/softmax.hpp"
#include "common/core/thread_pool.hpp"

namespace attn {

// ---- keys: k_i = U h_i, for every source position at once -------------------------------------
inline void additive_keys_forward(float* keys, const float* h, const float* U, int B, int S, int D, int A) {
    // h is (B,S,D), U is (A,D), keys is (B,S,A)
    // BEGIN SOLUTION
    linear_forward(keys, h, U, nullptr, B * S, D, A);  // k_i = U h_i (no bias, as in the paper)
    // END SOLUTION
}
inline void additive_keys_backward(float* dh, float* dU, const float* dkeys, const float* h, const float* U, int B,
                                   int S, int D, int A) {
    // dkeys is (B,S,A); dh (B,S,D) +=, dU (A,D) += (either may be nullptr)
    // BEGIN SOLUTION
    // keys = h Uᵀ  ->  dh += dkeys U,  dU += dkeysᵀ h
    linear_backward(dh, dU, nullptr, dkeys, h, U, B * S, D, A);
    // END SOLUTION
}

// ---- one attention step: query, scores, masked softmax, context -------------------------------
// What forward keeps for backward (all written by forward, sized by the caller):
//   q (B,A) = W s,  th (B,S,A) = tanh(q + k_i),  alpha (B,S) the weights.
// scores (B,S) = e_ti is also written (−INFINITY at padded positions, for drawing).
inline void additive_attention_forward(float* ctx, float* alpha, float* scores, float* q, float* th, const float* s,
                                       const float* W, const float* keys, const float* values, const float* v,
                                       const int* valid_len, int B, int S, int A, int D, int Hd) {
    // s is (B,Hd), W is (A,Hd), keys is (B,S,A), values is (B,S,D), v is (A), valid_len is (B)
    // ctx is (B,D), alpha and scores are (B,S), q is (B,A), th is (B,S,A)
    // BEGIN SOLUTION
    linear_forward(q, s, W, nullptr, B, Hd, A);  // q = W s_{t−1}
    parallel_for(B, [&](int b0, int b1) {
        for (int b = b0; b < b1; b++) {
            const int len = valid_len[b];
            for (int i = 0; i < S; i++) {
                float* t = th + ((size_t)b * S + i) * A;
                const float* k = keys + ((size_t)b * S + i) * A;
                const float* qb = q + (size_t)b * A;
                double e = 0;
                for (int a = 0; a < A; a++) {
                    t[a] = std::tanh(qb[a] + k[a]);  // tanh(W s + U h_i)
                    e += (double)v[a] * t[a];        // e_ti = vᵀ tanh(...)
                }
                scores[(size_t)b * S + i] = i < len ? (float)e : -INFINITY;
            }
        }
    });
    // α_t = softmax over i < len of e_t (padded positions: exactly 0)
    masked_softmax_forward(alpha, scores, nullptr, valid_len, B, S);
    parallel_for(B, [&](int b0, int b1) {
        for (int b = b0; b < b1; b++) {
            float* c = ctx + (size_t)b * D;
            for (int d = 0; d < D; d++) c[d] = 0;
            for (int i = 0; i < valid_len[b]; i++) {  // c_t = Σ_i α_ti h_i
                const float w = alpha[(size_t)b * S + i];
                const float* h = values + ((size_t)b * S + i) * D;
                for (int d = 0; d < D; d++) c[d] += w * h[d];
            }
        }
    });
    // END SOLUTION
}

// scratch: additive_attention_scratch_size(B,S,A) floats.
inline size_t additive_attention_scratch_size(int B, int S, int A) { return (size_t)2 * B * S + (size_t)B * A; }

// dctx (B,D) is ∂L/∂c. Adds into ds (B,Hd), dW (A,Hd), dkeys (B,S,A), dvalues (B,S,D), dv (A);
// any of them may be nullptr. q, th, alpha are forward's caches; s, W, keys, values, v its inputs.
inline void additive_attention_backward(float* ds, float* dW, float* dkeys, float* dvalues, float* dv,
                                        const float* dctx, const float* alpha, const float* th, const float* s,
                                        const float* W, const float* values, const float* v, const int* valid_len,
                                        int B, int S, int A, int D, int Hd, float* scratch) {
    // BEGIN SOLUTION
    float* dalpha = scratch;                  // (B,S)
    float* de = scratch + (size_t)B * S;      // (B,S)
    float* dq = scratch + (size_t)2 * B * S;  // (B,A)
    std::fill(scratch, scratch + additive_attention_scratch_size(B, S, A), 0.0f);
    parallel_for(B, [&](int b0, int b1) {
        for (int b = b0; b < b1; b++) {
            const float* dc = dctx + (size_t)b * D;
            for (int i = 0; i < valid_len[b]; i++) {
                // c_t = Σ_i α_ti h_i  ->  ∂α_ti = dc · h_i,  ∂h_i += α_ti dc
                const float* h = values + ((size_t)b * S + i) * D;
                const float w = alpha[(size_t)b * S + i];
                double g = 0;
                for (int d = 0; d < D; d++) g += (double)dc[d] * h[d];
                dalpha[(size_t)b * S + i] = (float)g;
                if (dvalues) {
                    float* dh = dvalues + ((size_t)b * S + i) * D;
                    for (int d = 0; d < D; d++) dh[d] += w * dc[d];
                }
            }
        }
    });
    // α = masked_softmax(e)  ->  ∂e (0 at padded positions, where α = 0)
    masked_softmax_backward(de, dalpha, alpha, B, S);
    parallel_for(B, [&](int b0, int b1) {
        for (int b = b0; b < b1; b++)
            for (int i = 0; i < valid_len[b]; i++) {
                const float g = de[(size_t)b * S + i];
                const float* t = th + ((size_t)b * S + i) * A;
                float* dqb = dq + (size_t)b * A;
                float* dk = dkeys ? dkeys + ((size_t)b * S + i) * A : nullptr;
                for (int a = 0; a < A; a++) {
                    // e = vᵀ t,  t = tanh(q + k)  ->  ∂(q + k) = ∂e · v ⊙ (1 − t²)
                    const float dpre = g * v[a] * (1.0f - t[a] * t[a]);
                    dqb[a] += dpre;
                    if (dk) dk[a] += dpre;
                }
            }
    });
    if (dv)  // e = vᵀ t -> ∂v += Σ_{b,i} ∂e_bi t_bi (a fixed serial order: the same sum on any thread count)
        for (int b = 0; b < B; b++)
            for (int i = 0; i < valid_len[b]; i++) {
                const float g = de[(size_t)b * S + i];
                const float* t = th + ((size_t)b * S + i) * A;
                for (int a = 0; a < A; a++) dv[a] += g * t[a];
            }
    // q = W s  ->  ds += dq W,  dW += dqᵀ s
    linear_backward(ds, dW, nullptr, dq, s, W, B, Hd, A);
    // END SOLUTION
}

}  // namespace attn
