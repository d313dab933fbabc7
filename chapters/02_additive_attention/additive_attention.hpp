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
// The scoring is split from the query: additive_attend_* take any query q (B,A) — chapter 05 asks
// with a learned vector instead of W s_{t−1}. U h_i does not depend on t, so it is computed once per
// sentence (additive_keys_forward); each decoder step then costs only W s_{t−1} plus S·A tanh. Padded positions (i ≥ len) get weight
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
#include "common/nn/activations.hpp"  // tanh_forward
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

// ---- scoring against a GIVEN query: scores, masked softmax, context ---------------------------
// The heart of additive attention, whatever the query is. Chapter 02's decoder asks with
// q = W s_{t−1} (additive_attention_forward below); chapter 05's classifier asks every sentence the
// same learned question q = u (one vector, broadcast to the B rows) and includes this header.
// What forward keeps for backward: th (B,S,A) = tanh(q + k_i), alpha (B,S) the weights.
// scores (B,S) = e_i is also written (−INFINITY at padded positions, for drawing).
inline void additive_attend_forward(float* ctx, float* alpha, float* scores, float* th, const float* q,
                                    const float* keys, const float* values, const float* v, const int* valid_len,
                                    int B, int S, int A, int D) {
    // q is (B,A), keys is (B,S,A), values is (B,S,D), v is (A), valid_len is (B)
    // ctx is (B,D), alpha and scores are (B,S), th is (B,S,A)
    // BEGIN SOLUTION
    parallel_for(B, [&](int b0, int b1) {
        for (int b = b0; b < b1; b++) {
            const int len = valid_len[b];
            for (int i = 0; i < S; i++) {
                float* t = th + ((size_t)b * S + i) * A;
                const float* k = keys + ((size_t)b * S + i) * A;
                const float* qb = q + (size_t)b * A;
                for (int a = 0; a < A; a++) t[a] = qb[a] + k[a];
                tanh_forward(t, t, A);  // tanh(q + U h_i)
                double e = 0;
                for (int a = 0; a < A; a++) e += (double)v[a] * t[a];  // e_i = vᵀ tanh(...)
                scores[(size_t)b * S + i] = i < len ? (float)e : -INFINITY;
            }
        }
    });
    // α = softmax over i < len of e (padded positions: exactly 0)
    masked_softmax_forward(alpha, scores, nullptr, valid_len, B, S);
    parallel_for(B, [&](int b0, int b1) {
        for (int b = b0; b < b1; b++) {
            float* c = ctx + (size_t)b * D;
            for (int d = 0; d < D; d++) c[d] = 0;
            for (int i = 0; i < valid_len[b]; i++) {  // c = Σ_i α_i h_i
                const float w = alpha[(size_t)b * S + i];
                const float* h = values + ((size_t)b * S + i) * D;
                for (int d = 0; d < D; d++) c[d] += w * h[d];
            }
        }
    });
    // END SOLUTION
}

// scratch: additive_attend_scratch_size(B,S) floats.
inline size_t additive_attend_scratch_size(int B, int S) { return (size_t)2 * B * S; }

// dctx (B,D) is ∂L/∂c. Adds into dq (B,A), dkeys (B,S,A), dvalues (B,S,D), dv (A); any of them may
// be nullptr. th, alpha are forward's caches; values, v its inputs.
inline void additive_attend_backward(float* dq, float* dkeys, float* dvalues, float* dv, const float* dctx,
                                     const float* alpha, const float* th, const float* values, const float* v,
                                     const int* valid_len, int B, int S, int A, int D, float* scratch) {
    // BEGIN SOLUTION
    float* dalpha = scratch;              // (B,S)
    float* de = scratch + (size_t)B * S;  // (B,S)
    std::fill(scratch, scratch + additive_attend_scratch_size(B, S), 0.0f);
    parallel_for(B, [&](int b0, int b1) {
        for (int b = b0; b < b1; b++) {
            const float* dc = dctx + (size_t)b * D;
            for (int i = 0; i < valid_len[b]; i++) {
                // c = Σ_i α_i h_i  ->  ∂α_i = dc · h_i,  ∂h_i += α_i dc
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
                float* dqb = dq ? dq + (size_t)b * A : nullptr;
                float* dk = dkeys ? dkeys + ((size_t)b * S + i) * A : nullptr;
                for (int a = 0; a < A; a++) {
                    // e = vᵀ t,  t = tanh(q + k)  ->  ∂(q + k) = ∂e · v ⊙ (1 − t²)
                    const float dpre = g * v[a] * (1.0f - t[a] * t[a]);
                    if (dqb) dqb[a] += dpre;
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
    // END SOLUTION
}

// ---- one decoder step of chapter 02: the query q = W s_{t−1}, then the scoring above ------------
// What forward keeps for backward (all written by forward, sized by the caller):
//   q (B,A) = W s,  th (B,S,A) = tanh(q + k_i),  alpha (B,S) the weights.
inline void additive_attention_forward(float* ctx, float* alpha, float* scores, float* q, float* th, const float* s,
                                       const float* W, const float* keys, const float* values, const float* v,
                                       const int* valid_len, int B, int S, int A, int D, int Hd) {
    // s is (B,Hd), W is (A,Hd); the rest as additive_attend_forward
    // BEGIN SOLUTION
    linear_forward(q, s, W, nullptr, B, Hd, A);  // q = W s_{t−1}
    additive_attend_forward(ctx, alpha, scores, th, q, keys, values, v, valid_len, B, S, A, D);
    // END SOLUTION
}

// scratch: additive_attention_scratch_size(B,S,A) floats.
inline size_t additive_attention_scratch_size(int B, int S, int A) {
    return additive_attend_scratch_size(B, S) + (size_t)B * A;
}

// dctx (B,D) is ∂L/∂c. Adds into ds (B,Hd), dW (A,Hd), dkeys (B,S,A), dvalues (B,S,D), dv (A);
// any of them may be nullptr. q, th, alpha are forward's caches; s, W, keys, values, v its inputs.
inline void additive_attention_backward(float* ds, float* dW, float* dkeys, float* dvalues, float* dv,
                                        const float* dctx, const float* alpha, const float* th, const float* s,
                                        const float* W, const float* values, const float* v, const int* valid_len,
                                        int B, int S, int A, int D, int Hd, float* scratch) {
    // BEGIN SOLUTION
    float* dq = scratch + additive_attend_scratch_size(B, S);  // (B,A)
    std::fill(dq, dq + (size_t)B * A, 0.0f);
    additive_attend_backward(dq, dkeys, dvalues, dv, dctx, alpha, th, values, v, valid_len, B, S, A, D, scratch);
    // q = W s  ->  ds += dq W,  dW += dqᵀ s
    linear_backward(ds, dW, nullptr, dq, s, W, B, Hd, A);
    // END SOLUTION
}

}  // namespace attn
