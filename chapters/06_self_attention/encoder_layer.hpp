// encoder_layer.hpp — the Transformer encoder layer (Vaswani et al. 2017, §3.1), forward and backward:
// multi-head self-attention and a position-wise feed-forward network, each wrapped in a residual
// connection and a layer norm, with dropout on each branch before it is added back.
//
//   post-norm (the paper):                      pre-norm (GPT-2, ViT; Xiong et al. 2020):
//     h = LN1(x + drop(MHA(x, x)))                h = x + drop(MHA(LN1(x), LN1(x)))
//     y = LN2(h + drop(FFN(h)))                   y = h + drop(FFN(LN2(h)))
//   FFN(z) = W2 · relu(W1 z + b1) + b2         (C → F → C, applied to every position on its own)
//
// Pre-norm keeps an un-normalised path from input to output (the residual stream), which trains
// deep stacks without warm-up; post-norm normalises every layer's output. Chapters 07 and 08 include
// this header (07 adds the decoder layer beside it).
//
// Shapes: B batch, T length, C width, NH heads, F feed-forward width.
#pragma once
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "chapters/06_self_attention/multi_head_attention.hpp"
#include "common/nn/activations.hpp"
#include "common/nn/dropout.hpp"
#include "common/nn/layernorm.hpp"

namespace ch06 {
using namespace attn;

enum class NormPlace { Post, Pre };

struct EncoderLayer {
    int C = 0, NH = 1, F = 0;
    NormPlace norm = NormPlace::Post;
    float dropout = 0.0f;     // on both branches, training only
    float attn_dropout = 0.0f;  // on the attention weights, training only (chapter 07 sets it)
    MHA attn;
    Tensor ln1_g, ln1_b;      // (C)
    Tensor W1, b1;            // (F,C), (F)
    Tensor W2, b2;            // (C,F), (C)
    Tensor ln2_g, ln2_b;      // (C)
};

inline void encoder_layer_declare(EncoderLayer& L, ParamSet& ps, const std::string& prefix, int C, int NH, int F,
                                  NormPlace norm, float dropout) {
    L.C = C, L.NH = NH, L.F = F, L.norm = norm, L.dropout = dropout;
    mha_declare(L.attn, ps, prefix + "attn.", C, NH);
    ps.add(L.ln1_g, prefix + "ln1.weight", {C}), ps.add(L.ln1_b, prefix + "ln1.bias", {C});
    ps.add(L.W1, prefix + "ffn.W1", {F, C}), ps.add(L.b1, prefix + "ffn.b1", {F});
    ps.add(L.W2, prefix + "ffn.W2", {C, F}), ps.add(L.b2, prefix + "ffn.b2", {C});
    ps.add(L.ln2_g, prefix + "ln2.weight", {C}), ps.add(L.ln2_b, prefix + "ln2.bias", {C});
}
inline void encoder_layer_init(EncoderLayer& L, Rng& rng) {
    mha_init(L.attn, rng);
    init_constant(L.ln1_g, 1.0f), init_constant(L.ln2_g, 1.0f);
    const float k1 = 1.0f / std::sqrt((float)L.C), k2 = 1.0f / std::sqrt((float)L.F);  // nn.Linear's default
    init_uniform(L.W1, rng, -k1, k1), init_uniform(L.b1, rng, -k1, k1);
    init_uniform(L.W2, rng, -k2, k2), init_uniform(L.b2, rng, -k2, k2);
}

// Everything the forward keeps (resize() only ever grows). Names follow the equations above; for
// post-norm attn_in is x itself (not stored) and ffn_in is h.
struct EncoderCache {
    int B = 0, T = 0;
    bool training = false;
    MHACache mha;
    Buf attn_in, a, ad, s1, mean1, rstd1, h;    // (B,T,C) ... mean/rstd (B,T)
    Buf ffn_in, mean2, rstd2, f1, f1r, f2, fd, s2;  // f1, f1r (B,T,F)
    std::vector<uint8_t> m1, m2;                 // dropout keep-masks (B,T,C)
    Buf ds, dh, dffn_in, df2, df1r, df1, da, dattn_in;  // backward scratch
    void resize(int b, int t, int C, int F) {
        B = b, T = t;
        const size_t n = (size_t)b * t * C, nf = (size_t)b * t * F, r = (size_t)b * t;
        for (Buf* x : {&attn_in, &a, &ad, &s1, &h, &ffn_in, &f2, &fd, &s2, &ds, &dh, &dffn_in, &df2, &da, &dattn_in})
            if (x->size() < n) x->resize(n);
        for (Buf* x : {&f1, &f1r, &df1r, &df1}) if (x->size() < nf) x->resize(nf);
        for (Buf* x : {&mean1, &rstd1, &mean2, &rstd2}) if (x->size() < r) x->resize(r);
        if (m1.size() < n) m1.resize(n), m2.resize(n);
    }
};

// y (B,T,C) = the layer applied to x (B,T,C); mask says which keys each query sees (padding).
inline void encoder_layer_forward(float* y, EncoderCache& c, const EncoderLayer& L, const float* x,
                                  const AttnMask& mask, int B, int T, Rng& rng, bool training) {
    // BEGIN SOLUTION
    const int C = L.C, F = L.F, N = B * T, n = N * C;
    c.resize(B, T, C, F);
    c.training = training;
    const bool pre = L.norm == NormPlace::Pre;
    const float* ain = x;  // post-norm: attention reads x; pre-norm: LN1(x)
    if (pre) {
        layernorm_forward(c.attn_in.data(), c.mean1.data(), c.rstd1.data(), x, L.ln1_g.data, L.ln1_b.data, N, C);
        ain = c.attn_in.data();
    }
    mha_forward(c.a.data(), c.mha, L.attn, ain, ain, mask, B, T, T, AttnKernel::Matmul,  // a = MHA(ain, ain)
                training ? L.attn_dropout : 0.0f, &rng);
    dropout_forward(c.ad.data(), c.m1.data(), c.a.data(), n, L.dropout, rng, training);  // ad = drop(a)
    for (int i = 0; i < n; i++) c.s1[i] = x[i] + c.ad[i];                                 // s1 = x + ad
    if (pre) std::copy_n(c.s1.data(), n, c.h.data()),                                     // h = s1
        layernorm_forward(c.ffn_in.data(), c.mean2.data(), c.rstd2.data(), c.h.data(), L.ln2_g.data, L.ln2_b.data, N, C);
    else layernorm_forward(c.h.data(), c.mean1.data(), c.rstd1.data(), c.s1.data(), L.ln1_g.data, L.ln1_b.data, N, C),
        std::copy_n(c.h.data(), n, c.ffn_in.data());                                      // h = LN1(s1)
    linear_forward(c.f1.data(), c.ffn_in.data(), L.W1.data, L.b1.data, N, C, F);         // f1 = z W1ᵀ + b1
    relu_forward(c.f1r.data(), c.f1.data(), N * F);                                       // relu
    linear_forward(c.f2.data(), c.f1r.data(), L.W2.data, L.b2.data, N, F, C);            // f2 = relu(f1) W2ᵀ + b2
    dropout_forward(c.fd.data(), c.m2.data(), c.f2.data(), n, L.dropout, rng, training); // fd = drop(f2)
    for (int i = 0; i < n; i++) c.s2[i] = c.h[i] + c.fd[i];                               // s2 = h + fd
    if (pre) std::copy_n(c.s2.data(), n, y);                                              // y = s2
    else layernorm_forward(y, c.mean2.data(), c.rstd2.data(), c.s2.data(), L.ln2_g.data, L.ln2_b.data, N, C);
    // END SOLUTION
}

// dx (B,T,C) += dL/dx; parameter gradients += into L's Tensors. dy (B,T,C); x the forward's input.
inline void encoder_layer_backward(float* dx, EncoderLayer& L, EncoderCache& c, const float* dy, const float* x, int B,
                                   int T) {
    // BEGIN SOLUTION
    const int C = L.C, F = L.F, N = B * T, n = N * C;
    const bool pre = L.norm == NormPlace::Pre;
    const float p = c.training ? L.dropout : 0.0f;
    // Scratch gradients are WRITTEN, not added (accumulate = false, or =): each has one source here,
    // so no buffer needs clearing first — the same bits as += into zeros, without a pass over memory.
    // y = LN2(s2) (post) or y = s2 (pre)                 →  ds = dy through LN2, or dy
    if (pre) std::copy_n(dy, n, c.ds.data());
    else layernorm_backward(c.ds.data(), L.ln2_g.grad, L.ln2_b.grad, dy, c.s2.data(), L.ln2_g.data, c.mean2.data(),
                            c.rstd2.data(), N, C, /*accumulate=*/false);
    // s2 = h + fd                                         →  dh = ds,  dfd = ds
    for (int i = 0; i < n; i++) c.dh[i] = 0.0f + c.ds[i];
    dropout_backward(c.df2.data(), c.ds.data(), c.m2.data(), n, p, false);  // fd = drop(f2)
    // f2 = f1r W2ᵀ + b2, f1r = relu(f1), f1 = z W1ᵀ + b1  →  the FFN's chain, into dffn_in
    linear_backward(c.df1r.data(), L.W2.grad, L.b2.grad, c.df2.data(), c.f1r.data(), L.W2.data, N, F, C,
                    false);
    relu_backward(c.df1.data(), c.df1r.data(), c.f1.data(), N * F, false);
    linear_backward(c.dffn_in.data(), L.W1.grad, L.b1.grad, c.df1.data(), c.ffn_in.data(), L.W1.data, N, C, F,
                    false);
    // z = LN2(h) (pre) or z = h (post)                    →  dh += dz through LN2, or dz
    if (pre) layernorm_backward(c.dh.data(), L.ln2_g.grad, L.ln2_b.grad, c.dffn_in.data(), c.h.data(), L.ln2_g.data,
                                c.mean2.data(), c.rstd2.data(), N, C);
    else for (int i = 0; i < n; i++) c.dh[i] += c.dffn_in[i];
    // h = s1 (pre) or h = LN1(s1) (post)                  →  ds1 = dh, or dh through LN1  (kept in ds)
    if (pre) std::copy_n(c.dh.data(), n, c.ds.data());
    else layernorm_backward(c.ds.data(), L.ln1_g.grad, L.ln1_b.grad, c.dh.data(), c.s1.data(), L.ln1_g.data,
                            c.mean1.data(), c.rstd1.data(), N, C, false);
    // s1 = x + ad,  ad = drop(a)                          →  dx += ds1,  da = drop'(ds1)
    for (int i = 0; i < n; i++) dx[i] += c.ds[i];
    dropout_backward(c.da.data(), c.ds.data(), c.m1.data(), n, p, false);
    // a = MHA(ain, ain)                                   →  dain (both the query and key/value paths)
    const float* ain = pre ? c.attn_in.data() : x;
    float* dain = pre ? c.dattn_in.data() : dx;  // post-norm: ain is x, add straight into dx
    if (pre) std::fill_n(c.dattn_in.data(), n, 0.0f);  // the two paths add into it
    mha_backward(dain, dain, L.attn, c.mha, c.da.data(), ain, ain, B, T, T);
    // ain = LN1(x) (pre)                                  →  dx += dain through LN1
    if (pre) layernorm_backward(dx, L.ln1_g.grad, L.ln1_b.grad, c.dattn_in.data(), x, L.ln1_g.data, c.mean1.data(),
                                c.rstd1.data(), N, C);
    // END SOLUTION
}

}  // namespace ch06
