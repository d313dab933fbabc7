// gradcheck.hpp (tests) — finite-difference gradient checks as doctest assertions.
//
// How a check works (genann / ggml style):
//   1. Fill inputs and parameters with deterministic random values.
//   2. Define a scalar loss L = Σ out ⊙ R, with R a fixed random "upstream gradient"
//      (summed in double, so the sum itself adds no rounding worth mentioning).
//   3. Run backward with dout = R to get the analytic gradient dL/dx.
//   4. check_gradient compares it with central differences (common/nn/gradcheck.hpp) and
//      fails when any element is outside atol + rtol·max(|numeric|, |analytic|), or when
//      the analytic gradient is all zeros (a backward that wrote nothing must not pass).
#pragma once
#include <doctest/doctest.h>

#include <functional>
#include <string>

#include "common/core/buffer.hpp"
#include "common/nn/gradcheck.hpp"
#include "common/core/rng.hpp"

namespace attn::testing {

using attn::GradCheckOptions;

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

// loss(): runs the forward pass on the current x and returns the scalar loss.
// dx: the analytic gradient of the loss w.r.t. x (computed beforehand, for the unperturbed x).
inline void check_gradient(const std::string& name, const std::function<double()>& loss, float* x,
                           const float* dx, size_t n, GradCheckOptions opt = {}) {
    INFO("gradient check: " << name);
    GradCheckResult r = gradcheck(loss, x, dx, n, opt);
    if (!opt.allow_zero) REQUIRE_MESSAGE(r.max_abs_grad > 1e-6, name << ": analytic gradient is all zeros");
    CHECK_MESSAGE(r.failed == 0, name << ": " << r.failed << " of " << r.checked
                                      << " elements outside tolerance; worst [" << r.worst_index << "] numeric "
                                      << r.worst_numeric << " vs analytic " << r.worst_analytic
                                      << " (err/allowed " << r.worst_ratio << ")");
}

}  // namespace attn::testing
