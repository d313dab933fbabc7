// cnn_baseline.hpp — the convolutional baseline the ViT is measured against: a small CNN of about the
// ViT's parameter count, built from common/nn's conv and pooling layers.
//
//   x (B,1,H,H) ─ conv3×3 pad 1 → relu → maxpool 2 ─▶ (B,C1,H/2,H/2)
//               ─ conv3×3 pad 1 → relu → maxpool 2 ─▶ (B,C2,H/4,H/4) ─ flatten
//               ─ fc → relu ─▶ (B,FC) ─ fc ─▶ logits (B,V)
//
// What it has that the ViT must learn: locality (each output sees a 3×3 neighbourhood) and weight
// sharing across positions (translation equivariance), built in. The ViT's only image prior is the
// cut into patches; how patches relate it learns from data (Dosovitskiy et al. §3.1, "inductive bias").
//
// Shapes: B batch, H image side (28), C1, C2 channels, FC hidden units, V classes.
#pragma once
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "common/core/buffer.hpp"
#include "common/core/error.hpp"
#include "common/core/matmul.hpp"
#include "common/core/params.hpp"
#include "common/core/rng.hpp"
#include "common/nn/activations.hpp"
#include "common/nn/conv2d.hpp"
#include "common/nn/cross_entropy.hpp"
#include "common/nn/init.hpp"
#include "common/nn/pool2d.hpp"

namespace ch08 {
using namespace attn;

struct CNNConfig {
    int H = 28;               // image side (divisible by 4)
    int C1 = 16, C2 = 32;     // channels of the two convs
    int FC = 128;             // hidden units of the first fully connected layer
    int V = 10;
    int H2() const { return H / 2; }
    int H4() const { return H / 4; }
    int flat() const { return C2 * H4() * H4(); }
};

struct CNN {
    CNNConfig cfg;
    ParamSet params;
    Tensor W1, b1;  // (C1,1,3,3), (C1)
    Tensor W2, b2;  // (C2,C1,3,3), (C2)
    Tensor W3, b3;  // (FC, flat), (FC)
    Tensor W4, b4;  // (V, FC), (V)
};

// Kaiming-uniform weights (every layer but the last feeds a relu), zero biases.
inline void cnn_init(CNN& m, const CNNConfig& c, Rng& rng) {
    if (c.H % 4 != 0) fail("cnn baseline", "an image side divisible by 4, got " + std::to_string(c.H));
    m.cfg = c;
    ParamSet& p = m.params;
    p.add(m.W1, "conv1.weight", {c.C1, 1, 3, 3}), p.add(m.b1, "conv1.bias", {c.C1});
    p.add(m.W2, "conv2.weight", {c.C2, c.C1, 3, 3}), p.add(m.b2, "conv2.bias", {c.C2});
    p.add(m.W3, "fc1.weight", {c.FC, c.flat()}), p.add(m.b3, "fc1.bias", {c.FC});
    p.add(m.W4, "fc2.weight", {c.V, c.FC}), p.add(m.b4, "fc2.bias", {c.V});
    p.allocate();
    init_kaiming_uniform(m.W1, rng, 9), init_kaiming_uniform(m.W2, rng, c.C1 * 9);
    init_kaiming_uniform(m.W3, rng, c.flat()), init_kaiming_uniform(m.W4, rng, c.FC, 1.0f);
    for (Tensor* b : {&m.b1, &m.b2, &m.b3, &m.b4}) init_constant(*b, 0.0f);
}

struct CNNActs {
    int B = 0;
    Buf c1, r1, p1;  // (B,C1,H,H), (B,C1,H,H), (B,C1,H2,H2)
    Buf c2, r2, p2;  // (B,C2,H2,H2), (B,C2,H2,H2), (B,C2,H4,H4)
    std::vector<int> a1, a2;  // max-pool argmax, shaped as p1, p2
    Buf f, fr;       // (B,FC) before and after relu
    Buf logits, probs;  // (B,V)
    Buf cols;        // im2col scratch for either conv
    Buf dlogits, dfr, df, dp2, dr2, dc2, dp1, dr1, dc1;
    void resize(int batch, const CNNConfig& c) {
        B = batch;
        const size_t n1 = (size_t)B * c.C1 * c.H * c.H, q1 = n1 / 4, n2 = (size_t)B * c.C2 * c.H2() * c.H2(),
                     q2 = (size_t)B * c.flat();
        for (Buf* b : {&c1, &r1, &dr1, &dc1}) b->resize(n1);
        for (Buf* b : {&p1, &dp1}) b->resize(q1);
        for (Buf* b : {&c2, &r2, &dr2, &dc2}) b->resize(n2);
        for (Buf* b : {&p2, &dp2}) b->resize(q2);
        a1.resize(q1), a2.resize(q2);
        for (Buf* b : {&f, &fr, &df, &dfr}) b->resize((size_t)B * c.FC);
        for (Buf* b : {&logits, &probs, &dlogits}) b->resize((size_t)B * c.V);
        cols.resize(std::max(conv2d_cols_size(B, 1, c.H, c.H, 3, 3, 1, 1),
                             conv2d_cols_size(B, c.C1, c.H2(), c.H2(), 3, 3, 1, 1)));
    }
};

// x (B,H,H), y (B). Returns the mean cross-entropy; a.probs holds the softmax.
inline float cnn_forward(CNN& m, CNNActs& a, const float* x, const int* y, int B) {
    const CNNConfig& c = m.cfg;
    const int H = c.H, H2 = c.H2(), n1 = B * c.C1 * H * H, n2 = B * c.C2 * H2 * H2;
    if (a.B != B) a.resize(B, c);
    conv2d_forward(a.c1.data(), a.cols.data(), x, m.W1.data, m.b1.data, B, 1, H, H, c.C1, 3, 3, 1, 1);
    relu_forward(a.r1.data(), a.c1.data(), n1);
    maxpool2d_forward(a.p1.data(), a.a1.data(), a.r1.data(), B, c.C1, H, H, 2, 2);
    conv2d_forward(a.c2.data(), a.cols.data(), a.p1.data(), m.W2.data, m.b2.data, B, c.C1, H2, H2, c.C2, 3, 3, 1, 1);
    relu_forward(a.r2.data(), a.c2.data(), n2);
    maxpool2d_forward(a.p2.data(), a.a2.data(), a.r2.data(), B, c.C2, H2, H2, 2, 2);
    linear_forward(a.f.data(), a.p2.data(), m.W3.data, m.b3.data, B, c.flat(), c.FC);
    relu_forward(a.fr.data(), a.f.data(), B * c.FC);
    linear_forward(a.logits.data(), a.fr.data(), m.W4.data, m.b4.data, B, c.FC, c.V);
    return cross_entropy_forward(a.probs.data(), nullptr, a.logits.data(), y, nullptr, B, c.V, -1, 0.0f);
}

// The same arrows in reverse; gradients added into m.params.grad (zero it first).
inline void cnn_backward(CNN& m, CNNActs& a, const float* x, const int* y, int B) {
    const CNNConfig& c = m.cfg;
    const int H = c.H, H2 = c.H2(), n1 = B * c.C1 * H * H, n2 = B * c.C2 * H2 * H2;
    for (Buf* b : {&a.dlogits, &a.dfr, &a.df, &a.dp2, &a.dr2, &a.dc2, &a.dp1, &a.dr1, &a.dc1})
        std::fill(b->begin(), b->end(), 0.0f);
    cross_entropy_backward(a.dlogits.data(), a.probs.data(), y, nullptr, B, c.V, -1, 0.0f, 1.0f);
    linear_backward(a.dfr.data(), m.W4.grad, m.b4.grad, a.dlogits.data(), a.fr.data(), m.W4.data, B, c.FC, c.V);
    relu_backward(a.df.data(), a.dfr.data(), a.f.data(), B * c.FC);
    linear_backward(a.dp2.data(), m.W3.grad, m.b3.grad, a.df.data(), a.p2.data(), m.W3.data, B, c.flat(), c.FC);
    maxpool2d_backward(a.dr2.data(), a.dp2.data(), a.a2.data(), B, c.C2, H2, H2, 2, 2);
    relu_backward(a.dc2.data(), a.dr2.data(), a.c2.data(), n2);
    conv2d_backward(a.dp1.data(), m.W2.grad, m.b2.grad, a.dc2.data(), a.p1.data(), m.W2.data, a.cols.data(), B, c.C1,
                    H2, H2, c.C2, 3, 3, 1, 1);
    maxpool2d_backward(a.dr1.data(), a.dp1.data(), a.a1.data(), B, c.C1, H, H, 2, 2);
    relu_backward(a.dc1.data(), a.dr1.data(), a.c1.data(), n1);
    conv2d_backward(nullptr, m.W1.grad, m.b1.grad, a.dc1.data(), x, m.W1.data, a.cols.data(), B, 1, H, H, c.C1, 3, 3,
                    1, 1);
}

}  // namespace ch08
