// batchnorm2d.cpp — batch normalisation forward (training and evaluation) and backward; the
// equations are in batchnorm2d.hpp.
#include "common/nn/batchnorm2d.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "common/core/select.hpp"  // keep_or_zero
#include "common/core/thread_pool.hpp"
#include "common/nn/channel_sums.hpp"  // channel_sums, groups_by_image, channels_chunk, channel_columns

namespace attn {

// The sums below are in double, G channels side by side, and each thread takes its channels image
// by image (channel_sums.hpp says why).
using namespace lanes;  // G channels in the lanes of a vector: vec, Doubles, widen, channel_columns

// v[g] += Σ_p (x[g·HW + p] − m[g])² for g < G: one image's terms (x: channel c of the image)
template <int G>
static void channel_square_sums(double* v, const float* x, const float* m, int HW) {
    if constexpr (G >= 4) {  // lanes (channel_sums.hpp): the same float difference, the same double chain
        const vec<G> mv = kernels::loadv<G>(m);
        Doubles<G> acc = load<G>(v);
        channel_columns<G>([&](const vec<G>& xv) {
            const Doubles<G> d = widen<G>(xv - mv);
            acc.lo += d.lo * d.lo, acc.hi += d.hi * d.hi;
        }, x, HW);
        store<G>(v, acc);
        return;
    }
    for (int p = 0; p < HW; p++)
        for (int g = 0; g < G; g++) {
            const float d = x[(size_t)g * HW + p] - m[g];
            v[g] += (double)d * d;
        }
}
// sd[g] += Σ_p dout, sdx[g] += Σ_p dout · x̂ over one image's channels c+g, g < G (dout, keep, x:
// channel c of the image). With keep (the relu's output, or nullptr), dout is first made
// dout ⊙ [keep > 0] in place (then read again from the cache): relu_backward's numbers, in its own buffer.
template <int G>
static void channel_grad_sums(double* sd, double* sdx, float* dout, const float* keep, const float* x,
                              const float* m, const float* r, int HW) {
    if (keep)  // 0 + g · [keep > 0], as relu_backward into a cleared buffer
        for (size_t i = 0; i < (size_t)G * HW; i++) dout[i] = 0.0f + keep_or_zero(keep[i] > 0.0f, dout[i]);
    if constexpr (G >= 4) {  // lanes, as channel_square_sums
        const vec<G> mv = kernels::loadv<G>(m), rv = kernels::loadv<G>(r);
        Doubles<G> acc_d = load<G>(sd), acc_dx = load<G>(sdx);
        channel_columns<G>([&](const vec<G>& dv, const vec<G>& xv) {
            const Doubles<G> d = widen<G>(dv), xh = widen<G>((xv - mv) * rv);
            acc_d.lo += d.lo, acc_d.hi += d.hi;
            acc_dx.lo += d.lo * xh.lo, acc_dx.hi += d.hi * xh.hi;
        }, dout, x, HW);
        store<G>(sd, acc_d), store<G>(sdx, acc_dx);
        return;
    }
    for (int p = 0; p < HW; p++)
        for (int g = 0; g < G; g++) {
            const float dv = dout[(size_t)g * HW + p];
            sd[g] += dv;
            sdx[g] += (double)dv * ((x[(size_t)g * HW + p] - m[g]) * r[g]);
        }
}

// out = x·scale[c] + shift[c] over channels [c0, c1), image by image; (Relu) then max(0, out):
// relu_forward's x > 0 ? x : 0
template <bool Relu>
static void normalise(float* out, const float* inp, const float* scale, const float* shift, int c0, int c1,
                      int B, int C, int HW) {
    for (int b = 0; b < B; b++)
        for (int c = c0; c < c1; c++) {
            const size_t at = ((size_t)b * C + c) * HW;
            const float* x = inp + at;
            float* o = out + at;
            const float sc = scale[c - c0], sh = shift[c - c0];
            for (int p = 0; p < HW; p++) {
                const float y = x[p] * sc + sh;
                o[p] = Relu ? (y > 0.0f ? y : 0.0f) : y;
            }
        }
}

template <bool Relu>
static void forward_train(float* out, float* mean, float* rstd, float* running_mean, float* running_var,
                          const float* inp, const float* gamma, const float* beta, int B, int C, int HW,
                          float momentum, float eps) {
    const double N = (double)B * HW;
    parallel_for(C, [&](int c0, int c1) {  // its channels [c0, c1), image by image (channel_sums.hpp)
        const int n = c1 - c0;
        std::vector<double> s(n, 0.0), v(n, 0.0);
        std::vector<float> m(n), scale(n), shift(n);
        auto at = [&](int b, int c) { return ((size_t)b * C + c) * HW; };
        // pass 1: μ_c = (1/N) Σ_{b,p} x      (sums in double: N is up to 10⁵ values)
        groups_by_image(c0, c1, B, [&](auto g, int c, int b) {
            channel_sums<decltype(g)::value>(&s[c - c0], inp + at(b, c), HW);
        });
        for (int k = 0; k < n; k++) m[k] = (float)(s[k] / N);
        // pass 2: σ²_c = (1/N) Σ (x − μ)²   (two passes, not E[x²] − μ², which cancels badly)
        groups_by_image(c0, c1, B, [&](auto g, int c, int b) {
            channel_square_sums<decltype(g)::value>(&v[c - c0], inp + at(b, c), &m[c - c0], HW);
        });
        for (int c = c0; c < c1; c++) {
            const int k = c - c0;
            const float var = (float)(v[k] / N), r = 1.0f / std::sqrt(var + eps);
            // out = γ (x − μ) r + β  =  x·(γr) + (β − μγr)
            const float gm = gamma ? gamma[c] : 1.0f;
            scale[k] = gm * r, shift[k] = (beta ? beta[c] : 0.0f) - m[k] * scale[k];
            mean[c] = m[k], rstd[c] = r;
            if (running_mean) running_mean[c] = (1.0f - momentum) * running_mean[c] + momentum * m[k];
            if (running_var)
                running_var[c] =
                    (1.0f - momentum) * running_var[c] + momentum * (float)(v[k] / std::max(N - 1.0, 1.0));
        }
        // pass 3
        normalise<Relu>(out, inp, scale.data(), shift.data(), c0, c1, B, C, HW);
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
        std::vector<float> scale(c1 - c0), shift(c1 - c0);
        for (int c = c0; c < c1; c++) {
            const float r = 1.0f / std::sqrt(running_var[c] + eps), g = gamma ? gamma[c] : 1.0f;
            scale[c - c0] = g * r, shift[c - c0] = (beta ? beta[c] : 0.0f) - running_mean[c] * scale[c - c0];
        }
        normalise<Relu>(out, inp, scale.data(), shift.data(), c0, c1, B, C, HW);
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
    parallel_for(C, [&](int c0, int c1) {  // its channels [c0, c1), image by image (channel_sums.hpp)
        const int n = c1 - c0;
        std::vector<double> sd(n, 0.0), sdx(n, 0.0);
        auto at = [&](int b, int c) { return ((size_t)b * C + c) * HW; };
        // pass 1: the channels' sums Σ dout and Σ dout · x̂ (G channels at a time, as the forward)
        groups_by_image(c0, c1, B, [&](auto g, int c, int b) {
            channel_grad_sums<decltype(g)::value>(&sd[c - c0], &sdx[c - c0], dout + at(b, c),
                                                  keep ? keep + at(b, c) : nullptr, inp + at(b, c), mean + c,
                                                  rstd + c, HW);
        });
        for (int c = c0; c < c1; c++) {
            if (dbeta) dbeta[c] += (float)sd[c - c0];
            if (dgamma) dgamma[c] += (float)sdx[c - c0];
        }
        if (!dinp) return;
        // pass 2: dx = γ r ( dout − mean(dout) − x̂ · mean(dout ⊙ x̂) )   (γ taken out of dx̂); the two
        // means once per channel, not once per image
        std::vector<float> mean_d(n), mean_dx(n);
        for (int k = 0; k < n; k++) mean_d[k] = (float)(sd[k] / N), mean_dx[k] = (float)(sdx[k] / N);
        for (int b = 0; b < B; b++)
            for (int c = c0; c < c1; c++) {
                const float m = mean[c], r = rstd[c], gr = (gamma ? gamma[c] : 1.0f) * r;
                const float md = mean_d[c - c0], mdx = mean_dx[c - c0];
                const float* x = inp + at(b, c);
                const float* d = dout + at(b, c);
                float* dx = dinp + at(b, c);
                if (accumulate)
                    for (int p = 0; p < HW; p++) dx[p] += gr * (d[p] - md - (x[p] - m) * r * mdx);
                else  // 0 + …: the bits of += into a cleared dx
                    for (int p = 0; p < HW; p++) dx[p] = 0.0f + gr * (d[p] - md - (x[p] - m) * r * mdx);
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
