#include "common/nn/schedule.hpp"

#include <algorithm>
#include <cmath>

namespace attn {

static const double kPi = 3.14159265358979323846;

float StepLR::lr(long step) const {
    long k = every > 0 ? step / every : 0;
    return (float)((double)base_lr * std::pow((double)gamma, (double)k));  // base * gamma^floor(s/every)
}

// min + (base - min) * (1 + cos(pi * p)) / 2, p in [0, 1]
static float cosine_between(double base, double min, double p) {
    p = std::clamp(p, 0.0, 1.0);
    return (float)(min + (base - min) * 0.5 * (1.0 + std::cos(kPi * p)));
}

float Cosine::lr(long step) const {
    if (total <= 0) return min_lr;
    return cosine_between(base_lr, min_lr, (double)step / (double)total);
}

float Warmup::lr(long step, float scheduled_lr) const {
    if (step >= warmup) return scheduled_lr;
    return (float)((double)scheduled_lr * (double)(step + 1) / (double)warmup);  // lr * (s+1)/warmup
}

float WarmupCosine::lr(long step) const {
    if (step < warmup) return (float)((double)base_lr * (double)(step + 1) / (double)warmup);
    long span = total - warmup;
    if (span <= 0) return min_lr;
    return cosine_between(base_lr, min_lr, (double)(step - warmup) / (double)span);
}

float Noam::lr(long step) const {
    double n = (double)(step + 1);
    double w = (double)std::max(warmup, 1L);
    // factor * d_model^-0.5 * min(n^-0.5, n * warmup^-1.5)
    return (float)(factor / std::sqrt((double)d_model) *
                   std::min(1.0 / std::sqrt(n), n / (w * std::sqrt(w))));
}

bool ReduceOnPlateau::observe(float metric) {
    if (!has_best) {  // start from the worst possible value, so any finite metric improves on it
        best = mode == Min ? INFINITY : -INFINITY;
        has_best = true;
    }
    // A NaN metric compares false, so it counts as "not better", as in PyTorch.
    bool better = mode == Min ? metric < best * (1.0f - threshold) : metric > best * (1.0f + threshold);
    if (better) {
        best = metric, bad = 0;
        return false;
    }
    if (++bad <= patience) return false;
    bad = 0;
    float reduced = std::max(lr * factor, min_lr);
    // PyTorch ignores reductions smaller than 1e-8 (already at min_lr): no change, report false.
    if (lr - reduced <= 1e-8f) return false;
    lr = reduced;
    return true;
}

}  // namespace attn
