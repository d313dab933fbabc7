// decoder_layer.hpp — the Transformer decoder layer (Vaswani et al. 2017, §3.1), forward and backward.
// Three sublayers, each in its residual connection and layer norm (residual.hpp):
//
//   1. masked self-attention   a = MHA(in1, in1), causal: position i sees targets j ≤ i only
//   2. cross-attention         c = MHA(in2, mem), every target position sees every real source token
//   3. feed-forward            f = FFN(in3)                                         (feed_forward.hpp)
//
//   post-norm:  h1 = LN1(x + drop(a)),  h2 = LN2(h1 + drop(c)),  y = LN3(h2 + drop(f)),  in_k = the sum's x
//   pre-norm:   h1 = x + drop(a),       h2 = h1 + drop(c),       y = h2 + drop(f),       in_k = LN_k(that x)
//
// What changed since chapter 06's encoder layer: the causal mask (the decoder is trained on whole
// target sentences at once, so position i must not see the words it is about to predict) and the
// middle sublayer, whose keys and values are the ENCODER's outputs — chapter 03's attention over the
// source, with queries that are now a whole sequence and several heads. Multi-head attention itself
// is chapter 06's, included unchanged (its queries and keys already come from separate inputs).
// PyTorch's nn.TransformerDecoderLayer (batch_first, norm_first = pre) computes exactly this.
//
// Shapes: B batch, T target length, S source length, C width, NH heads, F feed-forward width.
#pragma once
#include <algorithm>
#include <string>

#include "chapters/06_self_attention/multi_head_attention.hpp"
#include "chapters/07_transformer/feed_forward.hpp"
#include "chapters/07_transformer/residual.hpp"

namespace ch07 {
using namespace attn;
using ch06::AttnMask;
using ch06::MHA;
using ch06::MHACache;

struct DecoderLayer {
    int C = 0, NH = 1, F = 0;
    NormPlace norm = NormPlace::Pre;
    float dropout = 0.0f;       // on every residual branch, training only
    float attn_dropout = 0.0f;  // on the attention weights, training only
    MHA self_attn, cross_attn;
    LayerNormParams ln1, ln2, ln3;
    FFN ffn;
};

inline void decoder_layer_declare(DecoderLayer& L, ParamSet& ps, const std::string& prefix, int C, int NH, int F,
                                  NormPlace norm, float dropout) {
    L.C = C, L.NH = NH, L.F = F, L.norm = norm, L.dropout = dropout;
    ch06::mha_declare(L.self_attn, ps, prefix + "self_attn.", C, NH);
    ch06::mha_declare(L.cross_attn, ps, prefix + "cross_attn.", C, NH);
    layernorm_declare(L.ln1, ps, prefix + "ln1", C);
    layernorm_declare(L.ln2, ps, prefix + "ln2", C);
    layernorm_declare(L.ln3, ps, prefix + "ln3", C);
    ffn_declare(L.ffn, ps, prefix + "ffn.", C, F);
}
inline void decoder_layer_init(DecoderLayer& L, Rng& rng) {
    ch06::mha_init(L.self_attn, rng), ch06::mha_init(L.cross_attn, rng);
    for (LayerNormParams* ln : {&L.ln1, &L.ln2, &L.ln3}) init_constant(ln->g, 1.0f);
    ffn_init(L.ffn, rng);
}

struct DecoderCache {
    MHACache self, cross;
    FFNCache ffn;
    ResidualCache r1, r2, r3;
    Buf a, h1, c, h2, f;               // (B,T,C) the sublayers' outputs and the sums between them
    Buf dh1, dh2, dbranch;             // backward scratch (B,T,C)
    void resize(int N, int C) {
        const size_t n = (size_t)N * C;
        for (Buf* x : {&a, &h1, &c, &h2, &f, &dh1, &dh2, &dbranch}) if (x->size() < n) x->resize(n);
    }
};

// y (B,T,C) = the layer applied to x (B,T,C), attending to mem (B,S,C) whose sequence b has
// src_len[b] real tokens.
inline void decoder_layer_forward(float* y, DecoderCache& k, const DecoderLayer& L, const float* x, const float* mem,
                                  const int* src_len, int B, int T, int S, Rng& rng, bool training) {
    // BEGIN SOLUTION
    const int N = B * T, C = L.C;
    k.resize(N, C);
    AttnMask causal, to_source;
    causal.causal = true;
    to_source.kv_len = src_len;
    // 1. a = MHA(in1, in1) with the causal mask;  h1 = x + drop(a), normed after (post) or before (pre)
    const float* in1 = residual_in(k.r1, x, L.ln1, L.norm, N, C);
    const float pa = training ? L.attn_dropout : 0.0f;
    ch06::mha_forward(k.a.data(), k.self, L.self_attn, in1, in1, causal, B, T, T, ch06::AttnKernel::Matmul, pa, &rng);
    residual_out(k.h1.data(), k.r1, x, k.a.data(), L.ln1, L.norm, L.dropout, rng, training, N, C);
    // 2. c = MHA(in2, mem): queries from the target, keys and values from the source
    const float* in2 = residual_in(k.r2, k.h1.data(), L.ln2, L.norm, N, C);
    ch06::mha_forward(k.c.data(), k.cross, L.cross_attn, in2, mem, to_source, B, T, S, ch06::AttnKernel::Matmul, pa,
                      &rng);
    residual_out(k.h2.data(), k.r2, k.h1.data(), k.c.data(), L.ln2, L.norm, L.dropout, rng, training, N, C);
    // 3. f = FFN(in3);  y = h2 + drop(f), normed after (post)
    const float* in3 = residual_in(k.r3, k.h2.data(), L.ln3, L.norm, N, C);
    ffn_forward(k.f.data(), k.ffn, L.ffn, in3, N);
    residual_out(y, k.r3, k.h2.data(), k.f.data(), L.ln3, L.norm, L.dropout, rng, training, N, C);
    // END SOLUTION
}

// dx (B,T,C) and dmem (B,S,C) += gradients; L's gradients +=. dy (B,T,C); x, mem the forward's inputs.
inline void decoder_layer_backward(float* dx, float* dmem, DecoderLayer& L, DecoderCache& k, const float* dy,
                                   const float* x, const float* mem, int B, int T, int S) {
    // BEGIN SOLUTION
    const int N = B * T, C = L.C;
    const size_t n = (size_t)N * C;
    ResidualCache &r1 = k.r1, &r2 = k.r2, &r3 = k.r3;
    // 3. y = h2 + drop(FFN(in3))           →  dh2 (skip path + through FFN and in3)
    std::fill_n(k.dh2.data(), n, 0.0f);
    residual_out_backward(k.dh2.data(), k.dbranch.data(), r3, L.ln3, dy, L.norm, N, C);
    std::fill_n(r3.din.data(), n, 0.0f);
    ffn_backward(r3.din.data(), L.ffn, k.ffn, k.dbranch.data(), r3.in, N);
    residual_in_backward(k.dh2.data(), r3, L.ln3, r3.din.data(), k.h2.data(), L.norm, N, C);
    // 2. h2 = h1 + drop(MHA(in2, mem))     →  dh1, and dmem through the keys and values
    std::fill_n(k.dh1.data(), n, 0.0f);
    residual_out_backward(k.dh1.data(), k.dbranch.data(), r2, L.ln2, k.dh2.data(), L.norm, N, C);
    std::fill_n(r2.din.data(), n, 0.0f);
    ch06::mha_backward(r2.din.data(), dmem, L.cross_attn, k.cross, k.dbranch.data(), r2.in, mem, B, T, S);
    residual_in_backward(k.dh1.data(), r2, L.ln2, r2.din.data(), k.h1.data(), L.norm, N, C);
    // 1. h1 = x + drop(MHA(in1, in1))      →  dx (both attention inputs are in1)
    residual_out_backward(dx, k.dbranch.data(), r1, L.ln1, k.dh1.data(), L.norm, N, C);
    std::fill_n(r1.din.data(), n, 0.0f);
    ch06::mha_backward(r1.din.data(), r1.din.data(), L.self_attn, k.self, k.dbranch.data(), r1.in, r1.in, B, T, T);
    residual_in_backward(dx, r1, L.ln1, r1.din.data(), x, L.norm, N, C);
    // END SOLUTION
}

}  // namespace ch07
