// multi_head_attention.hpp — multi-head attention (Vaswani et al. 2017, §3.2.2), forward and backward.
//
//   Q = x_q W_qᵀ + b_q      K = x_kv W_kᵀ + b_k      V = x_kv W_vᵀ + b_v          (B,T,C)
//   head h reads columns [h·hs, (h+1)·hs) of Q, K, V:   o_h = attention(Q_h, K_h, V_h)   (attention.hpp)
//   out = concat_h(o_h) W_oᵀ + b_o                                                      (B,Tq,C)
//
// The queries and the keys/values come from SEPARATE inputs: self-attention passes the same x twice
// (x_q = x_kv), chapter 07's decoder passes its own states as x_q and the encoder's as x_kv
// (cross-attention), and its causal mask is AttnMask::causal. Nothing here needs rewriting for that.
// PyTorch's nn.MultiheadAttention computes exactly this (its in_proj_weight is W_q, W_k, W_v stacked,
// its out_proj is W_o): the tests compare both, forward and gradients, with masks.
//
// Shapes: B batch, Tq queries, Tk keys, C model width, NH heads, hs = C / NH head size.
#pragma once
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "chapters/06_self_attention/attention.hpp"
#include "common/core/buffer.hpp"
#include "common/core/error.hpp"
#include "common/core/matmul.hpp"
#include "common/core/params.hpp"
#include "common/core/rng.hpp"
#include "common/core/thread_pool.hpp"
#include "common/nn/init.hpp"

namespace ch06 {
using namespace attn;

enum class AttnKernel { Matmul, Naive };  // attention.hpp's two twins

struct MHA {
    int C = 0, NH = 1;
    Tensor Wq, bq, Wk, bk, Wv, bv;  // (C,C), (C) each
    Tensor Wo, bo;                  // (C,C), (C)
    int hs() const { return C / NH; }
};

// Declare the parameters in ps under prefix ("layer0.attn."); initialise after ps.allocate().
inline void mha_declare(MHA& a, ParamSet& ps, const std::string& prefix, int C, int NH) {
    if (NH < 1 || C % NH != 0)
        fail("multi-head attention", "a width divisible by the heads, got C=" + std::to_string(C) + ", NH=" +
                                         std::to_string(NH), "pick --heads dividing --dim");
    a.C = C, a.NH = NH;
    ps.add(a.Wq, prefix + "W_q", {C, C}), ps.add(a.bq, prefix + "b_q", {C});
    ps.add(a.Wk, prefix + "W_k", {C, C}), ps.add(a.bk, prefix + "b_k", {C});
    ps.add(a.Wv, prefix + "W_v", {C, C}), ps.add(a.bv, prefix + "b_v", {C});
    ps.add(a.Wo, prefix + "W_o", {C, C}), ps.add(a.bo, prefix + "b_o", {C});
}
// PyTorch's: Xavier-uniform W_q, W_k, W_v (as one (3C,C) matrix), zero biases, W_o like nn.Linear.
inline void mha_init(MHA& a, Rng& rng) {
    for (Tensor* w : {&a.Wq, &a.Wk, &a.Wv}) init_xavier_uniform(*w, rng, a.C, 3 * a.C);
    init_kaiming_uniform(a.Wo, rng, a.C, 1.0f / std::sqrt(3.0f));
}

// What the forward keeps for the backward, sized by resize() for a batch (only ever grows).
struct MHACache {
    int B = 0, Tq = 0, Tk = 0, NH = 1;
    Buf Q, K, V;         // (B,Tq,C), (B,Tk,C), (B,Tk,C)  projections
    Buf q, k, v;         // (B,NH,Tq,hs), (B,NH,Tk,hs) ×2  the same, heads split out
    Buf att;             // (B,NH,Tq,Tk)  attention weights
    Buf dropped;         // (B,NH,Tq,Tk)  drop(att), with attention dropout only
    std::vector<uint8_t> keep;  //          its mask
    float p = 0;         // the attention dropout of the last forward (0: none)
    Buf o, merged;       // (B,NH,Tq,hs), (B,Tq,C)  head outputs, concatenated
    Buf dmerged, do_, dq, dk, dv, dQ, dK, dV;  // backward scratch, the same shapes
    void resize(int b, int tq, int tk, int C, int nh) {
        B = b, Tq = tq, Tk = tk, NH = nh;
        const size_t nq = (size_t)b * tq * C, nk = (size_t)b * tk * C, na = (size_t)b * nh * tq * tk;
        for (Buf* x : {&Q, &q, &o, &merged, &dmerged, &do_, &dq, &dQ}) if (x->size() < nq) x->resize(nq);
        for (Buf* x : {&K, &V, &k, &v, &dk, &dv, &dK, &dV}) if (x->size() < nk) x->resize(nk);
        if (att.size() < na) att.resize(na);
    }
    // Attention dropout at rate p for this forward (after resize): where its mask and weights go.
    AttnDropout dropout(float rate, Rng* rng) {
        p = rate;
        if (p <= 0) return {};
        const size_t na = (size_t)B * NH * Tq * Tk;
        if (dropped.size() < na) dropped.resize(na), keep.resize(na);
        return {p, rng, keep.data(), dropped.data()};
    }
    AttnDropout dropout_used() { return {p, nullptr, keep.data(), dropped.data()}; }  // for the backward
};

// (B,T,NH,hs) → (B,NH,T,hs): head h's rows made contiguous; merge_heads is the inverse (and each is
// the other's backward, a pure permutation). Each row of hs floats is copied by a loop: std::copy would
// call the C library for every 16 or 64 floats. The sentences b are split across the threads.
inline void permute_heads(float* out, const float* in, int B, int T, int NH, int hs, bool split) {
    parallel_for(B, [&](int b0, int b1) {
        for (int b = b0; b < b1; b++)
            for (int t = 0; t < T; t++)
                for (int h = 0; h < NH; h++) {
                    const size_t bth = (((size_t)b * T + t) * NH + h) * hs;  // [b, t, h, :] of (B,T,NH,hs)
                    const size_t bht = (((size_t)b * NH + h) * T + t) * hs;  // [b, h, t, :] of (B,NH,T,hs)
                    const float* src = in + (split ? bth : bht);
                    float* dst = out + (split ? bht : bth);
                    for (int j = 0; j < hs; j++) dst[j] = src[j];
                }
    });
}
inline void split_heads(float* out, const float* in, int B, int T, int NH, int hs) {
    permute_heads(out, in, B, T, NH, hs, true);
}
inline void merge_heads(float* out, const float* in, int B, int T, int NH, int hs) {
    permute_heads(out, in, B, T, NH, hs, false);
}

// out (B,Tq,C); xq (B,Tq,C); xkv (B,Tk,C) — the same pointer for self-attention. attn_dropout > 0
// (training only) drops attention weights (attention.hpp's AttnDropout), its masks drawn from *rng.
inline void mha_forward(float* out, MHACache& c, const MHA& a, const float* xq, const float* xkv, const AttnMask& mask,
                        int B, int Tq, int Tk, AttnKernel kernel = AttnKernel::Matmul, float attn_dropout = 0,
                        Rng* rng = nullptr) {
    // BEGIN SOLUTION
    const int C = a.C, NH = a.NH, hs = a.hs();
    c.resize(B, Tq, Tk, C, NH);
    linear_forward(c.Q.data(), xq, a.Wq.data, a.bq.data, B * Tq, C, C);   // Q = x_q W_qᵀ + b_q
    linear_forward(c.K.data(), xkv, a.Wk.data, a.bk.data, B * Tk, C, C);  // K = x_kv W_kᵀ + b_k
    linear_forward(c.V.data(), xkv, a.Wv.data, a.bv.data, B * Tk, C, C);  // V = x_kv W_vᵀ + b_v
    split_heads(c.q.data(), c.Q.data(), B, Tq, NH, hs);
    split_heads(c.k.data(), c.K.data(), B, Tk, NH, hs);
    split_heads(c.v.data(), c.V.data(), B, Tk, NH, hs);
    AttnMask m = mask;
    m.heads = NH;
    if (kernel == AttnKernel::Matmul)  // o_h = softmax(q_h k_hᵀ/√hs) v_h, every head at once
        sdpa_forward(c.o.data(), c.att.data(), c.q.data(), c.k.data(), c.v.data(), m, B * NH, Tq, Tk, hs,
                     c.dropout(attn_dropout, rng));
    else if (attn_dropout > 0) fail("mha_forward", "attention dropout with the matmul kernel only");
    else sdpa_forward_naive(c.o.data(), c.att.data(), c.q.data(), c.k.data(), c.v.data(), m, B * NH, Tq, Tk, hs);
    merge_heads(c.merged.data(), c.o.data(), B, Tq, NH, hs);
    linear_forward(out, c.merged.data(), a.Wo.data, a.bo.data, B * Tq, C, C);  // out = concat(o_h) W_oᵀ + b_o
    // END SOLUTION
}

// dxq (B,Tq,C) and dxkv (B,Tk,C) += gradients (either may be nullptr; for self-attention pass the same
// buffer twice: both paths add into it); parameter gradients += into a's Tensors. Reads the cache of
// the last mha_forward with these inputs.
inline void mha_backward(float* dxq, float* dxkv, MHA& a, MHACache& c, const float* dout, const float* xq,
                         const float* xkv, int B, int Tq, int Tk, AttnKernel kernel = AttnKernel::Matmul) {
    // BEGIN SOLUTION
    const int C = a.C, NH = a.NH, hs = a.hs();
    const size_t nq = (size_t)B * Tq * C, nk = (size_t)B * Tk * C;
    // out = merged W_oᵀ + b_o   →  dmerged = dout W_o,  dW_o += doutᵀ merged,  db_o += Σ dout
    linear_backward(c.dmerged.data(), a.Wo.grad, a.bo.grad, dout, c.merged.data(), a.Wo.data, B * Tq, C, C,
                    /*accumulate=*/false);  // written, not added: nothing else reaches dmerged
    split_heads(c.do_.data(), c.dmerged.data(), B, Tq, NH, hs);  // merge's backward is a split
    std::fill_n(c.dq.data(), nq, 0.0f), std::fill_n(c.dk.data(), nk, 0.0f), std::fill_n(c.dv.data(), nk, 0.0f);
    if (kernel == AttnKernel::Matmul)
        sdpa_backward(c.dq.data(), c.dk.data(), c.dv.data(), c.do_.data(), c.att.data(), c.q.data(), c.k.data(),
                      c.v.data(), B * NH, Tq, Tk, hs, c.dropout_used());
    else sdpa_backward_naive(c.dq.data(), c.dk.data(), c.dv.data(), c.do_.data(), c.att.data(), c.q.data(),
                             c.k.data(), c.v.data(), B * NH, Tq, Tk, hs);
    merge_heads(c.dQ.data(), c.dq.data(), B, Tq, NH, hs);
    merge_heads(c.dK.data(), c.dk.data(), B, Tk, NH, hs);
    merge_heads(c.dV.data(), c.dv.data(), B, Tk, NH, hs);
    // Q = x_q W_qᵀ + b_q        →  dx_q += dQ W_q,  dW_q += dQᵀ x_q   (K, V the same from x_kv)
    linear_backward(dxq, a.Wq.grad, a.bq.grad, c.dQ.data(), xq, a.Wq.data, B * Tq, C, C);
    linear_backward(dxkv, a.Wk.grad, a.bk.grad, c.dK.data(), xkv, a.Wk.data, B * Tk, C, C);
    linear_backward(dxkv, a.Wv.grad, a.bv.grad, c.dV.data(), xkv, a.Wv.data, B * Tk, C, C);
    // END SOLUTION
}

}  // namespace ch06
