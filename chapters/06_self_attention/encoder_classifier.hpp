// encoder_classifier.hpp — chapter 06's model: a self-attention encoder that classifies a text.
//
//   ids (B,T) ─ embedding + positions ─▶ x0 (B,T,C) ─ dropout ─▶ h_0
//            ─ L encoder layers (encoder_layer.hpp) ─▶ h_L (B,T,C)
//            ─ attention pooling ─▶ ctx (B,C) ─ Linear, relu ─▶ z (B,C) ─ Linear ─▶ logits (B,K) ─ CE
//
// Attention pooling (chapter 05's idea, written here in its smallest form: a learned query v):
//   e_t = vᵀ tanh(W_a h_t + b_a)        α = softmax over the valid t of e        ctx = Σ_t α_t h_t
//
// With L = 0 the model is embeddings + positions + attention pooling: every word is weighed on its
// own, no word ever sees another. That is the baseline of the chapter's headline table: it is what
// attention pooling can do WITHOUT token-to-token interaction, and the synthetic relations task
// (common/data/synth_relations.hpp) is built so that it cannot.
//
// Shapes: B batch, T length (the longest in the batch), C width, NH heads, F feed-forward width,
// L layers, V vocabulary, K classes, Tmax the longest position.
#pragma once
#include <cmath>
#include <string>
#include <vector>

#include "chapters/06_self_attention/encoder_layer.hpp"
#include "chapters/06_self_attention/positional.hpp"
#include "common/nn/cross_entropy.hpp"
#include "common/nn/embedding.hpp"

namespace ch06 {
using namespace attn;

struct ModelConfig {
    int V = 0, K = 0;              // vocabulary, classes (from the data)
    int C = 64, NH = 4, F = 128;   // width, heads, feed-forward width
    int L = 2;                     // encoder layers (0: the pooling-only baseline)
    int Tmax = 64;                 // longest text, in tokens (longer ones are cut)
    PosKind pos = PosKind::Sinusoidal;
    NormPlace norm = NormPlace::Post;
    float dropout = 0.1f;
};

struct Classifier {
    ModelConfig cfg;
    ParamSet params;
    Tensor emb;                       // (V,C)   word embeddings
    Tensor pos;                       // (Tmax,C) learned positions (PosKind::Learned only)
    Buf sinusoid;                     // (Tmax,C) the fixed table (PosKind::Sinusoidal), not a parameter
    std::vector<EncoderLayer> layers; // (L)
    Tensor Wa, ba, va;                // (C,C), (C), (C)   attention pooling
    Tensor W1, b1, W2, b2;            // (C,C), (C), (K,C), (K)   the head
    const float* pos_table() const { return cfg.pos == PosKind::Learned ? pos.data : sinusoid.data(); }
};

// emb_std: the spread of the initial word (and learned position) vectors.
inline void classifier_init(Classifier& m, const ModelConfig& cfg, Rng& rng, float emb_std = 1.0f) {
    m.cfg = cfg;
    const int C = cfg.C;
    m.layers.resize(cfg.L);  // before add(): the Tensors must not move afterwards
    m.params.add(m.emb, "embedding", {cfg.V, C});
    if (cfg.pos == PosKind::Learned) m.params.add(m.pos, "positions", {cfg.Tmax, C});
    for (int l = 0; l < cfg.L; l++)
        encoder_layer_declare(m.layers[l], m.params, "layer" + std::to_string(l) + ".", C, cfg.NH, cfg.F, cfg.norm,
                              cfg.dropout);
    m.params.add(m.Wa, "pool.W_a", {C, C}), m.params.add(m.ba, "pool.b_a", {C}), m.params.add(m.va, "pool.v", {C});
    m.params.add(m.W1, "head.W1", {C, C}), m.params.add(m.b1, "head.b1", {C});
    m.params.add(m.W2, "head.W2", {cfg.K, C}), m.params.add(m.b2, "head.b2", {cfg.K});
    m.params.allocate();
    init_normal(m.emb, rng, emb_std);  // nn.Embedding's N(0,1) by default: the same scale as the sinusoids
    if (cfg.pos == PosKind::Learned) init_normal(m.pos, rng, emb_std);
    m.sinusoid.assign((size_t)cfg.Tmax * C, 0.0f);
    sinusoidal_table(m.sinusoid.data(), cfg.Tmax, C);
    for (EncoderLayer& L : m.layers) encoder_layer_init(L, rng);
    const float k = 1.0f / std::sqrt((float)C);  // nn.Linear's default
    for (Tensor* t : {&m.Wa, &m.ba, &m.va, &m.W1, &m.b1, &m.W2, &m.b2}) init_uniform(*t, rng, -k, k);
}

// Everything the forward keeps for the backward (resize() only ever grows).
struct ClassifierActs {
    int B = 0, T = 0;
    bool training = false;
    std::vector<Buf> h;                  // (L+1) of (B,T,C): h[0] the input of layer 0, h[l+1] its output
    std::vector<EncoderCache> caches;    // (L)
    Buf x0;                              // (B,T,C) embedding + position
    std::vector<uint8_t> m0;             // (B,T,C) dropout mask of the input
    Buf upre, u, e, alpha, ctx;          // (B,T,C), (B,T,C), (B,T), (B,T), (B,C)   pooling
    Buf z1, z1r, logits, probs;          // (B,C), (B,C), (B,K), (B,K)
    Buf dh, dh2, du, de, dalpha, dctx, dz1r, dz1, dlogits;  // backward scratch
    void resize(int b, int t, const ModelConfig& c) {
        B = b, T = t;
        const size_t n = (size_t)b * t * c.C, bt = (size_t)b * t, bc = (size_t)b * c.C, bk = (size_t)b * c.K;
        h.resize(c.L + 1), caches.resize(c.L);
        for (Buf& x : h) if (x.size() < n) x.resize(n);
        for (Buf* x : {&x0, &upre, &u, &dh, &dh2, &du}) if (x->size() < n) x->resize(n);
        for (Buf* x : {&e, &alpha, &de, &dalpha}) if (x->size() < bt) x->resize(bt);
        for (Buf* x : {&ctx, &z1, &z1r, &dctx, &dz1r, &dz1}) if (x->size() < bc) x->resize(bc);
        for (Buf* x : {&logits, &probs, &dlogits}) if (x->size() < bk) x->resize(bk);
        if (m0.size() < n) m0.resize(n);
    }
};

// ---- attention pooling: forward and backward ------------------------------------------------
// h (B,T,C), len (B) valid lengths → alpha (B,T), ctx (B,C); upre, u (B,T,C) and e (B,T) are the cache.
inline void attention_pool_forward(float* ctx, float* alpha, float* upre, float* u, float* e, const float* h,
                                   const int* len, const Classifier& m, int B, int T) {
    // BEGIN SOLUTION
    const int C = m.cfg.C, N = B * T;
    linear_forward(upre, h, m.Wa.data, m.ba.data, N, C, C);  // W_a h_t + b_a
    tanh_forward(u, upre, N * C);                            // u_t = tanh(...)
    for (int n = 0; n < N; n++) {                            // e_t = vᵀ u_t
        float s = 0;
        for (int c = 0; c < C; c++) s += m.va.data[c] * u[(size_t)n * C + c];
        e[n] = s;
    }
    std::vector<int> valid(len, len + B);
    masked_softmax_forward(alpha, e, nullptr, valid.data(), B, T);  // α = softmax over t < len[b]
    for (int b = 0; b < B; b++)                                     // ctx = Σ_t α_t h_t
        for (int c = 0; c < C; c++) {
            float s = 0;
            for (int t = 0; t < T; t++) s += alpha[(size_t)b * T + t] * h[((size_t)b * T + t) * C + c];
            ctx[(size_t)b * C + c] = s;
        }
    // END SOLUTION
}

// dh (B,T,C) += ...; dWa, dba, dva += ...; dalpha, de, du are scratch (zeroed here).
inline void attention_pool_backward(float* dh, Classifier& m, ClassifierActs& a, const float* dctx, const float* h,
                                    int B, int T) {
    // BEGIN SOLUTION
    const int C = m.cfg.C, N = B * T;
    std::fill_n(a.de.data(), N, 0.0f), std::fill_n(a.du.data(), (size_t)N * C, 0.0f);
    for (int b = 0; b < B; b++)  // ctx = Σ_t α_t h_t  →  dα_t = dctx·h_t,  dh_t += α_t dctx
        for (int t = 0; t < T; t++) {
            const size_t bt = (size_t)b * T + t;
            float s = 0;
            for (int c = 0; c < C; c++) {
                s += dctx[(size_t)b * C + c] * h[bt * C + c];
                dh[bt * C + c] += a.alpha[bt] * dctx[(size_t)b * C + c];
            }
            a.dalpha[bt] = s;
        }
    masked_softmax_backward(a.de.data(), a.dalpha.data(), a.alpha.data(), B, T);  // α = softmax(e)
    for (int n = 0; n < N; n++)  // e_t = vᵀ u_t  →  dv += de_t u_t,  du_t = de_t v
        for (int c = 0; c < C; c++) {
            m.va.grad[c] += a.de[n] * a.u[(size_t)n * C + c];
            a.du[(size_t)n * C + c] = a.de[n] * m.va.data[c];
        }
    Buf dupre((size_t)N * C, 0.0f);
    tanh_backward(dupre.data(), a.du.data(), a.u.data(), N * C);  // u = tanh(upre)
    linear_backward(dh, m.Wa.grad, m.ba.grad, dupre.data(), h, m.Wa.data, N, C, C);
    // END SOLUTION
}

// ids (B,T) padded, len (B), y (B) labels. Returns the mean cross-entropy; a.probs holds the softmax.
inline float classifier_forward(Classifier& m, ClassifierActs& a, const int* ids, const int* len, const int* y, int B,
                                int T, Rng& rng, bool training) {
    const ModelConfig& c = m.cfg;
    const int C = c.C, n = B * T * C;
    if (T > c.Tmax) fail("classifier_forward", "texts of at most Tmax=" + std::to_string(c.Tmax) + " tokens, got " + std::to_string(T));
    a.resize(B, T, c);
    a.training = training;
    embedding_forward(a.x0.data(), ids, m.emb.data, B * T, C, c.V);             // x0 = E[ids]
    add_positions_forward(a.x0.data(), m.pos_table(), B, T, C);                 //    + P[t]
    dropout_forward(a.h[0].data(), a.m0.data(), a.x0.data(), n, c.dropout, rng, training);
    const AttnMask mask{len, 1, false};                                         // padding keys masked
    for (int l = 0; l < c.L; l++)                                               // h_{l+1} = layer_l(h_l)
        encoder_layer_forward(a.h[l + 1].data(), a.caches[l], m.layers[l], a.h[l].data(), mask, B, T, rng, training);
    attention_pool_forward(a.ctx.data(), a.alpha.data(), a.upre.data(), a.u.data(), a.e.data(), a.h[c.L].data(), len,
                           m, B, T);
    linear_forward(a.z1.data(), a.ctx.data(), m.W1.data, m.b1.data, B, C, C);   // z = relu(ctx W1ᵀ + b1)
    relu_forward(a.z1r.data(), a.z1.data(), B * C);
    linear_forward(a.logits.data(), a.z1r.data(), m.W2.data, m.b2.data, B, C, c.K);  // logits = z W2ᵀ + b2
    return cross_entropy_forward(a.probs.data(), nullptr, a.logits.data(), y, nullptr, B, c.K, -1, 0.0f);
}

// The same arrows in reverse; gradients are added into m.params.grad (zero it first).
inline void classifier_backward(Classifier& m, ClassifierActs& a, const int* ids, const int* y, int B, int T) {
    const ModelConfig& c = m.cfg;
    const int C = c.C, n = B * T * C;
    std::fill_n(a.dlogits.data(), (size_t)B * c.K, 0.0f);
    for (Buf* x : {&a.dctx, &a.dz1r, &a.dz1}) std::fill_n(x->data(), (size_t)B * C, 0.0f);
    cross_entropy_backward(a.dlogits.data(), a.probs.data(), y, nullptr, B, c.K, -1, 0.0f, 1.0f);
    linear_backward(a.dz1r.data(), m.W2.grad, m.b2.grad, a.dlogits.data(), a.z1r.data(), m.W2.data, B, C, c.K);
    relu_backward(a.dz1.data(), a.dz1r.data(), a.z1.data(), B * C);
    linear_backward(a.dctx.data(), m.W1.grad, m.b1.grad, a.dz1.data(), a.ctx.data(), m.W1.data, B, C, C);
    std::fill_n(a.dh.data(), n, 0.0f);
    attention_pool_backward(a.dh.data(), m, a, a.dctx.data(), a.h[c.L].data(), B, T);
    for (int l = c.L - 1; l >= 0; l--) {  // dh_l = layer_l's backward of dh_{l+1}
        std::fill_n(a.dh2.data(), n, 0.0f);
        encoder_layer_backward(a.dh2.data(), m.layers[l], a.caches[l], a.dh.data(), a.h[l].data(), B, T);
        std::swap(a.dh, a.dh2);
    }
    std::fill_n(a.dh2.data(), n, 0.0f);  // h_0 = drop(x0)  →  dx0
    dropout_backward(a.dh2.data(), a.dh.data(), a.m0.data(), n, a.training ? c.dropout : 0.0f);
    if (c.pos == PosKind::Learned) add_positions_backward(m.pos.grad, a.dh2.data(), B, T, C);
    embedding_backward(m.emb.grad, a.dh2.data(), ids, B * T, C, c.V);  // x0 = E[ids] + P  →  dE[ids] += dx0
}

}  // namespace ch06
