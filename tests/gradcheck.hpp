// gradcheck.hpp — finite-difference gradient checks, shared by every test suite.
//
// How a check works (genann / ggml style):
//   1. Fill inputs and parameters with deterministic random values.
//   2. Define a scalar loss L = Σ out ⊙ R, with R a fixed random "upstream gradient"
//      (summed in double, so the sum itself adds no rounding worth mentioning).
//   3. Run backward with dout = R to get the analytic gradient dL/dx.
//   4. For each x_i: numeric = (L(x_i + ε) − L(x_i − ε)) / 2ε  (central differences).
//   5. Require |numeric − analytic| ≤ atol + rtol·max(|numeric|, |analytic|) for every i,
//      and require the analytic gradient not to be all zeros (a backward that forgot to
//      write anything must not pass trivially).
#pragma once
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <string>

#include "common/buffer.hpp"
#include "common/rng.hpp"

namespace attn::testing {

inline void fill_uniform(float* x, size_t n, Rng& rng, float lo = -1.0f, float hi = 1.0f) {
    for (size_t i = 0; i < n; i++) x[i] = rng.uniform(lo, hi);
}
inline Buf random_buf(size_t n, Rng& rng, float lo = -1.0f, float hi = 1.0f) {
    Buf b(n);
    fill_uniform(b.data(), n, rng, lo, hi);
    return b;
}
// Σ out ⊙ R in double
inline double dot_double(const float* out, const float* R, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)out[i] * (double)R[i];
    return s;
}

struct GradCheckOptions {
    double eps = 1e-2;   // float forward passes: a larger ε keeps rounding noise (~1e-7/ε) small
    double atol = 2e-3;
    double rtol = 2e-2;
    size_t max_checks = 0;      // 0: check every element; otherwise a deterministic stride through x
    bool allow_zero = false;    // set only when a zero gradient is the right answer
};

// loss(): runs the forward pass on the current x and returns the scalar loss.
// dx: the analytic gradient of the loss w.r.t. x (computed beforehand, for the unperturbed x).
inline void check_gradient(const std::string& name, const std::function<double()>& loss, float* x,
                           const float* dx, size_t n, GradCheckOptions opt = {}) {
    INFO("gradient check: " << name);
    double max_abs_grad = 0;
    for (size_t i = 0; i < n; i++) max_abs_grad = std::fmax(max_abs_grad, std::fabs(dx[i]));
    if (!opt.allow_zero) REQUIRE_MESSAGE(max_abs_grad > 1e-6, name << ": analytic gradient is all zeros");

    size_t stride = (opt.max_checks && n > opt.max_checks) ? n / opt.max_checks : 1;
    int failures = 0;
    double worst = 0;
    for (size_t i = 0; i < n; i += stride) {
        float saved = x[i];
        x[i] = (float)(saved + opt.eps);
        double lp = loss();
        x[i] = (float)(saved - opt.eps);
        double lm = loss();
        x[i] = saved;
        // use the actually representable step, not the nominal one
        double h = (double)(float)(saved + opt.eps) - (double)(float)(saved - opt.eps);
        double numeric = (lp - lm) / h;
        double analytic = dx[i];
        double err = std::fabs(numeric - analytic);
        double allowed = opt.atol + opt.rtol * std::fmax(std::fabs(numeric), std::fabs(analytic));
        worst = std::fmax(worst, err / allowed);
        if (err > allowed && failures++ < 5)
            FAIL_CHECK(name << "[" << i << "]: numeric " << numeric << " vs analytic " << analytic);
    }
    CHECK_MESSAGE(failures == 0, name << ": " << failures << " elements outside tolerance (worst err/allowed "
                                      << worst << ")");
}

}  // namespace attn::testing
