// batchnorm2d.cpp — batch normalisation forward (training and evaluation) and backward; the
// equations are in batchnorm2d.hpp.
#include "common/nn/batchnorm2d.hpp"

#include <algorithm>
#include <cmath>

#include "common/core/select.hpp"  // keep_or_zero
#include "common/core/thread_pool.hpp"
#include "common/nn/channel_sums.hpp"  // channel_sums, channel_group, channels_chunk, channel_columns

namespace attn {

// The sums below are in double, G channels side by side (channel_sums.hpp says why).
constexpr int kG = kChannelGroup;
using namespace lanes;  // G channels in the lanes of a vector: vec, Doubles, widen, channel_columns

// v[g] = Σ_{b,p} (x[b, c+g, p] − m[g])² for g < G
template <int G>
static void channel_square_sums(double* v, const float* inp, const float* m, int c, int B, int C, int HW) {
    if constexpr (G >= 4) {  // lanes (channel_sums.hpp): the same float difference, the same double chain
        const vec<G> mv = kernels::loadv<G>(m);
        Doubles<G> acc;
        channel_columns<G>([&](const vec<G>& x) {
            const Doubles<G> d = widen<G>(x - mv);
            acc.lo += d.lo * d.lo, acc.hi += d.hi * d.hi;
        }, inp, c, B, C, HW);
        store<G>(v, acc);
        return;
    }
    for (int g = 0; g < G; g++) v[g] = 0.0;
    for (int b = 0; b < B; b++) {
        const float* x = inp + ((size_t)b * C + c) * HW;
        for (int p = 0; p < HW; p++)
            for (int g = 0; g < G; g++) {
                const float d = x[(size_t)g * HW + p] - m[g];
                v[g] += (double)d * d;
            }
    }
}
// sd[g] = Σ dout, sdx[g] = Σ dout · x̂ over channel c+g, for g < G. With keep (the relu's output, or
// nullptr), dout is first made dout ⊙ [keep > 0] in place, image by image (each image's rows are
// then read again from the cache): relu_backward's numbers, in its own buffer.
template <int G>
static void channel_grad_sums(double* sd, double* sdx, float* dout, const float* keep, const float* inp,
                              const float* m, const float* r, int c, int B, int C, int HW) {
    auto relu_mask = [&](int b) {  // 0 + g · [keep > 0], as relu_backward into a cleared buffer
        if (!keep) return;
        const size_t at = ((size_t)b * C + c) * HW;
        for (size_t i = at; i < at + (size_t)G * HW; i++) dout[i] = 0.0f + keep_or_zero(keep[i] > 0.0f, dout[i]);
    };
    if constexpr (G >= 4) {  // lanes, as channel_square_sums
        const vec<G> mv = kernels::loadv<G>(m), rv = kernels::loadv<G>(r);
        Doubles<G> acc_d, acc_dx;
        for (int b = 0; b < B; b++) {
            relu_mask(b);
            const size_t at = (size_t)b * C * HW;  // image b (channel_columns of a batch of one)
            channel_columns<G>([&](const vec<G>& dv, const vec<G>& x) {
                const Doubles<G> d = widen<G>(dv), xh = widen<G>((x - mv) * rv);
                acc_d.lo += d.lo, acc_d.hi += d.hi;
                acc_dx.lo += d.lo * xh.lo, acc_dx.hi += d.hi * xh.hi;
            }, dout + at, inp + at, c, 1, C, HW);
        }
        store<G>(sd, acc_d), store<G>(sdx, acc_dx);
        return;
    }
    for (int g = 0; g < G; g++) sd[g] = 0.0, sdx[g] = 0.0;
    for (int b = 0; b < B; b++) {
        relu_mask(b);
        const float* x = inp + ((size_t)b * C + c) * HW;
        const float* d = dout + ((size_t)b * C + c) * HW;
        for (int p = 0; p < HW; p++)
            for (int g = 0; g < G; g++) {
                const float dv = d[(size_t)g * HW + p];
                sd[g] += dv;
                sdx[g] += (double)dv * ((x[(size_t)g * HW + p] - m[g]) * r[g]);
            }
    }
}

// pass 3 of channel c: out = x·scale + shift, then (Relu) max(0, out): relu_forward's x > 0 ? x : 0
template <bool Relu>
static void normalise_channel(float* out, const float* inp, float scale, float shift, int c, int B, int C, int HW) {
    for (int b = 0; b < B; b++) {
        const float* x = inp + ((size_t)b * C + c) * HW;
        float* o = out + ((size_t)b * C + c) * HW;
        for (int p = 0; p < HW; p++) {
            const float y = x[p] * scale + shift;
            o[p] = Relu ? (y > 0.0f ? y : 0.0f) : y;
        }
    }
}

template <bool Relu>
static void forward_train(float* out, float* mean, float* rstd, float* running_mean, float* running_var,
                          const float* inp, const float* gamma, const float* beta, int B, int C, int HW,
                          float momentum, float eps) {
    const double N = (double)B * HW;
    parallel_for(C, [&](int c0, int c1) {
        for (int c = c0; c < c1;) {
            const int G = channel_group(c, c1);  // G channels at a time
            // pass 1: μ_c = (1/N) Σ_{b,p} x      (sums in double: N is up to 10⁵ values)
            double s[kG], v[kG];
            float m[kG];
            channel_sums(G, s, inp, c, B, C, HW);
            for (int g = 0; g < G; g++) m[g] = (float)(s[g] / N);
            // pass 2: σ²_c = (1/N) Σ (x − μ)²   (two passes, not E[x²] − μ², which cancels badly)
            with_group(G, [&](auto g) { channel_square_sums<decltype(g)::value>(v, inp, m, c, B, C, HW); });
            for (int g = 0; g < G; g++, c++) {
                const float var = (float)(v[g] / N), r = 1.0f / std::sqrt(var + eps);
                // pass 3: out = γ (x − μ) r + β  =  x·(γr) + (β − μγr)
                const float gm = gamma ? gamma[c] : 1.0f, scale = gm * r;
                const float shift = (beta ? beta[c] : 0.0f) - m[g] * scale;
                normalise_channel<Relu>(out, inp, scale, shift, c, B, C, HW);
                mean[c] = m[g], rstd[c] = r;
                if (running_mean) running_mean[c] = (1.0f - momentum) * running_mean[c] + momentum * m[g];
                if (running_var)
                    running_var[c] =
                        (1.0f - momentum) * running_var[c] + momentum * (float)(v[g] / std::max(N - 1.0, 1.0));
            }
        }
    }, channels_chunk(B, HW));
}

void batchnorm2d_forward_train(float* out, float* mean, float* rstd, float* running_mean, float* running_var,
                               const float* inp, const float* gamma, const float* beta, int B, int C, int HW,
                               float momentum, float eps) {
    forward_train<false>(out, mean, rstd, running_mean, running_var, inp, gamma, beta, B, C, HW, momentum, eps);
}
void batchnorm2d_relu_forward_train(float* out, float* mean, float* rstd, float* running_mean, float* running_var,
                                    const float* inp, const float* gamma, const float* beta, int B, int C, int HW,
                                    float momentum, float eps) {
    forward_train<true>(out, mean, rstd, running_mean, running_var, inp, gamma, beta, B, C, HW, momentum, eps);
}

template <bool Relu>
static void forward_eval(float* out, const float* inp, const float* gamma, const float* beta,
                         const float* running_mean, const float* running_var, int B, int C, int HW, float eps) {
    parallel_for(C, [&](int c0, int c1) {
        for (int c = c0; c < c1; c++) {
            const float r = 1.0f / std::sqrt(running_var[c] + eps), g = gamma ? gamma[c] : 1.0f;
            const float scale = g * r, shift = (beta ? beta[c] : 0.0f) - running_mean[c] * scale;
            normalise_channel<Relu>(out, inp, scale, shift, c, B, C, HW);
        }
    }, channels_chunk(B, HW));
}
void batchnorm2d_forward_eval(float* out, const float* inp, const float* gamma, const float* beta,
                              const float* running_mean, const float* running_var, int B, int C, int HW, float eps) {
    forward_eval<false>(out, inp, gamma, beta, running_mean, running_var, B, C, HW, eps);
}
void batchnorm2d_relu_forward_eval(float* out, const float* inp, const float* gamma, const float* beta,
                                   const float* running_mean, const float* running_var, int B, int C, int HW,
                                   float eps) {
    forward_eval<true>(out, inp, gamma, beta, running_mean, running_var, B, C, HW, eps);
}

// forward: out = γ x̂ + β, x̂ = (x − μ) r, with μ and r functions of every x of the channel.
//   dβ_c += Σ dout          dγ_c += Σ dout · x̂          dx̂ = γ_c · dout
//   As layer norm's, over the channel's N values instead of a row's C (x̂ sums to 0, x̂² to N):
//   dx += r · ( dx̂ − mean(dx̂) − x̂ · mean(dx̂ ⊙ x̂) )
// Both backward passes; keep: the relu's output (batchnorm2d_relu_backward: dout is masked in place in
// pass 1, which pass 2 then reads), or nullptr (dout only read).
static void backward(float* dinp, float* dgamma, float* dbeta, float* dout, const float* keep,
                     const float* inp, const float* gamma, const float* mean, const float* rstd, int B, int C, int HW,
                     bool accumulate) {
    const double N = (double)B * HW;
    parallel_for(C, [&](int c0, int c1) {
        for (int c = c0; c < c1;) {
            // pass 1: the channel's sums Σ dout and Σ dout · x̂ (kG channels at a time, as the forward)
            const int G = channel_group(c, c1);
            double sd[kG], sdx[kG];
            const float *mc = mean + c, *rc = rstd + c;
            with_group(G, [&](auto g) {
                channel_grad_sums<decltype(g)::value>(sd, sdx, dout, keep, inp, mc, rc, c, B, C, HW);
            });
            for (int k = 0; k < G; k++, c++) {
                const float m = mean[c], r = rstd[c], g = gamma ? gamma[c] : 1.0f;
                const double sum_d = sd[k], sum_dx = sdx[k];
                if (dbeta) dbeta[c] += (float)sum_d;
                if (dgamma) dgamma[c] += (float)sum_dx;
                if (!dinp) continue;
                // pass 2: dx = γ r ( dout − mean(dout) − x̂ · mean(dout ⊙ x̂) )   (γ taken out of dx̂)
                const float md = (float)(sum_d / N), mdx = (float)(sum_dx / N), gr = g * r;
                for (int b = 0; b < B; b++) {
                    const float* x = inp + ((size_t)b * C + c) * HW;
                    const float* d = dout + ((size_t)b * C + c) * HW;
                    float* dx = dinp + ((size_t)b * C + c) * HW;
                    if (accumulate)
                        for (int p = 0; p < HW; p++) dx[p] += gr * (d[p] - md - (x[p] - m) * r * mdx);
                    else  // 0 + …: the bits of += into a cleared dx
                        for (int p = 0; p < HW; p++) dx[p] = 0.0f + gr * (d[p] - md - (x[p] - m) * r * mdx);
                }
            }
        }
    }, channels_chunk(B, HW));
}

void batchnorm2d_backward(float* dinp, float* dgamma, float* dbeta, const float* dout, const float* inp,
                          const float* gamma, const float* mean, const float* rstd, int B, int C, int HW,
                          bool accumulate) {
    // (without keep, backward only reads dout)
    backward(dinp, dgamma, dbeta, const_cast<float*>(dout), nullptr, inp, gamma, mean, rstd, B, C, HW, accumulate);
}
void batchnorm2d_relu_backward(float* dinp, float* dgamma, float* dbeta, float* dout, const float* out,
                               const float* inp, const float* gamma, const float* mean, const float* rstd, int B,
                               int C, int HW, bool accumulate) {
    backward(dinp, dgamma, dbeta, dout, out, inp, gamma, mean, rstd, B, C, HW, accumulate);
}

}  // namespace attn
