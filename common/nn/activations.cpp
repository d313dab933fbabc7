// activations.cpp — elementwise nonlinearities (see activations.hpp for the equations).
//
// Elementwise loops are split into chunks of the flat index with parallel_for. Each element
// is computed by exactly one thread with the same arithmetic, so the thread count never
// changes a result; small arrays (< kChunk elements) stay on the calling thread.
#include "common/nn/activations.hpp"

#include <algorithm>
#include <cmath>

#include "common/core/select.hpp"
#include "common/core/thread_pool.hpp"
#include "common/core/vmath.hpp"  // vtanh, vsigmoid on VL floats

namespace attn {

using namespace vm;

namespace {
constexpr int kChunk = 1 << 15;  // below this many elements a thread hand-off costs more than it saves
constexpr float kGeluScale = 0.7978845608028654f;  // √(2/π)
constexpr float kGeluCubic = 0.044715f;
}  // namespace

// ---- ReLU -----------------------------------------------------------------------------
// inp, out are (n)
void relu_forward(float* out, const float* inp, int n) {
    parallel_for(n, [&](int i0, int i1) {
        for (int i = i0; i < i1; i++) out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
    }, kChunk);
}
// forward: out = max(0, x)   =>   dout/dx = 1 if x > 0 else 0 (we take 0 at the kink x = 0, as PyTorch)
// g · [x > 0]: keep_or_zero (select.hpp) instead of x > 0 ? g : 0, the same numbers in vectors on AVX2
void relu_backward(float* dinp, const float* dout, const float* inp, int n, bool accumulate) {
    parallel_for(n, [&](int i0, int i1) {
        if (accumulate)
            for (int i = i0; i < i1; i++) dinp[i] += keep_or_zero(inp[i] > 0.0f, dout[i]);
        else  // 0 + g, not g: exactly what += into a cleared buffer gives (a −0 gradient becomes +0)
            for (int i = i0; i < i1; i++) dinp[i] = 0.0f + keep_or_zero(inp[i] > 0.0f, dout[i]);
    }, kChunk);
}

// ---- GELU (tanh approximation, as GPT-2 and PyTorch approximate='tanh') ------------------
// inp, out are (n)
void gelu_forward(float* out, const float* inp, int n) {
    parallel_for(n, [&](int i0, int i1) {
        for (int i = i0; i < i1; i += VL) {  // VL at a time (vmath.hpp)
            const int m = std::min(VL, i1 - i);
            vecf x = load_n(inp + i, m);
            vecf u = kGeluScale * (x + kGeluCubic * x * x * x);    // u = √(2/π)(x + 0.044715 x³)
            store_n(out + i, 0.5f * x * (1.0f + vtanh(u)), m);     // out = ½ x (1 + tanh u)
        }
    }, kChunk);
}
// forward: out = ½ x (1 + tanh u),  u = √(2/π)(x + 0.044715 x³)
//   dout/dx = ½(1 + tanh u) + ½ x (1 − tanh² u) · du/dx,   du/dx = √(2/π)(1 + 3·0.044715 x²)
void gelu_backward(float* dinp, const float* dout, const float* inp, int n) {
    parallel_for(n, [&](int i0, int i1) {
        for (int i = i0; i < i1; i += VL) {
            const int m = std::min(VL, i1 - i);
            vecf x = load_n(inp + i, m);
            vecf u = kGeluScale * (x + kGeluCubic * x * x * x);
            vecf t = vtanh(u);  // the forward's tanh, recomputed
            vecf du_dx = kGeluScale * (1.0f + 3.0f * kGeluCubic * x * x);
            vecf local = 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * du_dx;
            store_n(dinp + i, load_n(dinp + i, m) + local * load_n(dout + i, m), m);
        }
    }, kChunk);
}

// ---- tanh -----------------------------------------------------------------------------
// inp, out are (n)
void tanh_forward(float* out, const float* inp, int n) {
    parallel_for(n, [&](int i0, int i1) {
        for (int i = i0; i < i1; i += VL) {  // VL at a time (vmath.hpp)
            const int m = std::min(VL, i1 - i);
            store_n(out + i, vtanh(load_n(inp + i, m)), m);
        }
    }, kChunk);
}
// forward: out = tanh(x)   =>   dout/dx = 1 − tanh²(x) = 1 − out²  (so we need only the output)
void tanh_backward(float* dinp, const float* dout, const float* out, int n) {
    parallel_for(n, [&](int i0, int i1) {
        for (int i = i0; i < i1; i++) dinp[i] += (1.0f - out[i] * out[i]) * dout[i];
    }, kChunk);
}

// ---- sigmoid --------------------------------------------------------------------------
// inp, out are (n)
void sigmoid_forward(float* out, const float* inp, int n) {
    parallel_for(n, [&](int i0, int i1) {
        // 1 / (1 + e^−x): for x < −89, e^−x = ∞ and the quotient is 0, as it should be
        for (int i = i0; i < i1; i += VL) {
            const int m = std::min(VL, i1 - i);
            store_n(out + i, vsigmoid(load_n(inp + i, m)), m);
        }
    }, kChunk);
}
// forward: out = σ(x)   =>   dout/dx = σ(x)(1 − σ(x)) = out·(1 − out)
void sigmoid_backward(float* dinp, const float* dout, const float* out, int n) {
    parallel_for(n, [&](int i0, int i1) {
        for (int i = i0; i < i1; i++) dinp[i] += out[i] * (1.0f - out[i]) * dout[i];
    }, kChunk);
}

}  // namespace attn
