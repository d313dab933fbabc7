// squeeze_excitation.hpp — the squeeze-and-excitation block (Hu, Shen, Sun, "Squeeze-and-Excitation
// Networks", CVPR 2018): the feature map re-weights its own channels, from a summary of itself.
//
//   x (B,C,HW) ─ squeeze: mean over HW ─▶ s (B,C)                           paper eq. 2
//              ─ excitation: e = σ(W2 · relu(W1 s + b1) + b2) ─▶ e (B,C)    eq. 3 (r = C / Cr)
//              ─ scale: out[b,c,p] = e[b,c] · x[b,c,p]                        eq. 4
//
// Every channel c of image b is multiplied by one number e[b,c] in (0,1), computed from the whole
// image: the attention is over CHANNELS ("which features matter for this image"), not positions.
// The bottleneck Cr = C / r (the paper's reduction ratio r = 16) keeps it cheap: 2·C·Cr weights.
//
// Shapes: B batch, C channels, Cr the bottleneck width, HW pixels per channel (H·W).
#pragma once
#include <algorithm>

#include "common/core/buffer.hpp"
#include "common/core/matmul.hpp"
#include "common/core/reduce.hpp"
#include "common/core/thread_pool.hpp"
#include "common/nn/activations.hpp"

namespace ch11 {
using namespace attn;

// (b,c) planes per thread chunk: a plane of a late, 7×7 stage is too little work for a thread alone
inline int planes_chunk(int HW) { return std::max(1, 8192 / std::max(HW, 1)); }

struct SEActs {
    Buf s;      // (B,C)  squeeze: the channel means
    Buf h, z;   // (B,Cr) W1 s + b1, and relu of it
    Buf u, e;   // (B,C)  W2 z + b2, and the excitation σ(u)
    Buf ds, dh, dz, du, de;
    void resize(int B, int C, int Cr) {
        for (Buf* b : {&s, &u, &e, &ds, &du, &de}) b->resize((size_t)B * C);
        for (Buf* b : {&h, &z, &dh, &dz}) b->resize((size_t)B * Cr);
    }
};

// x (B,C,HW) -> out (B,C,HW); W1 (Cr,C), b1 (Cr), W2 (C,Cr), b2 (C).
inline void se_forward(float* out, SEActs& a, const float* x, const float* W1, const float* b1, const float* W2,
                       const float* b2, int B, int C, int Cr, int HW) {
    // BEGIN SOLUTION
    // squeeze:  s[b,c] = (1/HW) Σ_p x[b,c,p]
    parallel_for(B * C, [&](int i0, int i1) {  // each (b,c) plane is one thread's: any thread count
        for (int bc = i0; bc < i1; bc++)           // gives the same bits (reduce.hpp: 16 chains at once)
            a.s[bc] = sum_lanes(x + (size_t)bc * HW, HW) / HW;
    }, planes_chunk(HW));
    // excitation:  e = σ(W2 · relu(W1 s + b1) + b2)
    linear_forward(a.h.data(), a.s.data(), W1, b1, B, C, Cr);
    relu_forward(a.z.data(), a.h.data(), B * Cr);
    linear_forward(a.u.data(), a.z.data(), W2, b2, B, Cr, C);
    sigmoid_forward(a.e.data(), a.u.data(), B * C);
    // scale:  out[b,c,p] = e[b,c] · x[b,c,p]
    parallel_for(B * C, [&](int i0, int i1) {
        for (int bc = i0; bc < i1; bc++) {
            const float* xp = x + (size_t)bc * HW;
            float* op = out + (size_t)bc * HW;
            const float e = a.e[bc];
            for (int p = 0; p < HW; p++) op[p] = e * xp[p];
        }
    }, planes_chunk(HW));
    // END SOLUTION
}

// dx (B,C,HW) = ∂L/∂x, written (x reaches the loss only through this block: no clearing first);
// dW1, db1, dW2, db2 += gradients; dout (B,C,HW); x and a from the forward.
inline void se_backward(float* dx, float* dW1, float* db1, float* dW2, float* db2, SEActs& a, const float* dout,
                        const float* x, const float* W1, const float* W2, int B, int C, int Cr, int HW) {
    // BEGIN SOLUTION
    std::fill(a.ds.begin(), a.ds.end(), 0.0f), std::fill(a.dh.begin(), a.dh.end(), 0.0f);
    std::fill(a.dz.begin(), a.dz.end(), 0.0f), std::fill(a.du.begin(), a.du.end(), 0.0f);
    // out = e · x   →   de[b,c] = Σ_p dout[b,c,p] · x[b,c,p]
    parallel_for(B * C, [&](int i0, int i1) {
        for (int bc = i0; bc < i1; bc++) {
            const float* xp = x + (size_t)bc * HW;
            const float* gp = dout + (size_t)bc * HW;
            a.de[bc] = dot_lanes(gp, xp, HW);
        }
    }, planes_chunk(HW));
    // e = σ(u) → du;  u = z W2ᵀ + b2 → dz, dW2, db2;  z = relu(h) → dh;  h = s W1ᵀ + b1 → ds, dW1, db1
    sigmoid_backward(a.du.data(), a.de.data(), a.e.data(), B * C);
    linear_backward(a.dz.data(), dW2, db2, a.du.data(), a.z.data(), W2, B, Cr, C);
    relu_backward(a.dh.data(), a.dz.data(), a.h.data(), B * Cr);
    linear_backward(a.ds.data(), dW1, db1, a.dh.data(), a.s.data(), W1, B, C, Cr);
    // both paths into x in one pass: out = e · x  →  e · dout;  s = mean_p x  →  ds[b,c] / HW
    //   dx[b,c,p] = e[b,c] · dout[b,c,p] + ds[b,c] / HW     (0 + …: the bits of adding into a cleared dx)
    parallel_for(B * C, [&](int i0, int i1) {
        for (int bc = i0; bc < i1; bc++) {
            const float* gp = dout + (size_t)bc * HW;
            float* dxp = dx + (size_t)bc * HW;
            const float e = a.e[bc], g = a.ds[bc] / HW;
            for (int p = 0; p < HW; p++) dxp[p] = (0.0f + e * gp[p]) + g;
        }
    }, planes_chunk(HW));
    // END SOLUTION
}

}  // namespace ch11
