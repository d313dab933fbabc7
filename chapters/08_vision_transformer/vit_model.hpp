// vit_model.hpp — the Vision Transformer (Dosovitskiy et al. 2020, "An Image is Worth 16x16 Words"):
//
//   x (B,H,W) ─ patchify ─▶ x_p (B,N,P²) ─ E ─▶ X (B,N,C) ─ [cls; X] + E_pos ─▶ z₀ (B,T,C) ─ dropout
//     ─ L pre-norm encoder layers (chapter 06's encoder_layer.hpp, included, not copied) ─▶ z_L (B,T,C)
//     ─ take the class token z_L[:,0] ─ LN ─▶ y (B,C) ─ tanh(W_h y + b_h) ─ W_o · + b_o ─▶ logits (B,V)
//
// The paper's equations:  (1) z₀ = [x_class; x_p¹E; …; x_pᴺE] + E_pos
//                         (2) z'_ℓ = MSA(LN(z_{ℓ−1})) + z_{ℓ−1}      (3) z_ℓ = MLP(LN(z'_ℓ)) + z'_ℓ
//                         (4) y = LN(z_L⁰)
// (2)–(3) are chapter 06's pre-norm layer exactly, except that its feed-forward net uses ReLU where the
// paper uses GELU (one line to change in encoder_layer.hpp; on MNIST it makes no difference we could
// measure). The head is the paper's pre-training head: one hidden layer with tanh.
// The final layer norm (4) is applied to the class token only: the head reads nothing else, so
// normalising the other T−1 outputs would be work thrown away.
//
// Shapes: B batch, H = W image side, P patch side, N = (H/P)² patches, D = P² pixels per patch,
// T = N + 1 tokens, C width, NH heads, F feed-forward width, L layers, V classes.
#pragma once
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "chapters/06_self_attention/encoder_layer.hpp"
#include "chapters/08_vision_transformer/patch_embedding.hpp"
#include "common/core/buffer.hpp"
#include "common/core/error.hpp"
#include "common/core/params.hpp"
#include "common/core/rng.hpp"
#include "common/core/thread_pool.hpp"
#include "common/nn/activations.hpp"
#include "common/nn/conv2d.hpp"
#include "common/nn/cross_entropy.hpp"
#include "common/nn/dropout.hpp"
#include "common/nn/init.hpp"
#include "common/nn/layernorm.hpp"

namespace ch08 {
using namespace attn;

struct ViTConfig {
    int H = 28;            // image side (square images)
    int P = 7;             // patch side (the patch grid's stride); must divide H
    int K = 0;             // patch window side (--window): 0 or P the paper's patches, K > P overlapping
    int S = 0;             // hybrid stem (--stem): maps of a 3×3 conv + ReLU under the patches (0: none)
    int C = 64;            // width (--dim)
    int L = 6;             // encoder layers (--depth)
    int NH = 4;            // heads (--heads)
    int F = 128;           // feed-forward width (--ffn)
    int V = 10;            // classes
    float dropout = 0.1f;  // on the embeddings and on both branches of every layer, training only
    float smoothing = 0.0f;  // label smoothing ε of the training loss (targets (1 − ε)·onehot + ε/V)
    int G() const { return H / P; }    // patches per side
    int N() const { return G() * G(); }  // patches
    int T() const { return N() + 1; }  // tokens: the class token, then the patches
    int window() const { return K > 0 ? K : P; }
    int maps() const { return S > 0 ? S : 1; }     // channels the patches are cut from
    int D() const { return maps() * window() * window(); }  // numbers per patch
};

inline void vit_check_config(const ViTConfig& c) {
    if (c.P < 1 || c.H % c.P != 0)
        fail("--patch", "a patch side dividing the image side " + std::to_string(c.H) + ", got " + std::to_string(c.P),
             "for 28x28 images: 2, 4, 7, 14 or 28");
    if (c.K != 0 && (c.K < c.P || (c.K - c.P) % 2 != 0 || c.K > c.H))
        fail("--window",
             "a window side from the patch side " + std::to_string(c.P) + " up to " + std::to_string(c.H) +
                 ", larger by an even number, got " + std::to_string(c.K),
             "e.g. --patch 7 --window 11 (2 pixels of overlap on each side)");
    if (c.NH < 1 || c.C % c.NH != 0)
        fail("--heads", "a head count dividing --dim " + std::to_string(c.C) + ", got " + std::to_string(c.NH),
             "e.g. --dim 64 --heads 4");
}

struct ViT {
    ViTConfig cfg;
    ParamSet params;
    Tensor Ws, bs;                         // (S,1,3,3), (S)  the hybrid's stem (only when cfg.S > 0)
    Tensor E, bE;                          // (C,D), (C)   patch embedding
    Tensor cls;                            // (C)          the class token
    Tensor pos;                            // (T,C)        position embeddings
    std::vector<ch06::EncoderLayer> layers;  // (L)
    Tensor lnf_g, lnf_b;                   // (C)          the final layer norm
    Tensor Wh, bh;                         // (C,C), (C)   the head's hidden layer
    Tensor Wo, bo;                         // (V,C), (V)   the head's output layer
};

// Initialisation as the reference implementation (and timm): the patch embedding like PyTorch's conv
// and linear layers (U(±1/√fan_in)), the class token zero, the position embeddings N(0, 0.02²) — small,
// so that at the start the tokens are the patches themselves — and chapter 06's layer initialisation.
inline void vit_init(ViT& m, const ViTConfig& c, Rng& rng) {
    vit_check_config(c);
    m.cfg = c;
    ParamSet& p = m.params;
    m.layers.resize(c.L);  // before add(): the Tensors must not move afterwards
    if (c.S > 0) p.add(m.Ws, "stem.weight", {c.S, 1, 3, 3}), p.add(m.bs, "stem.bias", {c.S});
    p.add(m.E, "patch.E", {c.C, c.D()}), p.add(m.bE, "patch.b", {c.C});
    p.add(m.cls, "tokens.cls", {c.C}), p.add(m.pos, "tokens.pos", {c.T(), c.C});
    for (int l = 0; l < c.L; l++)
        ch06::encoder_layer_declare(m.layers[l], p, "layer" + std::to_string(l) + ".", c.C, c.NH, c.F,
                                    ch06::NormPlace::Pre, c.dropout);
    p.add(m.lnf_g, "ln_f.weight", {c.C}), p.add(m.lnf_b, "ln_f.bias", {c.C});
    p.add(m.Wh, "head.hidden.weight", {c.C, c.C}), p.add(m.bh, "head.hidden.bias", {c.C});
    p.add(m.Wo, "head.out.weight", {c.V, c.C}), p.add(m.bo, "head.out.bias", {c.V});
    p.allocate();
    const float kE = 1.0f / std::sqrt((float)c.D()), kC = 1.0f / std::sqrt((float)c.C);
    const float kS = 1.0f / 3;  // the stem like PyTorch's conv: 1/√fan_in, fan_in = 1·3·3
    if (c.S > 0) init_uniform(m.Ws, rng, -kS, kS), init_uniform(m.bs, rng, -kS, kS);
    init_uniform(m.E, rng, -kE, kE), init_uniform(m.bE, rng, -kE, kE);
    init_constant(m.cls, 0.0f);
    init_normal(m.pos, rng, 0.02f);
    for (ch06::EncoderLayer& L : m.layers) ch06::encoder_layer_init(L, rng);
    init_constant(m.lnf_g, 1.0f), init_constant(m.lnf_b, 0.0f);
    init_uniform(m.Wh, rng, -kC, kC), init_uniform(m.bh, rng, -kC, kC);
    init_uniform(m.Wo, rng, -kC, kC), init_uniform(m.bo, rng, -kC, kC);
}

// Everything the forward keeps for the backward, sized for a batch by resize() (only ever grows).
struct ViTActs {
    int B = 0;
    bool training = false;
    const float* x = nullptr;             // (B,H,W)  the last forward's pixels (the stem's backward reads them)
    Buf spre, s, ds, dspre;               // (B,S,H,W) the stem's conv output, after ReLU, and their gradients
    Buf cols;                             // the stem's im2col scratch
    Buf xp, dxp;                          // (B,N,D)  patches
    Buf X;                                // (B,N,C)  embedded patches
    Buf z0;                               // (B,T,C)  tokens before the embedding dropout
    std::vector<uint8_t> m0;              // (B,T,C)  its keep-mask
    std::vector<Buf> z;                   // (L+1) of (B,T,C): z[0] = drop(z₀), z[l+1] layer l's output
    std::vector<ch06::EncoderCache> caches;  // (L); caches[l].mha.att (B,NH,T,T): the attention maps
    Buf zc, y, mean_f, rstd_f;            // (B,C) class-token outputs, after LN; (B) LN statistics
    Buf hpre, h;                          // (B,C)    head hidden layer, before and after tanh
    Buf logits, probs;                    // (B,V)
    Buf dlogits, dh, dhpre, dy, dzc, dz, dz2, dz0, dX;  // gradients of the same
    void resize(int batch, const ViTConfig& c) {
        B = batch;
        const size_t ntc = (size_t)B * c.T() * c.C, nc = (size_t)B * c.C;
        const size_t nd = (size_t)B * c.N() * c.D();
        for (Buf* b : {&xp, &dxp}) if (b->size() < nd) b->resize(nd);
        const size_t ns = c.S > 0 ? (size_t)B * c.S * c.H * c.H : 0;
        for (Buf* b : {&spre, &s, &ds, &dspre}) if (b->size() < ns) b->resize(ns);
        const size_t ncols = c.S > 0 ? conv2d_cols_size(B, 1, c.H, c.H, 3, 3, 1, 1) : 0;
        if (cols.size() < ncols) cols.resize(ncols);
        for (Buf* b : {&X, &dX}) if (b->size() < (size_t)B * c.N() * c.C) b->resize((size_t)B * c.N() * c.C);
        for (Buf* b : {&z0, &dz, &dz2, &dz0}) if (b->size() < ntc) b->resize(ntc);
        if (m0.size() < ntc) m0.resize(ntc);
        z.resize(c.L + 1), caches.resize(c.L);
        for (Buf& b : z) if (b.size() < ntc) b.resize(ntc);
        for (Buf* b : {&zc, &y, &hpre, &h, &dh, &dhpre, &dy, &dzc}) if (b->size() < nc) b->resize(nc);
        for (Buf* b : {&mean_f, &rstd_f}) if (b->size() < (size_t)B) b->resize(B);
        for (Buf* b : {&logits, &probs, &dlogits}) if (b->size() < (size_t)B * c.V) b->resize((size_t)B * c.V);
    }
};

// The encoder's input: x (B,H,W) → a.z[0] (B,T,C), eq. (1) and the embedding dropout.
inline void vit_embed_forward(const ViT& m, ViTActs& a, const float* x, int B, Rng& rng, bool training) {
    a.x = x;  // kept for the stem's backward (vit_embed_backward), which reads the pixels
    // BEGIN SOLUTION
    const ViTConfig& c = m.cfg;
    const int N = c.N(), n = B * c.T() * c.C;
    if (c.S > 0) {  // the hybrid: patches of the stem's maps s = relu(conv3×3(x)) instead of the pixels
        conv2d_forward(a.spre.data(), a.cols.data(), x, m.Ws.data, m.bs.data, B, /*C_in=*/1, c.H, c.H, c.S,
                       /*KH=*/3, /*KW=*/3, /*stride=*/1, /*pad=*/1);
        relu_forward(a.s.data(), a.spre.data(), B * c.S * c.H * c.H);
        x = a.s.data();
    }
    const size_t img = (size_t)c.maps() * c.H * c.H, D = c.D();
    parallel_for(B, [&](int b0, int b1) {  // x_p, images b0..b1−1 on each thread
        patchify_forward(a.xp.data() + b0 * N * D, x + b0 * img, b1 - b0, c.H, c.P, c.window(), c.maps());
    });
    patch_embed_forward(a.X.data(), a.xp.data(), m.E.data, m.bE.data, B, N, c.D(), c.C);  // X = x_p Eᵀ + b_E
    tokens_forward(a.z0.data(), a.X.data(), m.cls.data, m.pos.data, B, N, c.C);           // z₀ = [cls; X] + E_pos
    dropout_forward(a.z[0].data(), a.m0.data(), a.z0.data(), n, c.dropout, rng, training);
    // END SOLUTION
}
// The same arrows in reverse, from a.dz0 = ∂L/∂z[0]; the pixels get no gradient.
inline void vit_embed_backward(ViT& m, ViTActs& a, int B) {
    // BEGIN SOLUTION
    const ViTConfig& c = m.cfg;
    const int N = c.N(), n = B * c.T() * c.C;
    std::fill_n(a.dz.data(), n, 0.0f), std::fill_n(a.dX.data(), (size_t)B * N * c.C, 0.0f);
    dropout_backward(a.dz.data(), a.dz0.data(), a.m0.data(), n, a.training ? c.dropout : 0.0f);  // z[0] = drop(z₀)
    tokens_backward(a.dX.data(), m.cls.grad, m.pos.grad, a.dz.data(), B, N, c.C);                // z₀ = [cls; X] + E_pos
    float* dxp = c.S > 0 ? a.dxp.data() : nullptr;  // the stem's maps need their gradient, the pixels none
    if (dxp) parallel_zero(dxp, (size_t)B * N * c.D());
    patch_embed_backward(dxp, m.E.grad, m.bE.grad, a.dX.data(), a.xp.data(), m.E.data, B, N, c.D(), c.C);
    if (c.S > 0) {  // s = relu(spre), spre = conv3×3(x)
        const int ns = B * c.S * c.H * c.H;
        parallel_zero(a.ds.data(), ns);
        const size_t img = (size_t)c.S * c.H * c.H, D = c.D();
        parallel_for(B, [&](int b0, int b1) {  // each image's sums on one thread, in the same order
            patchify_backward(a.ds.data() + b0 * img, dxp + b0 * N * D, b1 - b0, c.H, c.P, c.window(), c.S);
        });
        relu_backward(a.dspre.data(), a.ds.data(), a.spre.data(), ns, /*accumulate=*/false);
        conv2d_backward(nullptr, m.Ws.grad, m.bs.grad, a.dspre.data(), a.x, m.Ws.data, a.cols.data(), B,
                        /*C_in=*/1, c.H, c.H, c.S, /*KH=*/3, /*KW=*/3, /*stride=*/1, /*pad=*/1);
    }
    // END SOLUTION
}

// x (B,H,W) pixels, y (B) labels. Returns the mean cross-entropy; a.probs (B,V) holds the softmax and
// a.caches[l].mha.att every layer's attention weights. training turns dropout on (masks from rng).
inline float vit_forward(ViT& m, ViTActs& a, const float* x, const int* y, int B, Rng& rng, bool training) {
    const ViTConfig& c = m.cfg;
    const int T = c.T(), C = c.C;
    a.resize(B, c);
    a.training = training;
    vit_embed_forward(m, a, x, B, rng, training);
    for (int l = 0; l < c.L; l++)  // eqs. (2)–(3), L times; no padding: every token sees every token
        ch06::encoder_layer_forward(a.z[l + 1].data(), a.caches[l], m.layers[l], a.z[l].data(), ch06::AttnMask{}, B, T,
                                    rng, training);
    for (int b = 0; b < B; b++)  // the class token's output z_L[b,0]
        std::copy_n(a.z[c.L].data() + (size_t)b * T * C, C, a.zc.data() + (size_t)b * C);
    layernorm_forward(a.y.data(), a.mean_f.data(), a.rstd_f.data(), a.zc.data(), m.lnf_g.data, m.lnf_b.data, B, C);
    linear_forward(a.hpre.data(), a.y.data(), m.Wh.data, m.bh.data, B, C, C);        // the head: W_h y + b_h
    tanh_forward(a.h.data(), a.hpre.data(), B * C);                                  // tanh
    linear_forward(a.logits.data(), a.h.data(), m.Wo.data, m.bo.data, B, C, c.V);    // W_o h + b_o
    const float eps = training ? c.smoothing : 0.0f;  // evaluation reports the plain cross-entropy
    return cross_entropy_forward(a.probs.data(), nullptr, a.logits.data(), y, nullptr, B, c.V, -1, eps);
}

// Gradients are added into m.params.grad (zero it first). Reads the cache of the last vit_forward.
inline void vit_backward(ViT& m, ViTActs& a, const int* y, int B) {
    const ViTConfig& c = m.cfg;
    const int T = c.T(), C = c.C;
    for (Buf* b : {&a.dlogits, &a.dh, &a.dhpre, &a.dy, &a.dzc}) std::fill(b->begin(), b->end(), 0.0f);
    // loss = mean CE(logits, q(y))  →  dlogits = (softmax − q(y)) / B,  q(y) = (1 − ε)·onehot(y) + ε/V
    const float eps = a.training ? c.smoothing : 0.0f;
    cross_entropy_backward(a.dlogits.data(), a.probs.data(), y, nullptr, B, c.V, -1, eps, 1.0f);
    // logits = W_o h + b_o; h = tanh(hpre); hpre = W_h y + b_h; y = LN(zc)
    linear_backward(a.dh.data(), m.Wo.grad, m.bo.grad, a.dlogits.data(), a.h.data(), m.Wo.data, B, C, c.V);
    tanh_backward(a.dhpre.data(), a.dh.data(), a.h.data(), B * C);
    linear_backward(a.dy.data(), m.Wh.grad, m.bh.grad, a.dhpre.data(), a.y.data(), m.Wh.data, B, C, C);
    layernorm_backward(a.dzc.data(), m.lnf_g.grad, m.lnf_b.grad, a.dy.data(), a.zc.data(), m.lnf_g.data,
                       a.mean_f.data(), a.rstd_f.data(), B, C);
    // zc = z_L[:,0]               →  dz_L is dzc at token 0 and zero at every patch token
    float* dz = a.dz.data();  // the gradient of the current layer's output; dz2 its input's
    std::fill_n(dz, (size_t)B * T * C, 0.0f);
    for (int b = 0; b < B; b++) std::copy_n(a.dzc.data() + (size_t)b * C, C, dz + (size_t)b * T * C);
    float* dzin = a.dz2.data();
    for (int l = c.L - 1; l >= 0; l--) {
        std::fill_n(dzin, (size_t)B * T * C, 0.0f);
        ch06::encoder_layer_backward(dzin, m.layers[l], a.caches[l], dz, a.z[l].data(), B, T);
        std::swap(dz, dzin);
    }
    std::copy_n(dz, (size_t)B * T * C, a.dz0.data());  // ∂L/∂z[0]
    vit_embed_backward(m, a, B);
}

}  // namespace ch08
