// mlp.hpp — chapter 00's model: a two-layer perceptron, forward and backward by hand.
//
//   x (B,D) ─ fc1 ─▶ h1 (B,H) ─ relu ─▶ a1 ─ dropout ─▶ d1 ─ fc2 ─▶ logits (B,V) ─ softmax + CE ─▶ loss
//
// Shapes: B batch, D = 784 input pixels, H hidden units, V = 10 classes.
// Every arrow is a *_forward from common/; mlp_backward walks the same arrows in reverse
// with the matching *_backward, each adding (+=) into gradients that the caller zeroed.
#pragma once
#include <cmath>
#include <vector>

#include "common/nn/activations.hpp"
#include "common/core/buffer.hpp"
#include "common/nn/cross_entropy.hpp"
#include "common/nn/dropout.hpp"
#include "common/nn/init.hpp"
#include "common/core/matmul.hpp"
#include "common/core/params.hpp"
#include "common/core/rng.hpp"
#include "common/core/thread_pool.hpp"

namespace ch00 {
using namespace attn;

struct MLPConfig {
    int D = 784;          // input size (28·28 pixels)
    int H = 1024;         // hidden units
    int V = 10;           // classes
    float dropout = 0.2f; // on the hidden layer, training only
};

struct MLP {
    MLPConfig cfg;
    ParamSet params;  // one buffer for all of them (and one for their gradients)
    Tensor W1;        // (H, D)   fc1.weight
    Tensor b1;        // (H)      fc1.bias
    Tensor W2;        // (V, H)   fc2.weight
    Tensor b2;        // (V)      fc2.bias
};

// PyTorch's default for nn.Linear: U(−1/√fan_in, 1/√fan_in) for weights and biases.
inline void mlp_init(MLP& m, const MLPConfig& cfg, Rng& rng) {
    m.cfg = cfg;
    m.params.add(m.W1, "fc1.weight", {cfg.H, cfg.D});
    m.params.add(m.b1, "fc1.bias", {cfg.H});
    m.params.add(m.W2, "fc2.weight", {cfg.V, cfg.H});
    m.params.add(m.b2, "fc2.bias", {cfg.V});
    m.params.allocate();
    float k1 = 1.0f / std::sqrt((float)cfg.D), k2 = 1.0f / std::sqrt((float)cfg.H);
    init_uniform(m.W1, rng, -k1, k1);
    init_uniform(m.b1, rng, -k1, k1);
    init_uniform(m.W2, rng, -k2, k2);
    init_uniform(m.b2, rng, -k2, k2);
}

// Everything the forward pass keeps for the backward pass, allocated once for a batch size.
struct MLPActs {
    int B = 0;
    bool training = false;      // was dropout on in the forward pass? (the backward must know)
    Buf h1, a1, d1;             // (B,H) pre-activation, after relu, after dropout
    std::vector<uint8_t> mask;  // (B,H) dropout keep-mask
    Buf logits, probs;          // (B,V)
    Buf dlogits, dd1, da1, dh1; // gradients of the same
    void resize(int batch, const MLPConfig& c) {
        B = batch;
        size_t bh = (size_t)batch * c.H, bv = (size_t)batch * c.V;
        h1.resize(bh), a1.resize(bh), d1.resize(bh), mask.resize(bh);
        logits.resize(bv), probs.resize(bv);
        dlogits.resize(bv), dd1.resize(bh), da1.resize(bh), dh1.resize(bh);
    }
};

// x is (B,D), y is (B) labels; training turns dropout on (drawing its mask from rng).
// Returns the mean cross-entropy; acts.probs holds the softmax for accuracy.
inline float mlp_forward(MLP& m, MLPActs& a, const float* x, const int* y, int B, Rng& rng, bool training) {
    // BEGIN SOLUTION
    const MLPConfig& c = m.cfg;
    int n = B * c.H;
    a.training = training;
    linear_forward(a.h1.data(), x, m.W1.data, m.b1.data, B, c.D, c.H);   // h1 = x·W1ᵀ + b1
    relu_forward(a.a1.data(), a.h1.data(), n);                          // a1 = max(0, h1)
    dropout_forward(a.d1.data(), a.mask.data(), a.a1.data(), n, c.dropout, rng, training);  // d1 = a1 ⊙ mask / (1−p)
    linear_forward(a.logits.data(), a.d1.data(), m.W2.data, m.b2.data, B, c.H, c.V);  // logits = d1·W2ᵀ + b2
    return cross_entropy_forward(a.probs.data(), nullptr, a.logits.data(), y, nullptr, B, c.V,
                                 /*ignore_index=*/-1, /*label_smoothing=*/0.0f);     // mean −log p(y)
    // END SOLUTION
}

// The same arrows in reverse. Gradients are added into m.params.grad (zero it first).
inline void mlp_backward(MLP& m, MLPActs& a, const float* x, const int* y, int B) {
    // BEGIN SOLUTION
    const MLPConfig& c = m.cfg;
    int n = B * c.H;
    // the gradients below are added into these buffers: clear them (on every thread: thread_pool.hpp)
    parallel_zero(a.dlogits.data(), (size_t)B * c.V);
    parallel_zero(a.dd1.data(), n), parallel_zero(a.da1.data(), n), parallel_zero(a.dh1.data(), n);
    // loss = mean CE(logits, y)        →  dlogits = (softmax − onehot(y)) / B
    cross_entropy_backward(a.dlogits.data(), a.probs.data(), y, nullptr, B, c.V, -1, 0.0f, 1.0f);
    // logits = d1·W2ᵀ + b2             →  dd1 = dlogits·W2, dW2 = dlogitsᵀ·d1, db2 = Σ dlogits
    linear_backward(a.dd1.data(), m.W2.grad, m.b2.grad, a.dlogits.data(), a.d1.data(), m.W2.data, B, c.H, c.V);
    // d1 = a1 ⊙ mask / (1−p)           →  da1 = dd1 ⊙ mask / (1−p)   (in evaluation d1 = a1: p = 0)
    dropout_backward(a.da1.data(), a.dd1.data(), a.mask.data(), n, a.training ? c.dropout : 0.0f);
    // a1 = max(0, h1)                  →  dh1 = da1 ⊙ [h1 > 0]
    relu_backward(a.dh1.data(), a.da1.data(), a.h1.data(), n);
    // h1 = x·W1ᵀ + b1                  →  dW1 = dh1ᵀ·x, db1 = Σ dh1 (no gradient for the pixels)
    linear_backward(nullptr, m.W1.grad, m.b1.grad, a.dh1.data(), x, m.W1.data, B, c.D, c.H);
    // END SOLUTION
}

}  // namespace ch00
