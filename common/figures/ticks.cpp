#include "common/figures/ticks.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace attn {

double nice_step(double lo, double hi, int target) {
    if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return 1;
    double raw = (hi - lo) / std::max(target, 1);
    double mag = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 5.0})  // the smallest of 1, 2, 5, 10 × mag that is >= raw
        if (m * mag >= raw * (1 - 1e-9)) return m * mag;
    return 10 * mag;
}

// The multiples of step in [lo, hi] (with a little slack for rounding).
static std::vector<double> multiples(double lo, double hi, double step) {
    std::vector<double> ticks;
    double eps = step * 1e-6;
    for (double v = std::ceil((lo - eps) / step) * step; v <= hi + eps; v += step)
        ticks.push_back(std::abs(v) < eps ? 0.0 : v);  // no "-0"
    return ticks;
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
    if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return {};
    return multiples(lo, hi, nice_step(lo, hi, target));
}

std::string format_tick(double v, double step) {
    char buf[32];
    double a = std::abs(v);
    if (v != 0 && (a >= 1e6 || a < 1e-4)) {
        std::snprintf(buf, sizeof buf, "%.3g", v);
    } else {
        int decimals = step > 0 ? std::max(0, (int)std::ceil(-std::log10(step) - 1e-9)) : 2;
        std::snprintf(buf, sizeof buf, "%.*f", std::min(decimals, 6), v);
    }
    return buf;
}

std::vector<double> log_ticks(double lo, double hi) {
    std::vector<double> t;
    bool fine = hi - lo < 2.5;
    for (int k = (int)std::floor(lo) - 1; k <= (int)std::ceil(hi); k++)
        for (double m : {1.0, 2.0, 5.0}) {
            if (m != 1.0 && !fine) continue;
            double v = m * std::pow(10.0, k), l = std::log10(v);
            if (l >= lo - 1e-9 && l <= hi + 1e-9) t.push_back(v);
        }
    return t;
}

AxisTicks axis_ticks(double lo, double hi, int target, bool log, bool integer) {
    AxisTicks t;
    if (log) {
        t.at = log_ticks(lo, hi);
        for (double v : t.at) {
            char buf[32];
            std::snprintf(buf, sizeof buf, "%g", v);
            t.labels.push_back(buf);
        }
        return t;
    }
    if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return t;
    double step = nice_step(lo, hi, target);
    if (integer) step = std::max(1.0, step);  // 1, 2, 5, 10, ...: whole numbers only
    t.at = multiples(lo, hi, step);
    for (double& v : t.at) {
        if (integer) v = std::round(v);  // 4, not 3.9999999
        t.labels.push_back(format_tick(v, step));
    }
    return t;
}

}  // namespace attn
