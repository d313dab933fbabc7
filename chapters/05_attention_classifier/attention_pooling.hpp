// attention_pooling.hpp — chapter 05's idea: turn the T states of a sentence into ONE vector by a
// weighted average whose weights the model learns — and that we can read afterwards.
//
// Attention pooling (Yang et al. 2016, "Hierarchical Attention Networks for Document
// Classification", section 2.2; Bahdanau's scoring of chapter 02 with a learned query):
//
//   keys      k_i = U h_i                                  (B,T,A)
//   query     u                                            (A)      ONE learned vector: "which word
//                                                                   decides the label?"
//   scores    e_i = vᵀ tanh(u + k_i)                       (B,T)
//   weights   α_i = exp(e_i) / Σ_{j < len} exp(e_j)        (B,T)    over the valid tokens only
//   context   c   = Σ_i α_i h_i                            (B,D)
//
// The keys and the scoring are chapter 02's (additive_keys_*, additive_attend_*), included, not
// copied: only the query differs — chapter 02 asks with W s_{t−1}, here every sentence is asked the
// same learned question u, copied to the B rows before scoring (and its gradient summed back).
//
// The two baselines, with no weights to learn:
//   mean pooling   c = (1/len) Σ_{i < len} h_i                     every token weighs the same
//   last state     c = [h→_{len−1} ; h←_0]                          the two directions' final states
//
// Shape legend: B batch, T tokens (padded), D = 2H state size, A attention size.
#pragma once
#include <algorithm>
#include <string>

#include "chapters/02_additive_attention/additive_attention.hpp"
#include "common/core/error.hpp"

namespace ch05 {
using namespace attn;

enum class Pooling { Attention, Mean, Last };

inline const char* pooling_name(Pooling p) {
    switch (p) {
        case Pooling::Attention:
            return "attention";
        case Pooling::Mean:
            return "mean";
        case Pooling::Last:
            return "last";
    }
    return "?";
}
inline Pooling pooling_from_name(const std::string& s) {
    for (Pooling p : {Pooling::Attention, Pooling::Mean, Pooling::Last})
        if (s == pooling_name(p)) return p;
    fail("--pooling", "attention, mean or last, got '" + s + "'");
}

// ---- attention pooling ------------------------------------------------------------------------
// Forward keeps keys (B,T,A), q (B,A) = u on every row, th (B,T,A), alpha (B,T); scores (B,T) for
// drawing. h (B,T,D) are the BiGRU states (0 on padding), U (A,D), u (A), v (A).
inline void attention_pool_forward(float* ctx, float* alpha, float* scores, float* keys, float* q, float* th,
                                   const float* h, const float* U, const float* u, const float* v,
                                   const int* len, int B, int T, int D, int A) {
    // BEGIN SOLUTION
    additive_keys_forward(keys, h, U, B, T, D, A);                       // k_i = U h_i
    for (int b = 0; b < B; b++) std::copy(u, u + A, q + (size_t)b * A);  // the same query u for every row
    additive_attend_forward(ctx, alpha, scores, th, q, keys, h, v, len, B, T, A, D);  // α, c = Σ α_i h_i
    // END SOLUTION
}
// scratch: attention_pool_scratch_size(B,T,A) floats.
inline size_t attention_pool_scratch_size(int B, int T, int A) {
    return additive_attend_scratch_size(B, T) + (size_t)B * A + (size_t)B * T * A;
}
// dctx (B,D) -> dh (B,T,D) +=, dU (A,D) +=, du (A) +=, dv (A) +=.
inline void attention_pool_backward(float* dh, float* dU, float* du, float* dv, const float* dctx,
                                    const float* alpha, const float* th, const float* h, const float* U,
                                    const float* v, const int* len, int B, int T, int D, int A,
                                    float* scratch) {
    // BEGIN SOLUTION
    float* dq = scratch + additive_attend_scratch_size(B, T);  // (B,A)
    float* dkeys = dq + (size_t)B * A;                         // (B,T,A)
    std::fill(dq, dq + (size_t)B * A + (size_t)B * T * A, 0.0f);
    additive_attend_backward(dq, dkeys, dh, dv, dctx, alpha, th, h, v, len, B, T, A, D, scratch);
    // q_b = u for every row  ->  du += Σ_b dq_b
    for (int b = 0; b < B; b++)
        for (int a = 0; a < A; a++) du[a] += dq[(size_t)b * A + a];
    additive_keys_backward(dh, dU, dkeys, h, U, B, T, D, A);  // k_i = U h_i
    // END SOLUTION
}

// ---- mean pooling -----------------------------------------------------------------------------
inline void mean_pool_forward(float* ctx, const float* h, const int* len, int B, int T, int D) {
    // BEGIN SOLUTION
    for (int b = 0; b < B; b++) {
        float* c = ctx + (size_t)b * D;
        std::fill(c, c + D, 0.0f);
        for (int i = 0; i < len[b]; i++)
            for (int d = 0; d < D; d++) c[d] += h[((size_t)b * T + i) * D + d];  // Σ_{i<len} h_i
        for (int d = 0; d < D; d++) c[d] /= (float)len[b];                       // / len
    }
    // END SOLUTION
}
inline void mean_pool_backward(float* dh, const float* dctx, const int* len, int B, int T, int D) {
    // BEGIN SOLUTION
    // c = (1/len) Σ_i h_i  ->  dh_i += dc / len   (i < len)
    for (int b = 0; b < B; b++)
        for (int i = 0; i < len[b]; i++)
            for (int d = 0; d < D; d++)
                dh[((size_t)b * T + i) * D + d] += dctx[(size_t)b * D + d] / (float)len[b];
    // END SOLUTION
}

// ---- last state -------------------------------------------------------------------------------
// h (B,T,2H) = [h→ ; h←] at every position: the forward GRU ends at position len−1, the backward
// one (which reads the sentence right to left) at position 0.
inline void last_pool_forward(float* ctx, const float* h, const int* len, int B, int T, int D) {
    // BEGIN SOLUTION
    const int H = D / 2;
    for (int b = 0; b < B; b++) {
        const float* hf = h + ((size_t)b * T + len[b] - 1) * D;  // h→ after the last token
        const float* hb = h + (size_t)b * T * D + H;             // h← after the first token
        std::copy(hf, hf + H, ctx + (size_t)b * D);
        std::copy(hb, hb + H, ctx + (size_t)b * D + H);
    }
    // END SOLUTION
}
inline void last_pool_backward(float* dh, const float* dctx, const int* len, int B, int T, int D) {
    // BEGIN SOLUTION
    const int H = D / 2;
    for (int b = 0; b < B; b++)
        for (int d = 0; d < H; d++) {
            dh[((size_t)b * T + len[b] - 1) * D + d] += dctx[(size_t)b * D + d];
            dh[(size_t)b * T * D + H + d] += dctx[(size_t)b * D + H + d];
        }
    // END SOLUTION
}

}  // namespace ch05
