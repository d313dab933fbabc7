// save_heatmap_grid (heatmap.hpp): panels side by side on one colour scale, with one colour bar.
#include <algorithm>

#include "common/core/error.hpp"
#include "common/figures/colorbar.hpp"
#include "common/figures/font.hpp"
#include "common/figures/heatmap.hpp"
#include "common/figures/heatmap_layout.hpp"

namespace attn {

// One colour range for every panel: the options' vmin/vmax, else the finite values of all panels.
static void shared_range(const std::vector<HeatmapPanel>& panels, const HeatmapOptions& opt, float& lo, float& hi) {
    lo = INFINITY, hi = -INFINITY;
    for (const HeatmapPanel& p : panels)
        for (size_t i = 0; i < (size_t)p.rows * p.cols; i++)
            if (std::isfinite(p.values[i])) lo = std::min(lo, p.values[i]), hi = std::max(hi, p.values[i]);
    if (std::isfinite(opt.vmin)) lo = opt.vmin;
    if (std::isfinite(opt.vmax)) hi = opt.vmax;
    if (!(lo <= hi)) lo = 0, hi = 1;
}

Canvas render_heatmap_grid(const std::vector<HeatmapPanel>& panels, int grid_cols, const HeatmapOptions& opt) {
    if (panels.empty()) fail("save_heatmap_grid", "at least one panel");
    if (grid_cols <= 0) fail("save_heatmap_grid", "grid_cols > 0, got " + std::to_string(grid_cols));
    float lo, hi;
    shared_range(panels, opt, lo, hi);
    HeatmapOptions o = opt;  // every panel: the same colour range, no colour bar of its own
    o.vmin = lo, o.vmax = hi, o.colorbar = false;
    std::vector<Canvas> tiles;
    std::vector<HeatmapLayout> layouts;
    for (const HeatmapPanel& p : panels) {
        o.title = p.title;
        tiles.push_back(render_heatmap(p.values, p.rows, p.cols, p.row_labels, p.col_labels, o));
        layouts.push_back(heatmap_layout(p.rows, p.cols, p.row_labels, p.col_labels, o, lo, hi));
    }
    const int gap = 16;
    Canvas grid = compose_grid(tiles, grid_cols, "", gap);
    GridPlan plan = plan_grid(tiles, grid_cols, gap);
    // The bar starts level with the first row's cells and is as tall as the tallest panel's cells
    // (at least 120 px, so its numbers have room), but never runs below the last row's cells.
    int top = 1 << 30, bottom = 0, tallest = 0;
    for (size_t i = 0; i < layouts.size(); i++) {
        if (plan.y[i] == plan.y[0]) top = std::min(top, plan.y[i] + layouts[i].grid.y);
        bottom = std::max(bottom, plan.y[i] + layouts[i].grid.y + layouts[i].grid.h);
        tallest = std::max(tallest, layouts[i].grid.h);
    }
    int bar_h = std::max(80, std::min(std::max(tallest, 120), bottom - top));
    int title_h = opt.title.empty() ? 0 : text_height(2) + gap;
    int W = std::max(grid.w + colorbar_width(lo, hi, bar_h) + gap, text_width(opt.title, 2) + 2 * gap);
    Canvas out(W, std::max(title_h + grid.h, title_h + top + bar_h + gap), kWhite);
    if (!opt.title.empty()) out.text((W - text_width(opt.title, 2)) / 2, gap, opt.title, kBlack, 2);
    out.blit(grid, 0, title_h);
    draw_colorbar(out, Rect{grid.w, title_h + top, kColorbarW, bar_h}, lo, hi, opt.cmap);
    return out;
}

void save_heatmap_grid(const std::string& path, const std::vector<HeatmapPanel>& panels, int grid_cols,
                       const HeatmapOptions& opt) {
    render_heatmap_grid(panels, grid_cols, opt).save_png(path);
}

}  // namespace attn
