// heatmap_layout.hpp — where each part of a heatmap goes; heatmap.cpp draws them there.
//
// Row labels sit left of the grid, right-aligned; column labels above it, reading upwards so 40+
// tokens fit. A token made only of punctuation ("," "." "?" "!" "'" "«" "…") would be a speck
// that way, so it is drawn upright instead, twice the size when its cell has room, on a light
// chip so even a lone "." is seen. Laying out first lets tests check that no label leaves the
// figure or runs into another.
#pragma once
#include <string>
#include <vector>

#include "common/figures/heatmap.hpp"

namespace attn {

struct TokenLabel {     // one row or column label as it is drawn
    std::string text;   // cut to max_label_chars, ending in "…" when cut
    Rect box;           // the pixels it covers, its chip included
    int scale = 1;
    bool rotated = false;  // reads upwards (text_up)
    bool chip = false;     // punctuation, upright on a light chip
};

struct HeatmapLayout {
    int width = 0, height = 0;    // the whole figure
    int cell = 0;                 // pixels per cell
    Rect grid;                    // the cells
    Rect bar;                     // the colour bar's gradient; empty: no colour bar
    Rect title, xlabel, ylabel;   // empty when absent (the y label reads upwards)
    std::vector<TokenLabel> rows, cols;
    bool values = false;          // numbers printed in the cells
};

// True when the token has no letter and no digit: punctuation and symbols only.
bool is_symbol_token(const std::string& utf8);
// The cell size chosen when HeatmapOptions::cell is 0: the map about 560 px across, 3..48 px a
// cell, and at least a text line's height when there are labels.
int heatmap_cell(int rows, int cols, bool labels);
// [lo, hi] is the colour range (it sizes the colour bar's labels).
HeatmapLayout heatmap_layout(int rows, int cols, const std::vector<std::string>& row_labels,
                             const std::vector<std::string>& col_labels, const HeatmapOptions& opt, float lo,
                             float hi);

}  // namespace attn
