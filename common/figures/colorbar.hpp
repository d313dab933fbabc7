// colorbar.hpp — the colour scale of a heatmap: a vertical bar from lo (bottom) to hi (top), its
// ticks and their numbers on the right. A single heatmap draws one beside its grid; a figure of
// panels (save_heatmap_grid) draws one for all its panels, so they share one scale.
#pragma once
#include <string>
#include <vector>

#include "common/figures/canvas.hpp"

namespace attn {

constexpr int kColorbarW = 14;  // pixels of the gradient's width

struct ColorbarTick {
    float value;
    std::string label;
};

// The ends lo and hi, and the nice values between them that do not crowd the ends' labels.
// An end that is itself a nice value reads like the others ("1.0", "0.8", ..., "0.0"); one that
// is not gets the decimals a hundredth of the range needs ("0.982").
std::vector<ColorbarTick> colorbar_ticks(float lo, float hi, int bar_h);
// Pixels from the bar's left edge to the end of its widest label.
int colorbar_width(float lo, float hi, int bar_h);
// bar is the gradient's box (kColorbarW wide); ticks and labels go right of it.
void draw_colorbar(Canvas& c, const Rect& bar, float lo, float hi, Colormap cmap);

}  // namespace attn
