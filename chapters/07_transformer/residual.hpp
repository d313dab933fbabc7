// residual.hpp — one sublayer of the transformer wrapped in its residual connection and layer norm,
// split in two halves around the sublayer f (attention or the feed-forward network):
//
//   post-norm (the paper):   in = x             out = LN(x + drop(f(in)))
//   pre-norm (the default):  in = LN(x)         out = x + drop(f(in))
//
//   const float* in = residual_in(r, x, ...);      // the sublayer's input
//   f(in) -> fx                                     // the sublayer itself, the caller's call
//   residual_out(y, r, x, fx, ...);                 // add back, normalise (post)
//
// and the same two halves backwards: residual_out_backward gives ∂L/∂x (the skip path) and ∂L/∂f,
// the sublayer's backward turns ∂L/∂f into ∂L/∂in, and residual_in_backward adds that into ∂L/∂x.
// Chapter 06's encoder layer writes the same steps out inline for its two sublayers; the decoder
// layer has three, so here they are functions.
//
// Shapes: N = B·T rows of width C.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "chapters/06_self_attention/encoder_layer.hpp"
#include "common/core/buffer.hpp"
#include "common/core/params.hpp"
#include "common/core/rng.hpp"
#include "common/nn/dropout.hpp"
#include "common/nn/layernorm.hpp"

namespace ch07 {
using namespace attn;
using ch06::NormPlace;

struct LayerNormParams {
    Tensor g, b;  // (C) gain and bias
};
inline void layernorm_declare(LayerNormParams& ln, ParamSet& ps, const std::string& name, int C) {
    ps.add(ln.g, name + ".weight", {C}), ps.add(ln.b, name + ".bias", {C});
}

// What one wrapped sublayer keeps. Post-norm's mean/rstd belong to LN(x + drop(f)), pre-norm's to LN(x).
struct ResidualCache {
    const float* in = nullptr;  // the sublayer's input: x itself (post) or normed (pre)
    Buf normed, mean, rstd;     // (N,C), (N), (N)
    Buf fd, s;                  // drop(f), x + drop(f)            (N,C)
    std::vector<uint8_t> keep;  // the dropout mask                (N,C)
    Buf ds, din;                // backward scratch                (N,C)
    float p = 0;                // the dropout rate the forward used (0 in eval mode)
    void resize(int N, int C) {
        const size_t n = (size_t)N * C;
        for (Buf* x : {&normed, &fd, &s, &ds, &din}) if (x->size() < n) x->resize(n);
        if (mean.size() < (size_t)N) mean.resize(N), rstd.resize(N);
        if (keep.size() < n) keep.resize(n);
    }
};

// The sublayer's input: x (post-norm) or LN(x) (pre-norm).
inline const float* residual_in(ResidualCache& r, const float* x, const LayerNormParams& ln, NormPlace norm, int N,
                                int C) {
    r.resize(N, C);
    r.in = x;
    if (norm == NormPlace::Pre) {
        layernorm_forward(r.normed.data(), r.mean.data(), r.rstd.data(), x, ln.g.data, ln.b.data, N, C);
        r.in = r.normed.data();
    }
    return r.in;
}

// y = x + drop(fx) (pre-norm) or LN(x + drop(fx)) (post-norm). y may not alias x.
inline void residual_out(float* y, ResidualCache& r, const float* x, const float* fx, const LayerNormParams& ln,
                         NormPlace norm, float p, Rng& rng, bool training, int N, int C) {
    const int n = N * C;
    r.p = training ? p : 0.0f;
    dropout_forward(r.fd.data(), r.keep.data(), fx, n, p, rng, training);  // fd = drop(f)
    for (int i = 0; i < n; i++) r.s[i] = x[i] + r.fd[i];                   // s = x + fd
    if (norm == NormPlace::Pre) std::copy_n(r.s.data(), n, y);
    else layernorm_forward(y, r.mean.data(), r.rstd.data(), r.s.data(), ln.g.data, ln.b.data, N, C);
}

// dx += ∂L/∂x along the skip path; df (N,C) = ∂L/∂fx (overwritten). dy (N,C).
inline void residual_out_backward(float* dx, float* df, ResidualCache& r, LayerNormParams& ln, const float* dy,
                                  NormPlace norm, int N, int C) {
    const int n = N * C;
    // y = s (pre) or LN(s) (post)  →  ds
    if (norm == NormPlace::Pre) std::copy_n(dy, n, r.ds.data());
    else layernorm_backward(r.ds.data(), ln.g.grad, ln.b.grad, dy, r.s.data(), ln.g.data, r.mean.data(),
                            r.rstd.data(), N, C, /*accumulate=*/false);  // ds written, not added into
    for (int i = 0; i < n; i++) dx[i] += r.ds[i];  // s = x + fd  →  dx += ds
    dropout_backward(df, r.ds.data(), r.keep.data(), n, r.p, /*accumulate=*/false);  // fd = drop(f)  →  df
}

// dx += ∂L/∂x through the input half: din (post-norm) or din through LN (pre-norm). din = ∂L/∂in.
inline void residual_in_backward(float* dx, ResidualCache& r, LayerNormParams& ln, const float* din, const float* x,
                                 NormPlace norm, int N, int C) {
    if (norm == NormPlace::Post) {
        for (int i = 0; i < N * C; i++) dx[i] += din[i];
        return;
    }
    layernorm_backward(dx, ln.g.grad, ln.b.grad, din, x, ln.g.data, r.mean.data(), r.rstd.data(), N, C);
}

}  // namespace ch07
