// attention.hpp — scaled dot-product attention (Vaswani et al. 2017, eq. 1), forward and backward,
// with a padding mask and a causal mask; the matmul version and its naive loop twin side by side.
//
//   S   = q · kᵀ / √hs                      (Tq, Tk)  one score per (query, key)
//   S_ij = −∞ where key j is masked         (padding: j ≥ kv_len;  causal: j > i)
//   att = softmax over j of S               (Tq, Tk)  each query's weights sum to 1 over kept keys
//   out = att · v                           (Tq, hs)
//
// Shapes: BH = B·NH (every head of every sequence is its own small attention), Tq queries, Tk keys,
// hs head size. q is (BH,Tq,hs), k and v are (BH,Tk,hs), all contiguous per (b,h). The caller (the
// multi-head layer) splits the heads into this layout and merges them back.
// Why divide by √hs: with q and k of unit-variance entries, q·k has variance hs; unscaled, the
// softmax saturates as hs grows and its gradient vanishes.
// Why −∞ and not a big negative number: exp(−∞) is exactly 0, so a masked key gets exactly zero
// weight and zero gradient, whatever the scores of the others.
//
// Threads: the (b,h) pairs are split among threads; each runs the small matmuls of its heads serially
// (a parallel_for inside a worker is serial). Every output belongs to one (b,h): bit-identical
// results for any thread count.
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

#include "common/core/buffer.hpp"
#include "common/core/error.hpp"
#include "common/core/matmul.hpp"
#include "common/core/rng.hpp"
#include "common/core/thread_pool.hpp"
#include "common/nn/dropout.hpp"
#include "common/nn/softmax.hpp"

namespace ch06 {
using namespace attn;

// Which keys a query may see. kv_len (B) or nullptr: sequence b has kv_len[b] real keys (the rest is
// padding); heads: NH, so that (b,h) = bh reads kv_len[bh / heads]; causal: query i sees keys j ≤ i.
struct AttnMask {
    const int* kv_len = nullptr;
    int heads = 1;
    bool causal = false;
};

inline bool attn_kept(const AttnMask& m, int bh, int i, int j) {
    if (m.kv_len && j >= m.kv_len[bh / m.heads]) return false;
    return !(m.causal && j > i);
}

// Dropout on the attention weights (the paper's §5.4 applies it to every sublayer; its reference code,
// like PyTorch's, also to the weights): out = drop(att)·v, so in training a query ignores a random
// part of its keys. The masks are drawn serially from one Rng between two parallel passes: the same
// masks on any thread count. p = 0 (the default) is the plain attention above, drawing nothing.
struct AttnDropout {
    float p = 0;
    Rng* rng = nullptr;
    uint8_t* keep = nullptr;   // (BH,Tq,Tk) out: the mask
    float* dropped = nullptr;  // (BH,Tq,Tk) out: drop(att), what multiplies v
};

// att (BH,Tq,Tk) is the cache the backward reads (and what the figures draw).
inline void sdpa_forward(float* out, float* att, const float* q, const float* k, const float* v, const AttnMask& m,
                         int BH, int Tq, int Tk, int hs, const AttnDropout& drop = {}) {
    // BEGIN SOLUTION
    const float scale = 1.0f / std::sqrt((float)hs);
    const bool dropping = drop.p > 0;
    parallel_for(BH, [&](int b0, int b1) {
        Buf S((size_t)Tq * Tk);
        std::vector<uint8_t> keep((size_t)Tq * Tk);
        for (int bh = b0; bh < b1; bh++) {
            const size_t qo = (size_t)bh * Tq * hs, ko = (size_t)bh * Tk * hs, ao = (size_t)bh * Tq * Tk;
            matmul_nt(S.data(), q + qo, k + ko, Tq, hs, Tk);  // S = q·kᵀ
            for (int i = 0; i < Tq; i++)
                for (int j = 0; j < Tk; j++) {
                    S[(size_t)i * Tk + j] *= scale;  // S /= √hs
                    keep[(size_t)i * Tk + j] = attn_kept(m, bh, i, j);
                }
            masked_softmax_forward(att + ao, S.data(), keep.data(), nullptr, Tq, Tk);  // att = softmax(S) over kept
            if (!dropping) matmul_nn(out + qo, att + ao, v + ko, Tq, Tk, hs);          // out = att·v
        }
    });
    if (!dropping) return;
    const size_t n = (size_t)BH * Tq * Tk;  // out = drop(att)·v
    dropout_forward(drop.dropped, drop.keep, att, (int)n, drop.p, *drop.rng, true);
    parallel_for(BH, [&](int b0, int b1) {
        for (int bh = b0; bh < b1; bh++)
            matmul_nn(out + (size_t)bh * Tq * hs, drop.dropped + (size_t)bh * Tq * Tk, v + (size_t)bh * Tk * hs, Tq,
                      Tk, hs);
    });
    // END SOLUTION
}

// dq (BH,Tq,hs), dk, dv (BH,Tk,hs) += gradients; dout (BH,Tq,hs); att (and drop's mask) from the forward.
// Masked keys need no mask here: their att is 0, so their gradient is 0 by the softmax formula.
inline void sdpa_backward(float* dq, float* dk, float* dv, const float* dout, const float* att, const float* q,
                          const float* k, const float* v, int BH, int Tq, int Tk, int hs, const AttnDropout& drop = {}) {
    // BEGIN SOLUTION
    const float scale = 1.0f / std::sqrt((float)hs);
    const float kept = drop.p > 0 ? 1.0f / (1.0f - drop.p) : 1.0f;
    parallel_for(BH, [&](int b0, int b1) {
        Buf datt((size_t)Tq * Tk), dS((size_t)Tq * Tk);
        for (int bh = b0; bh < b1; bh++) {
            const size_t qo = (size_t)bh * Tq * hs, ko = (size_t)bh * Tk * hs, ao = (size_t)bh * Tq * Tk;
            // out = att·v        →  datt = dout·vᵀ,  dv += attᵀ·dout   (att: the dropped weights, if any)
            matmul_nt(datt.data(), dout + qo, v + ko, Tq, hs, Tk);
            matmul_tn(dv + ko, drop.p > 0 ? drop.dropped + ao : att + ao, dout + qo, Tk, Tq, hs, true);
            if (drop.p > 0)  // the dropped weights = att · keep / (1 − p)
                for (size_t i = 0; i < (size_t)Tq * Tk; i++) datt[i] = drop.keep[ao + i] ? datt[i] * kept : 0.0f;
            // att = softmax(S)   →  dS = att ⊙ (datt − Σ_j datt ⊙ att)
            std::fill(dS.begin(), dS.end(), 0.0f);
            masked_softmax_backward(dS.data(), datt.data(), att + ao, Tq, Tk);
            for (float& x : dS) x *= scale;  // S = q·kᵀ/√hs  →  the 1/√hs reaches dq and dk
            // S = q·kᵀ           →  dq += dS·k,  dk += dSᵀ·q
            matmul_nn(dq + qo, dS.data(), k + ko, Tq, Tk, hs, true);
            matmul_tn(dk + ko, dS.data(), q + qo, Tk, Tq, hs, true);
        }
    });
    // END SOLUTION
}

// ---- the naive twin: every sum written as a loop, one (b,h,i) at a time, no threads ------------
// The tests hold it equal to the matmul version (to rounding). Read this one first.
inline void sdpa_forward_naive(float* out, float* att, const float* q, const float* k, const float* v,
                               const AttnMask& m, int BH, int Tq, int Tk, int hs) {
    const float scale = 1.0f / std::sqrt((float)hs);
    for (int bh = 0; bh < BH; bh++)
        for (int i = 0; i < Tq; i++) {
            const float* q_i = q + ((size_t)bh * Tq + i) * hs;
            float* a_i = att + ((size_t)bh * Tq + i) * Tk;
            float mx = -INFINITY;
            for (int j = 0; j < Tk; j++) {  // S_ij = q_i·k_j / √hs, or −∞
                const float* k_j = k + ((size_t)bh * Tk + j) * hs;
                float s = 0;
                for (int d = 0; d < hs; d++) s += q_i[d] * k_j[d];
                a_i[j] = attn_kept(m, bh, i, j) ? s * scale : -INFINITY;
                mx = std::max(mx, a_i[j]);
            }
            double sum = 0;
            for (int j = 0; j < Tk; j++) {  // att_ij = exp(S_ij − max) / Σ_j' exp(S_ij' − max)
                a_i[j] = a_i[j] == -INFINITY ? 0.0f : std::exp(a_i[j] - mx);
                sum += a_i[j];
            }
            for (int j = 0; j < Tk; j++) a_i[j] = sum > 0 ? (float)(a_i[j] / sum) : 0.0f;
            float* o_i = out + ((size_t)bh * Tq + i) * hs;
            for (int d = 0; d < hs; d++) {  // out_i = Σ_j att_ij v_j
                float s = 0;
                for (int j = 0; j < Tk; j++) s += a_i[j] * v[((size_t)bh * Tk + j) * hs + d];
                o_i[d] = s;
            }
        }
}

inline void sdpa_backward_naive(float* dq, float* dk, float* dv, const float* dout, const float* att,
                                const float* q, const float* k, const float* v, int BH, int Tq, int Tk, int hs) {
    const float scale = 1.0f / std::sqrt((float)hs);
    std::vector<float> datt(Tk);
    for (int bh = 0; bh < BH; bh++)
        for (int i = 0; i < Tq; i++) {
            const float* a_i = att + ((size_t)bh * Tq + i) * Tk;
            const float* do_i = dout + ((size_t)bh * Tq + i) * hs;
            float dot = 0;  // Σ_j datt_ij att_ij
            for (int j = 0; j < Tk; j++) {
                const float* v_j = v + ((size_t)bh * Tk + j) * hs;
                float s = 0;
                for (int d = 0; d < hs; d++) {
                    s += do_i[d] * v_j[d];                                           // datt_ij = dout_i·v_j
                    dv[((size_t)bh * Tk + j) * hs + d] += a_i[j] * do_i[d];          // dv_j += att_ij dout_i
                }
                datt[j] = s;
                dot += s * a_i[j];
            }
            for (int j = 0; j < Tk; j++) {
                const float dS = a_i[j] * (datt[j] - dot) * scale;  // softmax backward, then the 1/√hs
                for (int d = 0; d < hs; d++) {
                    dq[((size_t)bh * Tq + i) * hs + d] += dS * k[((size_t)bh * Tk + j) * hs + d];
                    dk[((size_t)bh * Tk + j) * hs + d] += dS * q[((size_t)bh * Tq + i) * hs + d];
                }
            }
        }
}

}  // namespace ch06
