// plot.hpp — line plots (loss curves, BLEU against sentence length, ...) saved as PNG.
//
//   attn::save_line_plot("runs/ch02/loss.png",
//       {{.name = "train", .x = epochs, .y = train_loss},
//        {.name = "valid", .x = epochs, .y = valid_loss, .dashed = true}},
//       {.title = "Loss", .xlabel = "epoch", .ylabel = "cross-entropy", .integer_x = true});
//
// Axes with "nice" ticks (steps of 1, 2 or 5 × 10^k) and their numbers, light gridlines. The
// legend never covers data: it goes in the first place of the plot area that no line or point
// passes through (the corners top-right, top-left, bottom-right, bottom-left, then the middles of
// the top, bottom, right and left sides), and outside the area, on its right, when none is free.
// A NaN or infinite y (or y <= 0 on a log axis) breaks the line there; a point with no neighbour
// is drawn as a dot; a constant series gets a range around its value. Nothing is cut off: a title
// too wide for the figure is drawn smaller, then wrapped; axis labels too long for their side end
// in "…". plot_layout.hpp says where each part goes.
#pragma once
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "common/figures/canvas.hpp"
#include "common/figures/ticks.hpp"  // nice_step, nice_ticks, format_tick

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
    // Whole-number axes, for epochs, token lengths, counts: ticks only at integers (steps of
    // 1, 2, 5, 10, ...), labelled without decimals. The points stay where they are: BLEU of the
    // length bucket 3..4 plotted at x = 3.5 sits between the ticks 3 and 4. When xmin/xmax (ymin/
    // ymax) are not given, the axis range is widened to whole numbers around the data.
    bool integer_x = false;
    bool integer_y = false;         // (ignored with log_y)
};

Canvas render_line_plot(const std::vector<Series>& series, const PlotOptions& opt);
void save_line_plot(const std::string& path, const std::vector<Series>& series, const PlotOptions& opt);

}  // namespace attn
