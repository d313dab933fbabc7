// plot.hpp — line plots (loss curves, BLEU against sentence length, ...) saved as PNG.
//
//   attn::save_line_plot("runs/ch02/loss.png",
//       {{.name = "train", .x = epochs, .y = train_loss},
//        {.name = "valid", .x = epochs, .y = valid_loss, .dashed = true}},
//       {.title = "Loss", .xlabel = "epoch", .ylabel = "cross-entropy"});
//
// Axes with "nice" ticks (steps of 1, 2 or 5 × 10^k) and their numbers, light gridlines,
// a legend in whichever corner covers the fewest points. A NaN or infinite y (or y <= 0 on a
// log axis) breaks the line there; a point with no neighbour is drawn as a dot; a constant
// series gets a range around its value.
#pragma once
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "common/figures/canvas.hpp"

namespace attn {

struct Series {
    std::string name{};
    std::vector<double> x{}, y{};  // same length; x empty means x = 0, 1, 2, ...
    std::optional<Color> color{};  // default: palette_color(index of the series)
    bool dashed = false;
};

struct PlotOptions {
    std::string title{}, xlabel{}, ylabel{};
    int width = 640, height = 420;  // pixels of the whole figure
    double xmin = NAN, xmax = NAN;  // NaN: from the data
    double ymin = NAN, ymax = NAN;  // NaN: from the data plus a 5 % margin
    bool log_y = false;             // log10 y axis (ticks at 1, 2, 5 × 10^k or decades)
    bool markers = false;           // a dot at every point, not only at isolated ones
    bool legend = true;             // drawn when at least one series has a name
};

Canvas render_line_plot(const std::vector<Series>& series, const PlotOptions& opt);
void save_line_plot(const std::string& path, const std::vector<Series>& series, const PlotOptions& opt);

// Tick positions in [lo, hi] spaced nice_step = 1, 2 or 5 × 10^k apart, about `target` of them.
// format_tick prints v with just the decimals that `step` needs.
double nice_step(double lo, double hi, int target);
std::vector<double> nice_ticks(double lo, double hi, int target);
std::string format_tick(double v, double step);

}  // namespace attn
