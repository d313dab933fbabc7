// ticks.hpp — where the ticks of an axis go and how their numbers read (plots and colour bars).
//
//   nice_ticks(0.3, 9.3, 5)                          → 2, 4, 6, 8        (steps of 1, 2 or 5 × 10^k)
//   axis_ticks(3, 6, 5, false, /*integer=*/true)     → 3, 4, 5, 6 labelled "3" "4" "5" "6"
//   axis_ticks(3.5, 5.5, 5, false, false)            → 3.5, 4.0, ... 5.5
#pragma once
#include <string>
#include <vector>

namespace attn {

// Tick positions in [lo, hi] spaced nice_step = 1, 2 or 5 × 10^k apart, about `target` of them.
// format_tick prints v with just the decimals that `step` needs.
double nice_step(double lo, double hi, int target);
std::vector<double> nice_ticks(double lo, double hi, int target);
std::string format_tick(double v, double step);

// Log-axis ticks: lo, hi in log10 units; returns data values at decades, or 1-2-5 within each
// decade when the range spans less than 2.5 decades.
std::vector<double> log_ticks(double lo, double hi);

struct AxisTicks {
    std::vector<double> at;           // data values (not log10)
    std::vector<std::string> labels;  // one per value
};

// The ticks of one axis over [lo, hi] (log10 units when log). integer: only whole numbers, a step
// of at least 1, labels without decimals (for epochs, lengths, counts; ignored on a log axis).
AxisTicks axis_ticks(double lo, double hi, int target, bool log, bool integer);

}  // namespace attn
