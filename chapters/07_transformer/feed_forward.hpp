// feed_forward.hpp — the position-wise feed-forward network of the decoder layer (Vaswani et al.
// 2017, §3.3): the same two linear layers applied to every position on its own.
//
//   FFN(z) = W2 · relu(W1 z + b1) + b2          C → F → C   (the paper: 512 → 2048 → 512)
//
// Chapter 06's encoder layer has the same network written inline; the decoder layer calls this.
// Shapes: N = B·T rows, C width, F hidden width.
#pragma once
#include <algorithm>
#include <cmath>
#include <string>

#include "common/core/buffer.hpp"
#include "common/core/matmul.hpp"
#include "common/core/params.hpp"
#include "common/core/rng.hpp"
#include "common/nn/activations.hpp"
#include "common/nn/init.hpp"

namespace ch07 {
using namespace attn;

struct FFN {
    int C = 0, F = 0;
    Tensor W1, b1;  // (F,C), (F)
    Tensor W2, b2;  // (C,F), (C)
};
inline void ffn_declare(FFN& f, ParamSet& ps, const std::string& prefix, int C, int F) {
    f.C = C, f.F = F;
    ps.add(f.W1, prefix + "W1", {F, C}), ps.add(f.b1, prefix + "b1", {F});
    ps.add(f.W2, prefix + "W2", {C, F}), ps.add(f.b2, prefix + "b2", {C});
}
inline void ffn_init(FFN& f, Rng& rng) {  // nn.Linear's default: U(±1/√fan_in)
    const float k1 = 1.0f / std::sqrt((float)f.C), k2 = 1.0f / std::sqrt((float)f.F);
    init_uniform(f.W1, rng, -k1, k1), init_uniform(f.b1, rng, -k1, k1);
    init_uniform(f.W2, rng, -k2, k2), init_uniform(f.b2, rng, -k2, k2);
}

struct FFNCache {
    Buf h, hr, dhr, dh;  // W1 z + b1, its relu, and their gradients   (N,F)
    void resize(int N, int F) {
        const size_t n = (size_t)N * F;
        for (Buf* x : {&h, &hr, &dhr, &dh}) if (x->size() < n) x->resize(n);
    }
};

// out (N,C) = FFN(z), z (N,C).
inline void ffn_forward(float* out, FFNCache& c, const FFN& f, const float* z, int N) {
    // BEGIN SOLUTION
    c.resize(N, f.F);
    linear_forward(c.h.data(), z, f.W1.data, f.b1.data, N, f.C, f.F);     // h = z W1ᵀ + b1
    relu_forward(c.hr.data(), c.h.data(), N * f.F);                        // hr = relu(h)
    linear_forward(out, c.hr.data(), f.W2.data, f.b2.data, N, f.F, f.C);  // out = hr W2ᵀ + b2
    // END SOLUTION
}

// dz (N,C) += ∂L/∂z; f's gradients +=. dout (N,C); z the forward's input.
inline void ffn_backward(float* dz, FFN& f, FFNCache& c, const float* dout, const float* z, int N) {
    // BEGIN SOLUTION
    // dhr and dh are written (accumulate = false), not added into: no clearing first
    linear_backward(c.dhr.data(), f.W2.grad, f.b2.grad, dout, c.hr.data(), f.W2.data, N, f.F, f.C, false);
    relu_backward(c.dh.data(), c.dhr.data(), c.h.data(), N * f.F, false);
    linear_backward(dz, f.W1.grad, f.b1.grad, c.dh.data(), z, f.W1.data, N, f.C, f.F);
    // END SOLUTION
}

}  // namespace ch07
