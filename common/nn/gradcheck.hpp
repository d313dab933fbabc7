// gradcheck.hpp — compare a backward pass with finite differences (the numeric core).
//
// For a scalar loss L(x) and the analytic gradient g = dL/dx from a backward pass:
//     numeric_i = (L(x + ε e_i) − L(x − ε e_i)) / 2ε         (central differences)
//     element i passes when |numeric_i − g_i| ≤ atol + rtol · max(|numeric_i|, |g_i|)
// The loss is returned in double (sum the outputs in double), so only the float forward
// pass adds rounding noise, of order 1e-7/ε: that is why ε is 1e-2 and not 1e-6 here.
// Chapter 00 prints these numbers for every layer; the test suites assert on them
// (tests/gradcheck.hpp) and also refuse an all-zero analytic gradient.
//
// Kinks: max(0, h) has no derivative at 0, and a step of ε can cross it, giving a numeric
// slope that no backward pass should match. loss() may return NaN to say "this perturbation
// crossed a kink": the element is then skipped (and counted), not failed.
#pragma once
#include <cmath>
#include <cstddef>
#include <functional>

namespace attn {

struct GradCheckOptions {
    double eps = 1e-2;
    double atol = 2e-3;
    double rtol = 2e-2;
    size_t max_checks = 0;    // 0: every element; else a deterministic stride through x
    bool allow_zero = false;  // (tests) set only when a zero gradient is the right answer
};

struct GradCheckResult {
    size_t checked = 0, failed = 0, skipped = 0;
    double sq_diff = 0, sq_numeric = 0, sq_analytic = 0;  // for the whole-tensor relative error
    size_t worst_index = 0;
    double worst_ratio = 0;            // max over i of err_i / allowed_i (≤ 1 means all pass)
    double worst_numeric = 0, worst_analytic = 0;
    double max_abs_err = 0, max_abs_grad = 0;
    // ‖numeric − analytic‖ / (‖numeric‖ + ‖analytic‖) over the checked elements
    double rel_error() const {
        double den = std::sqrt(sq_numeric) + std::sqrt(sq_analytic);
        return den > 0 ? std::sqrt(sq_diff) / den : 0.0;
    }
};

inline GradCheckResult gradcheck(const std::function<double()>& loss, float* x, const float* dx, size_t n,
                                 const GradCheckOptions& opt = {}) {
    GradCheckResult r;
    for (size_t i = 0; i < n; i++) r.max_abs_grad = std::fmax(r.max_abs_grad, std::fabs(dx[i]));
    size_t stride = (opt.max_checks && n > opt.max_checks) ? n / opt.max_checks : 1;
    for (size_t i = 0; i < n; i += stride) {
        float saved = x[i];
        float xp = (float)(saved + opt.eps), xm = (float)(saved - opt.eps);
        x[i] = xp;
        double lp = loss();
        x[i] = xm;
        double lm = loss();
        x[i] = saved;
        if (std::isnan(lp) || std::isnan(lm)) {
            r.skipped++;
            continue;
        }
        double numeric = (lp - lm) / ((double)xp - (double)xm);  // the step actually taken
        double err = std::fabs(numeric - dx[i]);
        double allowed = opt.atol + opt.rtol * std::fmax(std::fabs(numeric), std::fabs((double)dx[i]));
        r.checked++;
        r.sq_diff += err * err, r.sq_numeric += numeric * numeric, r.sq_analytic += (double)dx[i] * dx[i];
        if (err > allowed) r.failed++;
        r.max_abs_err = std::fmax(r.max_abs_err, err);
        if (err / allowed > r.worst_ratio) {
            r.worst_ratio = err / allowed;
            r.worst_index = i, r.worst_numeric = numeric, r.worst_analytic = dx[i];
        }
    }
    return r;
}

}  // namespace attn
