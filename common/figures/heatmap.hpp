// heatmap.hpp — attention maps as PNG: one matrix, or several side by side.
//
//   attn::save_heatmap("runs/ch02/align_0.png", att.data(), T, S, tgt_tokens, src_tokens,
//                      {.title = "Bahdanau attention", .xlabel = "source (keys)", .ylabel = "output (queries)"});
//
// values is (rows, cols) row-major: row i = query i (an output token), column j = key j.
// Row labels sit on the left, column labels on top reading upwards, so 40+ tokens stay legible;
// punctuation tokens ("," "." "?") are drawn upright on a light chip so a lone "." is seen.
// A colour bar on the right shows the range with its min and max. Non-finite values (e.g. a
// masked -INFINITY score) are drawn light grey. Labels longer than max_label_chars end in "…".
// heatmap_layout.hpp says where each part goes.
#pragma once
#include <cmath>
#include <string>
#include <vector>

#include "common/figures/canvas.hpp"

namespace attn {

struct HeatmapOptions {
    std::string title{}, xlabel{}, ylabel{};  // xlabel names the columns (keys), ylabel the rows (queries)
    int cell = 0;                       // pixels per cell; 0: chosen from the map's size
    float vmin = NAN, vmax = NAN;       // colour range; NaN: the finite data's min / max
    int show_values = -1;               // print values (not those rounding to 0.00) in cells: -1 when they fit, 0 never, 1 always
    Colormap cmap = colormap_viridis;
    int max_label_chars = 16;
    bool colorbar = true;
};

Canvas render_heatmap(const float* values, int rows, int cols, const std::vector<std::string>& row_labels,
                      const std::vector<std::string>& col_labels, const HeatmapOptions& opt);
void save_heatmap(const std::string& path, const float* values, int rows, int cols,
                  const std::vector<std::string>& row_labels, const std::vector<std::string>& col_labels,
                  const HeatmapOptions& opt);

// One panel of a multi-panel figure: e.g. one per attention head or per score function.
struct HeatmapPanel {
    const float* values = nullptr;  // (rows, cols)
    int rows = 0, cols = 0;
    std::vector<std::string> row_labels{}, col_labels{};
    std::string title{};
};

// Panels laid out grid_cols per row under opt.title; every panel uses opt (its own title
// replaces opt.title). One colour scale for the figure: all panels share one colour range (with
// vmin/vmax unset, the finite values of all panels) and ONE colour bar, right of the panels, so
// the same colour reads as the same number everywhere.
Canvas render_heatmap_grid(const std::vector<HeatmapPanel>& panels, int grid_cols, const HeatmapOptions& opt);
void save_heatmap_grid(const std::string& path, const std::vector<HeatmapPanel>& panels, int grid_cols,
                       const HeatmapOptions& opt);

}  // namespace attn
