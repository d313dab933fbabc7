// stn_model.hpp — chapter 09's model: a spatial transformer in front of a small CNN classifier.
//
//   x (B,1,Hi,Hi) ─┬─ localisation net ─▶ θ (B,2,3) ─ affine grid ─▶ grid (B,Ho,Ho,2) ─┐
//                  │  conv5/pool2/relu → conv5/pool2/relu → fc/relu → fc (→ 6, or 3 = s,tx,ty)
//                  └───────────────────────────────────────────── bilinear sampler ◀──┘
//                                                                     │
//                                               xs (B,1,Ho,Ho) ◀──────┘
//   xs ─ conv5/pool2/relu ─ conv5/pool2/relu ─ fc/relu ─ fc ─▶ logits (B,V) ─ softmax + CE ─▶ loss
//
// The baseline (cfg.stn = false) is the same classifier fed x directly.
//
// The localisation net's LAST layer starts with zero weights and the identity transform as its
// bias (θ = [[1,0,0],[0,1,0]], or s = 1, tx = ty = 0): at the start the transformer passes the
// image through unchanged (resampled to Ho×Ho), and the classifier learns on the raw input while
// the localisation net learns, from the classifier's gradient alone, where to look.
//
// Shapes: B batch, Hi input side (28, or 42 for RTS), Ho sampler output side (28), V classes.
// A "block" is conv(k5, stride 1, no padding) → maxpool(2) → relu (relu after the pool: the same
// result as before it, on a quarter of the values).
#pragma once
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "chapters/09_spatial_transformer/affine_grid.hpp"
#include "chapters/09_spatial_transformer/bilinear_sampler.hpp"
#include "common/nn/activations.hpp"
#include "common/core/buffer.hpp"
#include "common/nn/conv2d.hpp"
#include "common/nn/cross_entropy.hpp"
#include "common/nn/init.hpp"
#include "common/core/matmul.hpp"
#include "common/core/params.hpp"
#include "common/nn/pool2d.hpp"
#include "common/core/rng.hpp"

namespace ch09 {
using namespace attn;

// ---- a conv block: conv → maxpool 2 → relu -------------------------------------------------

struct BlockDims {
    int C_in = 1, H = 28, C_out = 8, k = 5;
    int CH = 24;  // conv output side: H − k + 1
    int PH = 12;  // pooled side: CH / 2
    size_t conv_size(int B) const { return (size_t)B * C_out * CH * CH; }
    size_t out_size(int B) const { return (size_t)B * C_out * PH * PH; }
    int flat() const { return C_out * PH * PH; }  // features per image after the block
};
inline BlockDims block_dims(int C_in, int H, int C_out, int k) {
    BlockDims d;
    d.C_in = C_in, d.H = H, d.C_out = C_out, d.k = k;
    d.CH = conv2d_out_size(H, k, 1, 0);
    d.PH = pool2d_out_size(d.CH, 2, 2);
    return d;
}

struct BlockActs {
    Buf conv, pool, act;        // (B,C_out,CH,CH), (B,C_out,PH,PH), (B,C_out,PH,PH)
    std::vector<int> argmax;    // (B,C_out,PH,PH)
    Buf dconv, dpool, dact;     // gradients of the same
    void resize(int B, const BlockDims& d) {
        conv.resize(d.conv_size(B)), dconv.resize(d.conv_size(B));
        pool.resize(d.out_size(B)), act.resize(d.out_size(B)), argmax.resize(d.out_size(B));
        dpool.resize(d.out_size(B)), dact.resize(d.out_size(B));
    }
};

// inp is (B,C_in,H,H); W (C_out,C_in,k,k); b (C_out). Result in a.act (B,C_out,PH,PH).
inline void conv_block_forward(BlockActs& a, float* cols, const float* inp, const float* W, const float* b, int B,
                               const BlockDims& d) {
    conv2d_forward(a.conv.data(), cols, inp, W, b, B, d.C_in, d.H, d.H, d.C_out, d.k, d.k, 1, 0);
    maxpool2d_forward(a.pool.data(), a.argmax.data(), a.conv.data(), B, d.C_out, d.CH, d.CH, 2, 2);
    relu_forward(a.act.data(), a.pool.data(), (int)d.out_size(B));
}
// dinp (may be nullptr), dW, db += gradients; a.dact holds ∂L/∂act on entry.
inline void conv_block_backward(float* dinp, float* dW, float* db, BlockActs& a, float* cols, const float* inp,
                                const float* W, int B, const BlockDims& d) {
    std::fill(a.dpool.begin(), a.dpool.begin() + d.out_size(B), 0.0f);
    std::fill(a.dconv.begin(), a.dconv.begin() + d.conv_size(B), 0.0f);
    // act = max(0, pool)                      →  dpool = dact ⊙ [pool > 0]
    relu_backward(a.dpool.data(), a.dact.data(), a.pool.data(), (int)d.out_size(B));
    // pool = max over each 2×2 window of conv →  dconv[argmax] += dpool
    maxpool2d_backward(a.dconv.data(), a.dpool.data(), a.argmax.data(), B, d.C_out, d.CH, d.CH, 2, 2);
    // conv = W ⋆ inp + b                      →  dW, db, dinp
    conv2d_backward(dinp, dW, db, a.dconv.data(), inp, W, cols, B, d.C_in, d.H, d.H, d.C_out, d.k, d.k, 1, 0);
}

// ---- the model -----------------------------------------------------------------------------

struct STNConfig {
    int H_in = 28;                     // input side: 28 (seed setting) or 42 (RTS)
    int H_out = 28;                    // sampler output side = the classifier's input side
    bool stn = true;                   // false: the baseline, the classifier on the raw input
    bool attention = false;            // true: θ = [[s,0,tx],[0,s,ty]] (3 numbers); false: full affine (6)
    int loc_c1 = 8, loc_c2 = 10, loc_fc = 32;   // localisation net
    int cls_c1 = 16, cls_c2 = 48, cls_fc = 128; // classifier
    int V = 10;                        // classes
    int n_theta() const { return attention ? 3 : 6; }
    int cls_side() const { return stn ? H_out : H_in; }
    BlockDims loc1() const { return block_dims(1, H_in, loc_c1, 5); }
    BlockDims loc2() const { return block_dims(loc_c1, loc1().PH, loc_c2, 5); }
    BlockDims cls1() const { return block_dims(1, cls_side(), cls_c1, 5); }
    BlockDims cls2() const { return block_dims(cls_c1, cls1().PH, cls_c2, 5); }
};

struct STN {
    STNConfig cfg;
    ParamSet params;
    // localisation net (only when cfg.stn)
    Tensor l1_W, l1_b;   // (loc_c1,1,5,5), (loc_c1)
    Tensor l2_W, l2_b;   // (loc_c2,loc_c1,5,5), (loc_c2)
    Tensor l3_W, l3_b;   // (loc_fc, loc2.flat), (loc_fc)
    Tensor l4_W, l4_b;   // (n_theta, loc_fc), (n_theta)   zero weights, identity bias at the start
    // classifier
    Tensor c1_W, c1_b;   // (cls_c1,1,5,5), (cls_c1)
    Tensor c2_W, c2_b;   // (cls_c2,cls_c1,5,5), (cls_c2)
    Tensor c3_W, c3_b;   // (cls_fc, cls2.flat), (cls_fc)
    Tensor c4_W, c4_b;   // (V, cls_fc), (V)
    // The localisation net's parameters (declared first in stn_init) are the first loc_param_count()
    // values of params: everything before the classifier's first tensor (alignment padding included).
    size_t loc_param_count() const { return cfg.stn ? (size_t)(c1_W.data - params.value.data()) : 0; }
};

// Kaiming (He) uniform weights, Var = 2/fan_in, and zero biases: every layer here feeds a relu.
// (PyTorch's default, U(±1/√fan_in), has a sixth of that variance; on these small, mostly black
// distorted digits it keeps the loss near log 10 for longer: the baseline CNN, 3 epochs of 6,000
// images, batch 64, reached a training accuracy of 32 % with it and 38 % with Kaiming.)
inline void init_layer(Tensor& W, Tensor& b, int fan_in, Rng& rng) {
    init_kaiming_uniform(W, rng, fan_in);
    init_constant(b, 0.0f);
}

inline void stn_init(STN& m, const STNConfig& c, Rng& rng) {
    m.cfg = c;
    ParamSet& p = m.params;
    if (c.stn) {
        p.add(m.l1_W, "loc.conv1.weight", {c.loc_c1, 1, 5, 5}), p.add(m.l1_b, "loc.conv1.bias", {c.loc_c1});
        p.add(m.l2_W, "loc.conv2.weight", {c.loc_c2, c.loc_c1, 5, 5}), p.add(m.l2_b, "loc.conv2.bias", {c.loc_c2});
        p.add(m.l3_W, "loc.fc1.weight", {c.loc_fc, c.loc2().flat()}), p.add(m.l3_b, "loc.fc1.bias", {c.loc_fc});
        p.add(m.l4_W, "loc.fc2.weight", {c.n_theta(), c.loc_fc}), p.add(m.l4_b, "loc.fc2.bias", {c.n_theta()});
    }
    p.add(m.c1_W, "cls.conv1.weight", {c.cls_c1, 1, 5, 5}), p.add(m.c1_b, "cls.conv1.bias", {c.cls_c1});
    p.add(m.c2_W, "cls.conv2.weight", {c.cls_c2, c.cls_c1, 5, 5}), p.add(m.c2_b, "cls.conv2.bias", {c.cls_c2});
    p.add(m.c3_W, "cls.fc1.weight", {c.cls_fc, c.cls2().flat()}), p.add(m.c3_b, "cls.fc1.bias", {c.cls_fc});
    p.add(m.c4_W, "cls.fc2.weight", {c.V, c.cls_fc}), p.add(m.c4_b, "cls.fc2.bias", {c.V});
    p.allocate();
    // The classifier first, so that the STN and the baseline start from the same classifier weights.
    init_layer(m.c1_W, m.c1_b, 25, rng);
    init_layer(m.c2_W, m.c2_b, c.cls_c1 * 25, rng);
    init_layer(m.c3_W, m.c3_b, c.cls2().flat(), rng);
    init_layer(m.c4_W, m.c4_b, c.cls_fc, rng);
    if (c.stn) {
        init_layer(m.l1_W, m.l1_b, 25, rng);
        init_layer(m.l2_W, m.l2_b, c.loc_c1 * 25, rng);
        init_layer(m.l3_W, m.l3_b, c.loc2().flat(), rng);
        // The identity transform, whatever the input: W = 0, b = θ_identity.
        init_constant(m.l4_W, 0.0f);
        const float id_affine[6] = {1, 0, 0, 0, 1, 0}, id_attention[3] = {1, 0, 0};
        std::copy_n(c.attention ? id_attention : id_affine, c.n_theta(), m.l4_b.data);
    }
}

// Everything the forward pass keeps for the backward pass, allocated once for a batch size.
struct STNActs {
    int B = 0;
    BlockActs l1, l2, c1, c2;
    Buf lh, la, lout;   // (B,loc_fc) pre-relu, after relu; (B,n_theta) the localisation output
    Buf theta;          // (B,6) = (B,2,3)
    Buf grid;           // (B,Ho,Ho,2)
    Buf xs;             // (B,1,Ho,Ho) the sampled image the classifier sees
    Buf ch, ca;         // (B,cls_fc) pre-relu, after relu
    Buf logits, probs;  // (B,V)
    Buf cols;           // im2col scratch, big enough for every conv
    Buf dlh, dla, dlout, dtheta, dgrid, dxs, dch, dca, dlogits;
    void resize(int batch, const STNConfig& c) {
        B = batch;
        size_t cols_n = 0;
        for (const BlockDims& d : {c.cls1(), c.cls2()})
            cols_n = std::max(cols_n, conv2d_cols_size(B, d.C_in, d.H, d.H, d.k, d.k, 1, 0));
        c1.resize(B, c.cls1()), c2.resize(B, c.cls2());
        if (c.stn) {
            for (const BlockDims& d : {c.loc1(), c.loc2()})
                cols_n = std::max(cols_n, conv2d_cols_size(B, d.C_in, d.H, d.H, d.k, d.k, 1, 0));
            l1.resize(B, c.loc1()), l2.resize(B, c.loc2());
            size_t lf = (size_t)B * c.loc_fc, g = (size_t)B * c.H_out * c.H_out;
            lh.resize(lf), la.resize(lf), dlh.resize(lf), dla.resize(lf);
            lout.resize((size_t)B * c.n_theta()), dlout.resize((size_t)B * c.n_theta());
            theta.resize((size_t)B * 6), dtheta.resize((size_t)B * 6);
            grid.resize(g * 2), dgrid.resize(g * 2), xs.resize(g), dxs.resize(g);
        }
        cols.resize(cols_n);
        size_t cf = (size_t)B * c.cls_fc, bv = (size_t)B * c.V;
        ch.resize(cf), ca.resize(cf), dch.resize(cf), dca.resize(cf);
        logits.resize(bv), probs.resize(bv), dlogits.resize(bv);
    }
};

// The spatial transformer alone: x (B,1,Hi,Hi) -> a.theta (B,6), a.grid, a.xs (B,1,Ho,Ho).
inline void transformer_forward(STN& m, STNActs& a, const float* x, int B) {
    // BEGIN SOLUTION
    const STNConfig& c = m.cfg;
    const BlockDims d1 = c.loc1(), d2 = c.loc2();
    float* cols = a.cols.data();
    conv_block_forward(a.l1, cols, x, m.l1_W.data, m.l1_b.data, B, d1);
    conv_block_forward(a.l2, cols, a.l1.act.data(), m.l2_W.data, m.l2_b.data, B, d2);
    linear_forward(a.lh.data(), a.l2.act.data(), m.l3_W.data, m.l3_b.data, B, d2.flat(), c.loc_fc);
    relu_forward(a.la.data(), a.lh.data(), B * c.loc_fc);
    linear_forward(a.lout.data(), a.la.data(), m.l4_W.data, m.l4_b.data, B, c.loc_fc, c.n_theta());
    if (c.attention) attention_theta_forward(a.theta.data(), a.lout.data(), B);  // θ = [[s,0,tx],[0,s,ty]]
    else std::copy_n(a.lout.data(), (size_t)B * 6, a.theta.data());              // θ = the 6 outputs
    affine_grid_forward(a.grid.data(), a.theta.data(), B, c.H_out, c.H_out);       // eq. 1
    bilinear_sample_forward(a.xs.data(), x, a.grid.data(), B, 1, c.H_in, c.H_in, c.H_out, c.H_out);  // eq. 6
    // END SOLUTION
}
// a.dxs holds ∂L/∂xs on entry; adds the localisation net's gradients. (No gradient for the pixels.)
inline void transformer_backward(STN& m, STNActs& a, const float* x, int B) {
    // BEGIN SOLUTION
    const STNConfig& c = m.cfg;
    const BlockDims d1 = c.loc1(), d2 = c.loc2();
    float* cols = a.cols.data();
    std::fill(a.dgrid.begin(), a.dgrid.end(), 0.0f), std::fill(a.dtheta.begin(), a.dtheta.end(), 0.0f);
    std::fill(a.dlout.begin(), a.dlout.end(), 0.0f), std::fill(a.dla.begin(), a.dla.end(), 0.0f);
    std::fill(a.dlh.begin(), a.dlh.end(), 0.0f), std::fill(a.l2.dact.begin(), a.l2.dact.end(), 0.0f);
    std::fill(a.l1.dact.begin(), a.l1.dact.end(), 0.0f);
    // xs = sample(x, grid)        →  dgrid (eq. 7); the input image needs no gradient
    bilinear_sample_backward(nullptr, a.dgrid.data(), a.dxs.data(), x, a.grid.data(), B, 1, c.H_in, c.H_in, c.H_out,
                             c.H_out);
    // grid = θ · (xᵗ, yᵗ, 1)      →  dθ = Σ_pixels dgrid ⊗ (xᵗ, yᵗ, 1)
    affine_grid_backward(a.dtheta.data(), a.dgrid.data(), B, c.H_out, c.H_out);
    // θ = f(lout)                 →  dlout
    if (c.attention) attention_theta_backward(a.dlout.data(), a.dtheta.data(), B);
    else std::copy_n(a.dtheta.data(), (size_t)B * 6, a.dlout.data());
    // lout = la·W4ᵀ + b4; la = max(0, lh); lh = l2·W3ᵀ + b3
    linear_backward(a.dla.data(), m.l4_W.grad, m.l4_b.grad, a.dlout.data(), a.la.data(), m.l4_W.data, B, c.loc_fc,
                    c.n_theta());
    relu_backward(a.dlh.data(), a.dla.data(), a.lh.data(), B * c.loc_fc);
    linear_backward(a.l2.dact.data(), m.l3_W.grad, m.l3_b.grad, a.dlh.data(), a.l2.act.data(), m.l3_W.data, B,
                    d2.flat(), c.loc_fc);
    conv_block_backward(a.l1.dact.data(), m.l2_W.grad, m.l2_b.grad, a.l2, cols, a.l1.act.data(), m.l2_W.data, B, d2);
    conv_block_backward(nullptr, m.l1_W.grad, m.l1_b.grad, a.l1, cols, x, m.l1_W.data, B, d1);
    // END SOLUTION
}

// x is (B,1,Hi,Hi), y (B) labels. Returns the mean cross-entropy; a.probs holds the softmax.
inline float stn_forward(STN& m, STNActs& a, const float* x, const int* y, int B) {
    const STNConfig& c = m.cfg;
    const BlockDims d1 = c.cls1(), d2 = c.cls2();
    float* cols = a.cols.data();
    const float* xc = x;  // what the classifier sees: the transformed image, or (baseline) the input
    if (c.stn) {
        transformer_forward(m, a, x, B);
        xc = a.xs.data();
    }
    conv_block_forward(a.c1, cols, xc, m.c1_W.data, m.c1_b.data, B, d1);
    conv_block_forward(a.c2, cols, a.c1.act.data(), m.c2_W.data, m.c2_b.data, B, d2);
    linear_forward(a.ch.data(), a.c2.act.data(), m.c3_W.data, m.c3_b.data, B, d2.flat(), c.cls_fc);
    relu_forward(a.ca.data(), a.ch.data(), B * c.cls_fc);
    linear_forward(a.logits.data(), a.ca.data(), m.c4_W.data, m.c4_b.data, B, c.cls_fc, c.V);
    return cross_entropy_forward(a.probs.data(), nullptr, a.logits.data(), y, nullptr, B, c.V, -1, 0.0f);
}

// The same arrows in reverse. Gradients are added into m.params.grad (zero it first).
inline void stn_backward(STN& m, STNActs& a, const float* x, const int* y, int B) {
    const STNConfig& c = m.cfg;
    const BlockDims d1 = c.cls1(), d2 = c.cls2();
    float* cols = a.cols.data();
    std::fill(a.dlogits.begin(), a.dlogits.end(), 0.0f), std::fill(a.dca.begin(), a.dca.end(), 0.0f);
    std::fill(a.dch.begin(), a.dch.end(), 0.0f), std::fill(a.c2.dact.begin(), a.c2.dact.end(), 0.0f);
    std::fill(a.c1.dact.begin(), a.c1.dact.end(), 0.0f);
    // loss = mean CE(logits, y)   →  dlogits = (softmax − onehot(y)) / B
    cross_entropy_backward(a.dlogits.data(), a.probs.data(), y, nullptr, B, c.V, -1, 0.0f, 1.0f);
    // logits = ca·W4ᵀ + b4; ca = max(0, ch); ch = c2·W3ᵀ + b3
    linear_backward(a.dca.data(), m.c4_W.grad, m.c4_b.grad, a.dlogits.data(), a.ca.data(), m.c4_W.data, B, c.cls_fc,
                    c.V);
    relu_backward(a.dch.data(), a.dca.data(), a.ch.data(), B * c.cls_fc);
    linear_backward(a.c2.dact.data(), m.c3_W.grad, m.c3_b.grad, a.dch.data(), a.c2.act.data(), m.c3_W.data, B,
                    d2.flat(), c.cls_fc);
    conv_block_backward(a.c1.dact.data(), m.c2_W.grad, m.c2_b.grad, a.c2, cols, a.c1.act.data(), m.c2_W.data, B, d2);
    if (!c.stn) {  // the baseline: the classifier read the input directly, which needs no gradient
        conv_block_backward(nullptr, m.c1_W.grad, m.c1_b.grad, a.c1, cols, x, m.c1_W.data, B, d1);
        return;
    }
    // The classifier's first conv read xs: its input gradient dxs flows on into the transformer.
    std::fill(a.dxs.begin(), a.dxs.end(), 0.0f);
    conv_block_backward(a.dxs.data(), m.c1_W.grad, m.c1_b.grad, a.c1, cols, a.xs.data(), m.c1_W.data, B, d1);
    transformer_backward(m, a, x, B);
}

}  // namespace ch09
