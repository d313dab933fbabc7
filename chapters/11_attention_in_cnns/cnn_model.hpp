// cnn_model.hpp — chapter 11's model: a small CNN, and the same CNN with SE or CBAM in every stage.
//
//   x (B,1,28,28) ─ stage 0 ─▶ (B,C0,14,14) ─ stage 1 ─▶ (B,C1,7,7) ─ stage 2 ─▶ (B,C2,7,7) ─ fc ─▶ logits (B,V)
//
//   stage s:  [conv3×3 → BN → relu] × convs  ─▶  attention  ─▶  maxpool 2   (not after the last stage)
//                                                 none | SE | CBAM
//   head:     the last stage's map flattened (C2·7·7 features) → fc; or (cfg.gap_head) its global
//             average (C2 features) → fc, as in the SE and CBAM papers' ResNets. With only three conv
//             layers the average learns far more slowly (README: "The head").
//
// The three models differ ONLY in the attention step (chosen by cfg.attention, an enum, in one
// switch per direction): the plain CNN passes the block's output through; SE re-weights its channels
// (squeeze_excitation.hpp); CBAM re-weights its channels, then its pixels (cbam.hpp). Initialised
// from the same seed, the three start from the same conv and fc weights.
//
// Training and evaluation differ in batch norm only (batch statistics vs running averages): the
// `train` flag of cnn_forward. The running averages are not trained by gradient, so they live in a
// ParamSet of their own, m.stats (saved in checkpoints beside m.params).
//
// Shapes: B batch, Hs = H >> s the side of stage s, Cs its channels, Crs = Cs / r, V classes.
#pragma once
#include <algorithm>
#include <string>
#include <vector>

#include "chapters/11_attention_in_cnns/cbam.hpp"
#include "chapters/11_attention_in_cnns/conv_block.hpp"
#include "chapters/11_attention_in_cnns/squeeze_excitation.hpp"
#include "common/core/error.hpp"
#include "common/core/matmul.hpp"
#include "common/core/params.hpp"
#include "common/core/reduce.hpp"
#include "common/core/rng.hpp"
#include "common/core/thread_pool.hpp"
#include "common/nn/cross_entropy.hpp"
#include "common/nn/init.hpp"
#include "common/nn/pool2d.hpp"

namespace ch11 {
using namespace attn;

enum class Attention { None, SE, CBAM };
inline const char* attention_key(Attention a) { return a == Attention::SE ? "se" : a == Attention::CBAM ? "cbam" : "plain"; }
inline Attention attention_from_key(const std::string& k) {
    return k == "se" ? Attention::SE : k == "cbam" ? Attention::CBAM : Attention::None;
}

constexpr int kStages = 3, kMaxConvs = 2;

struct CNNConfig {
    Attention attention = Attention::None;
    int H = 28;                           // input side (a multiple of 4)
    int width[kStages] = {32, 64, 128};   // channels of each stage
    int convs = 1;                        // conv blocks per stage (1 or 2)
    int reduction = 8;                    // SE / CBAM bottleneck: Cr = C / reduction (the papers: 16)
    int spatial_k = 7;                    // CBAM's spatial conv (the paper: 7)
    int V = 10;
    bool gap_head = false;                // the head: flatten (false) or global average pool (true)
    float smoothing = 0.0f;               // label smoothing ε of the TRAINING loss: targets (1 − ε)·onehot + ε/V
    int side(int s) const { return H >> s; }
    int features() const {                // the fc's inputs
        const int last = side(kStages - 1);
        return gap_head ? width[kStages - 1] : width[kStages - 1] * last * last;
    }
    int Cr(int s) const { return std::max(1, width[s] / reduction); }
    ConvBlockDims block(int s, int j) const {  // conv block j of stage s
        ConvBlockDims d;
        d.C_in = j > 0 ? width[s] : s > 0 ? width[s - 1] : 1;
        d.C = width[s], d.H = side(s);
        return d;
    }
};

struct ConvParams {
    Tensor W, gamma, beta;              // (C,C_in,3,3), (C), (C)
    Tensor running_mean, running_var;   // (C) in m.stats
    ConvBlockWeights weights() const { return {W.data, gamma.data, beta.data, running_mean.data, running_var.data}; }
};
struct AttnParams {                      // SE: its two fc layers; CBAM: the shared MLP and the spatial conv
    Tensor fc1_W, fc1_b;                 // (Cr,C), (Cr)
    Tensor fc2_W, fc2_b;                 // (C,Cr), (C)
    Tensor sp_W, sp_b;                   // (1,2,k,k), (1)   CBAM only
};
struct Stage {
    ConvParams conv[kMaxConvs];
    AttnParams att;
};

struct CNN {
    CNNConfig cfg;
    ParamSet params;   // trained by the optimiser
    ParamSet stats;    // batch norm's running means and variances (their .grad is unused)
    Stage stage[kStages];
    Tensor fc_W, fc_b; // (V,F), (V) with F = c.features(): C2·7·7, or C2 with the average-pool head
};

inline void cnn_init(CNN& m, const CNNConfig& c, Rng& rng) {
    if (c.H % 4 != 0) fail("cnn_init", "an input side divisible by 4 (two 2×2 poolings)", "use 28×28 images");
    if (c.convs < 1 || c.convs > kMaxConvs) fail("cnn_init", "1 or 2 conv blocks per stage", "--convs 1 or 2");
    m.cfg = c;
    for (int s = 0; s < kStages; s++) {
        const std::string st = "stage" + std::to_string(s) + ".";
        const int C = c.width[s], Cr = c.Cr(s);
        for (int j = 0; j < c.convs; j++) {
            const ConvBlockDims d = c.block(s, j);
            ConvParams& p = m.stage[s].conv[j];
            const std::string n = st + "conv" + std::to_string(j);
            m.params.add(p.W, n + ".weight", {C, d.C_in, 3, 3});
            m.params.add(p.gamma, n + ".bn.weight", {C}), m.params.add(p.beta, n + ".bn.bias", {C});
            m.stats.add(p.running_mean, n + ".bn.running_mean", {C});
            m.stats.add(p.running_var, n + ".bn.running_var", {C});
        }
        AttnParams& a = m.stage[s].att;
        if (c.attention != Attention::None) {
            const std::string n = st + (c.attention == Attention::SE ? "se." : "cbam.mlp.");
            m.params.add(a.fc1_W, n + "fc1.weight", {Cr, C}), m.params.add(a.fc1_b, n + "fc1.bias", {Cr});
            m.params.add(a.fc2_W, n + "fc2.weight", {C, Cr}), m.params.add(a.fc2_b, n + "fc2.bias", {C});
        }
        if (c.attention == Attention::CBAM) {
            m.params.add(a.sp_W, st + "cbam.spatial.weight", {1, 2, c.spatial_k, c.spatial_k});
            m.params.add(a.sp_b, st + "cbam.spatial.bias", {1});
        }
    }
    m.params.add(m.fc_W, "fc.weight", {c.V, c.features()}), m.params.add(m.fc_b, "fc.bias", {c.V});
    m.params.allocate(), m.stats.allocate();
    // The convs and the fc first, so that the three models start from the same weights there.
    // Convs feed a relu (through BN): Kaiming; BN starts as the identity map (γ = 1, β = 0).
    for (int s = 0; s < kStages; s++)
        for (int j = 0; j < c.convs; j++) {
            ConvParams& p = m.stage[s].conv[j];
            init_kaiming_uniform(p.W, rng, c.block(s, j).C_in * 9);
            init_constant(p.gamma, 1.0f), init_constant(p.beta, 0.0f);
            init_constant(p.running_mean, 0.0f), init_constant(p.running_var, 1.0f);
        }
    const float kTorch = 0.57735027f;  // gain 1/√3: U(±1/√fan_in), PyTorch's default for Linear and Conv2d
    init_kaiming_uniform(m.fc_W, rng, c.features(), kTorch), init_constant(m.fc_b, 0.0f);
    for (int s = 0; s < kStages && c.attention != Attention::None; s++) {
        AttnParams& a = m.stage[s].att;
        init_kaiming_uniform(a.fc1_W, rng, c.width[s], kTorch), init_constant(a.fc1_b, 0.0f);
        init_kaiming_uniform(a.fc2_W, rng, c.Cr(s), kTorch), init_constant(a.fc2_b, 0.0f);
        if (c.attention == Attention::CBAM)
            init_kaiming_uniform(a.sp_W, rng, 2 * c.spatial_k * c.spatial_k, kTorch), init_constant(a.sp_b, 0.0f);
    }
}

// Everything the forward pass keeps for the backward pass, allocated once for a batch size.
struct StageActs {
    ConvBlockActs blk[kMaxConvs];
    SEActs se;
    ChannelAttnActs ca;
    SpatialAttnActs sa;
    Buf x1, y;                 // (B,C,Hs,Hs) CBAM's channel-attended map; the attention's output
    Buf dx1, dy;
    Buf pool, dpool;           // (B,C,Hs/2,Hs/2) (not the last stage)
    std::vector<int> argmax;   // (B,C,Hs/2,Hs/2)
};
struct CNNActs {
    int B = 0;
    StageActs st[kStages];
    Buf gap, dgap;             // (B,C2) the last stage's global average pool (cfg.gap_head)
    Buf logits, probs, dlogits;// (B,V)
    Buf cols;                  // im2col scratch, big enough for every conv
    void resize(int batch, const CNNConfig& c) {
        B = batch;
        size_t cols_n = 0;
        for (int s = 0; s < kStages; s++) {
            StageActs& t = st[s];
            const int C = c.width[s], H = c.side(s), HW = H * H;
            const size_t n = (size_t)B * C * HW, np = (size_t)B * C * (H / 2) * (H / 2);
            for (int j = 0; j < c.convs; j++) {
                t.blk[j].resize(B, c.block(s, j));
                cols_n = std::max(cols_n, c.block(s, j).cols_size(B));
            }
            if (c.attention == Attention::SE) t.se.resize(B, C, c.Cr(s));
            if (c.attention == Attention::CBAM) {
                t.ca.resize(B, C, c.Cr(s)), t.sa.resize(B, HW);
                t.x1.resize(n), t.dx1.resize(n);
            }
            if (c.attention != Attention::None) t.y.resize(n), t.dy.resize(n);
            if (s < kStages - 1) t.pool.resize(np), t.dpool.resize(np), t.argmax.resize(np);
        }
        cols.resize(cols_n);
        gap.resize((size_t)B * c.width[kStages - 1]), dgap.resize((size_t)B * c.width[kStages - 1]);
        logits.resize((size_t)B * c.V), probs.resize((size_t)B * c.V), dlogits.resize((size_t)B * c.V);
    }
};

// ---- the attention step of a stage: x (B,C,Hs,Hs) → t.y (B,C,Hs,Hs) ----------------------------

inline void attention_forward(CNN& m, CNNActs& a, int s, const float* x, int B) {
    const CNNConfig& c = m.cfg;
    const AttnParams& p = m.stage[s].att;
    StageActs& t = a.st[s];
    const int C = c.width[s], Cr = c.Cr(s), H = c.side(s);
    switch (c.attention) {
        case Attention::None:  // y = x: nothing to compute (stage_output reads x itself)
            break;
        case Attention::SE:    // y = σ(W2 relu(W1 mean_p x)) ⊙ x
            se_forward(t.y.data(), t.se, x, p.fc1_W.data, p.fc1_b.data, p.fc2_W.data, p.fc2_b.data, B, C, Cr, H * H);
            break;
        case Attention::CBAM:  // x1 = M_c(x) ⊙ x;  y = M_s(x1) ⊙ x1
            channel_attention_forward(t.x1.data(), t.ca, x, p.fc1_W.data, p.fc1_b.data, p.fc2_W.data, p.fc2_b.data,
                                      B, C, Cr, H * H);
            spatial_attention_forward(t.y.data(), t.sa, t.x1.data(), p.sp_W.data, p.sp_b.data, B, C, H, c.spatial_k);
            break;
    }
}
// t.dy holds ∂L/∂y on entry; dx (B,C,Hs,Hs) = ∂L/∂x (written: x reaches the loss only through the
// attention), and the attention's weight gradients.
inline void attention_backward(CNN& m, CNNActs& a, int s, float* dx, const float* x, int B) {
    const CNNConfig& c = m.cfg;
    const AttnParams& p = m.stage[s].att;
    StageActs& t = a.st[s];
    const int C = c.width[s], Cr = c.Cr(s), H = c.side(s);
    switch (c.attention) {
        case Attention::None:  // y = x: stage_backward wrote dy straight into dx
            break;
        case Attention::SE:  // (dx written)
            se_backward(dx, p.fc1_W.grad, p.fc1_b.grad, p.fc2_W.grad, p.fc2_b.grad, t.se, t.dy.data(), x,
                        p.fc1_W.data, p.fc2_W.data, B, C, Cr, H * H);
            break;
        case Attention::CBAM:  // in reverse: the spatial step, then the channel step (both add into theirs)
            parallel_zero(t.dx1.data(), (size_t)B * C * H * H), parallel_zero(dx, (size_t)B * C * H * H);
            spatial_attention_backward(t.dx1.data(), p.sp_W.grad, p.sp_b.grad, t.sa, t.dy.data(), t.x1.data(),
                                       p.sp_W.data, B, C, H, c.spatial_k);
            channel_attention_backward(dx, p.fc1_W.grad, p.fc1_b.grad, p.fc2_W.grad, p.fc2_b.grad, t.ca, t.dx1.data(),
                                       x, p.fc1_W.data, p.fc2_W.data, B, C, Cr, H * H);
            break;
    }
}

// ---- a stage: conv blocks → attention → pool ---------------------------------------------------

// The attention's output y (B,C,Hs,Hs): the last conv block's own output for the plain CNN (y = x).
// (convs is 1 or 2, cnn_init checks; the clamp tells the compiler too, which cannot always see it)
inline float* stage_output(CNNActs& a, int s, const CNNConfig& c) {
    const int last = std::clamp(c.convs, 1, kMaxConvs) - 1;
    return c.attention == Attention::None ? a.st[s].blk[last].act.data() : a.st[s].y.data();
}
inline float* stage_doutput(CNNActs& a, int s, const CNNConfig& c) {
    const int last = std::clamp(c.convs, 1, kMaxConvs) - 1;
    return c.attention == Attention::None ? a.st[s].blk[last].dact.data() : a.st[s].dy.data();
}

// inp (B,C_in,Hs,Hs) → the stage's output: t.pool (B,C,Hs/2,Hs/2); the last stage: y itself, or its
// average a.gap (B,C) with the average-pool head.
inline void stage_forward(CNN& m, CNNActs& a, int s, const float* inp, int B, bool train) {
    const CNNConfig& c = m.cfg;
    StageActs& t = a.st[s];
    const int C = c.width[s], H = c.side(s), HW = H * H;
    const float* x = inp;
    for (int j = 0; j < c.convs; j++) {
        conv_block_forward(t.blk[j], a.cols.data(), x, m.stage[s].conv[j].weights(), B, c.block(s, j), train);
        x = t.blk[j].act.data();
    }
    attention_forward(m, a, s, x, B);
    const float* y = stage_output(a, s, c);
    if (s < kStages - 1) {  // pool[b,c,y,x] = max of the 2×2 window
        maxpool2d_forward(t.pool.data(), t.argmax.data(), y, B, C, H, H, 2, 2);
        return;
    }
    if (!c.gap_head) return;
    for (int bc = 0; bc < B * C; bc++)  // gap[b,c] = (1/HW) Σ_p y[b,c,p]  (reduce.hpp)
        a.gap[bc] = sum_lanes(y + (size_t)bc * HW, HW) / HW;
}
// The stage's output gradient (t.dpool; for the last stage a.dgap, or dy itself with the flatten
// head) on entry; dinp (the previous
// stage's dpool, or nullptr for the image) += ∂L/∂inp, and the stage's weight gradients.
inline void stage_backward(CNN& m, CNNActs& a, int s, float* dinp, const float* inp, int B) {
    const CNNConfig& c = m.cfg;
    StageActs& t = a.st[s];
    const int C = c.width[s], H = c.side(s), HW = H * H;
    const size_t n = (size_t)B * C * HW;
    float* dy = stage_doutput(a, s, c);
    if (s < kStages - 1) {  // pool = max of the window  →  dy[argmax] = dpool, 0 elsewhere
        maxpool2d_backward(dy, t.dpool.data(), t.argmax.data(), B, C, H, H, 2, 2, /*accumulate=*/false);
    } else if (c.gap_head) {  // gap = mean_p y  →  dy = dgap / HW
        for (size_t i = 0; i < n; i++) dy[i] = a.dgap[i / HW] / HW;
    }                           // (the flatten head: cnn_backward wrote dy)
    ConvBlockActs& last = t.blk[c.convs - 1];
    if (c.attention != Attention::None) attention_backward(m, a, s, last.dact.data(), last.act.data(), B);
    for (int j = c.convs - 1; j >= 0; j--) {
        const float* x = j > 0 ? t.blk[j - 1].act.data() : inp;
        float* dx = j > 0 ? t.blk[j - 1].dact.data() : dinp;
        if (j > 0) parallel_zero(t.blk[j - 1].dact.data(), n);
        const ConvParams& p = m.stage[s].conv[j];
        conv_block_backward(dx, p.W.grad, p.gamma.grad, p.beta.grad, t.blk[j], a.cols.data(), x, p.weights(), B,
                            c.block(s, j));
    }
}

// ---- the model ----------------------------------------------------------------------------------

// The fc's input (B,F): the last stage's output read as (B, C2·7·7), or its average (B,C2).
inline float* head_features(CNNActs& a, const CNNConfig& c) {
    return c.gap_head ? a.gap.data() : stage_output(a, kStages - 1, c);
}
inline float* head_dfeatures(CNNActs& a, const CNNConfig& c) {
    return c.gap_head ? a.dgap.data() : stage_doutput(a, kStages - 1, c);
}

// x (B,1,H,H), y (B) labels (or nullptr: no loss, returns 0). a.probs holds the softmax (B,V).
// train: batch norm with batch statistics (and running averages updated); else the running averages.
inline float cnn_forward(CNN& m, CNNActs& a, const float* x, const int* y, int B, bool train) {
    const CNNConfig& c = m.cfg;
    const float* inp = x;
    for (int s = 0; s < kStages; s++) {
        stage_forward(m, a, s, inp, B, train);
        inp = a.st[s].pool.data();
    }
    // logits = features · Wᵀ + b
    linear_forward(a.logits.data(), head_features(a, c), m.fc_W.data, m.fc_b.data, B, c.features(), c.V);
    const float eps = train ? c.smoothing : 0.0f;  // evaluation reports the plain cross-entropy
    return cross_entropy_forward(a.probs.data(), nullptr, a.logits.data(), y, nullptr, B, c.V, -1, eps);
}

// The same arrows in reverse (after a training-mode forward). Gradients are added into m.params.grad.
inline void cnn_backward(CNN& m, CNNActs& a, const float* x, const int* y, int B) {
    const CNNConfig& c = m.cfg;
    float* dfeat = head_dfeatures(a, c);
    // (accumulate = false: dlogits and dfeatures are written, not added into, so they need no clearing)
    // loss = mean CE(logits, q)   →  dlogits = (softmax − q) / B,  q = (1 − ε)·onehot(y) + ε/V
    cross_entropy_backward(a.dlogits.data(), a.probs.data(), y, nullptr, B, c.V, -1, c.smoothing, 1.0f,
                           /*accumulate=*/false);
    // logits = features · Wᵀ + b  →  dfeatures, dW, db
    linear_backward(dfeat, m.fc_W.grad, m.fc_b.grad, a.dlogits.data(), head_features(a, c), m.fc_W.data, B,
                    c.features(), c.V, /*accumulate=*/false);
    for (int s = kStages - 1; s >= 0; s--) {
        float* dinp = s > 0 ? a.st[s - 1].dpool.data() : nullptr;  // the image needs no gradient
        if (s > 0) parallel_zero(a.st[s - 1].dpool.data(), a.st[s - 1].dpool.size());
        stage_backward(m, a, s, dinp, s > 0 ? a.st[s - 1].pool.data() : x, B);
    }
}

}  // namespace ch11
