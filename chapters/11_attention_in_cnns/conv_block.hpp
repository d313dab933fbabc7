// conv_block.hpp — the plain CNN's building block: conv 3×3 (padding 1, no bias) → batch norm → relu.
//
//   inp (B,C_in,H,H) ─ conv3×3 ─▶ conv (B,C,H,H) ─ BN ─▶ relu ─▶ act (B,C,H,H)
//
// Batch norm and relu run as one pass (batchnorm2d.hpp: batchnorm2d_relu_*): act = max(0, BN(conv)),
// the normalised values never written out. On these large images (a stage's activations are 128 × 24
// × 28 × 28 floats) a pass is pure memory traffic, so one pass less is time saved; the numbers are
// those of BN and then relu. The backward reads relu's mask from act (act > 0 exactly where
// BN's output is > 0) and writes the relu's gradient over dact, then batch norm's over that: the
// gradient stays in the one buffer (a buffer of 10 MB fewer in the first stage for the caches to hold).
// The conv has no bias: batch norm subtracts each channel's mean right after it, which would cancel
// any bias (BN's β is the bias). Padding 1 keeps the side H, so the pooling between stages alone
// shrinks the image (28 → 14 → 7).
//
// Shapes: B batch, C_in input channels, C output channels, H side, HW = H·H.
#pragma once
#include <algorithm>

#include "common/core/buffer.hpp"
#include "common/nn/batchnorm2d.hpp"
#include "common/nn/conv2d.hpp"

namespace ch11 {
using namespace attn;

struct ConvBlockDims {
    int C_in = 1, C = 16, H = 28;
    int HW() const { return H * H; }
    size_t out_size(int B) const { return (size_t)B * C * H * H; }
    size_t cols_size(int B) const { return conv2d_cols_size(B, C_in, H, H, 3, 3, 1, 1); }
};

// The block's weights: W (C,C_in,3,3), BN's γ, β (C) and its running statistics (C) — the last two
// are not trained by gradient (they live in the model's `stats`, not its `params`).
struct ConvBlockWeights {
    const float* W;
    const float* gamma;
    const float* beta;
    float* running_mean;
    float* running_var;
};

struct ConvBlockActs {
    Buf conv, act;   // (B,C,H,H) each
    Buf mean, rstd;  // (C) the batch statistics (training mode)
    Buf dact;        // (B,C,H,H) ∂L/∂act, then ∂L/∂bn, then ∂L/∂conv (the backward works in place)
    void resize(int B, const ConvBlockDims& d) {
        for (Buf* b : {&conv, &act, &dact}) b->resize(d.out_size(B));
        mean.resize(d.C), rstd.resize(d.C);
    }
};

// inp (B,C_in,H,H) -> a.act (B,C,H,H). train: BN with the batch's statistics (and the running ones
// updated); else BN with the running statistics. cols: im2col scratch of d.cols_size(B) floats.
inline void conv_block_forward(ConvBlockActs& a, float* cols, const float* inp, const ConvBlockWeights& w, int B,
                               const ConvBlockDims& d, bool train) {
    // BEGIN SOLUTION
    const int HW = d.HW();
    // conv[b,o,y,x] = Σ_{c,i,j} W[o,c,i,j] · inp[b,c,y+i−1,x+j−1]
    conv2d_forward(a.conv.data(), cols, inp, w.W, nullptr, B, d.C_in, d.H, d.H, d.C, 3, 3, 1, 1);
    // act = max(0, bn),  bn = γ (conv − μ)/√(σ² + eps) + β   (one pass)
    if (train)
        batchnorm2d_relu_forward_train(a.act.data(), a.mean.data(), a.rstd.data(), w.running_mean, w.running_var,
                                       a.conv.data(), w.gamma, w.beta, B, d.C, HW);
    else
        batchnorm2d_relu_forward_eval(a.act.data(), a.conv.data(), w.gamma, w.beta, w.running_mean,
                                      w.running_var, B, d.C, HW);
    // END SOLUTION
}

// a.dact holds ∂L/∂act on entry (and ∂L/∂conv after). dinp (may be nullptr: the image needs no
// gradient), dW, dgamma, dbeta += gradients. Only after a training-mode forward (BN's backward uses
// the batch statistics).
inline void conv_block_backward(float* dinp, float* dW, float* dgamma, float* dbeta, ConvBlockActs& a, float* cols,
                                const float* inp, const ConvBlockWeights& w, int B, const ConvBlockDims& d) {
    // BEGIN SOLUTION
    // act = max(0, bn)                    →  dbn = dact ⊙ [act > 0]   (written over dact)
    // bn = γ x̂ + β                        →  dγ, dβ, dconv            (batchnorm2d.hpp; written over dact
    //                                                                   again: in place, accumulate = false)
    float* dconv = a.dact.data();
    batchnorm2d_relu_backward(dconv, dgamma, dbeta, a.dact.data(), a.act.data(), a.conv.data(), w.gamma,
                              a.mean.data(), a.rstd.data(), B, d.C, d.HW(), /*accumulate=*/false);
    // conv = W ⋆ inp                      →  dW, dinp
    conv2d_backward(dinp, dW, nullptr, dconv, inp, w.W, cols, B, d.C_in, d.H, d.H, d.C, 3, 3, 1, 1);
    // END SOLUTION
}

}  // namespace ch11
