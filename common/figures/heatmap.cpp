#include "common/figures/heatmap.hpp"

#include <algorithm>
#include <cstdio>

#include "common/core/error.hpp"
#include "common/figures/colorbar.hpp"
#include "common/figures/font.hpp"
#include "common/figures/heatmap_layout.hpp"

namespace attn {

static const Color kInk{40, 40, 40};

static std::string short_number(float v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g", v);
    return buf;
}

// The cells; the value text (when shown) flips to white on dark colours.
static void draw_cells(Canvas& c, const HeatmapLayout& L, const float* values, int rows, int cols, float lo,
                       float span, Colormap cmap) {
    const int cell = L.cell, gx = L.grid.x, gy = L.grid.y, th = text_height(1);
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) {
            float v = values[(size_t)i * cols + j];
            Color col = std::isfinite(v) ? cmap((v - lo) / span) : kLightGrey;
            c.fill_rect(gx + j * cell, gy + i * cell, cell, cell, col);
            if (L.values && std::isfinite(v) && std::abs(v) >= 0.005f) {  // a cell that rounds to 0.00 stays clean
                char buf[16];
                std::snprintf(buf, sizeof buf, "%.2f", v);
                std::string s = text_width(buf, 1) <= cell - 2 ? buf : short_number(v);
                Color tc = luminance(col) < 0.35f ? kWhite : kBlack;
                c.text(gx + j * cell + (cell - text_width(s, 1)) / 2 + 1, gy + i * cell + (cell - th) / 2, s, tc);
            }
        }
    c.rect(gx - 1, gy - 1, L.grid.w + 2, L.grid.h + 2, Color{160, 160, 160});
}

static void draw_token_label(Canvas& c, const TokenLabel& t) {
    const Rect& b = t.box;
    if (t.rotated) {
        c.text_up(b.x, b.y + b.h - 1, t.text, kInk);
    } else if (t.chip) {  // the glyphs' rows 3..11 inside a 2-pixel margin
        c.fill_rect(b.x, b.y, b.w, b.h, Color{236, 236, 236});
        c.rect(b.x, b.y, b.w, b.h, Color{196, 196, 196});
        c.text(b.x + 2, b.y + 2 - 3 * t.scale, t.text, kBlack, t.scale);
    } else {
        c.text(b.x, b.y, t.text, kInk);
    }
}

// The colour range: the finite values' min and max unless the options fix them.
static void color_range(const float* values, size_t n, const HeatmapOptions& opt, float& lo, float& hi) {
    lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (std::isfinite(values[i])) lo = std::min(lo, values[i]), hi = std::max(hi, values[i]);
    if (std::isfinite(opt.vmin)) lo = opt.vmin;
    if (std::isfinite(opt.vmax)) hi = opt.vmax;
    if (!(lo <= hi)) lo = 0, hi = 1;  // nothing finite
}

Canvas render_heatmap(const float* values, int rows, int cols, const std::vector<std::string>& row_labels,
                      const std::vector<std::string>& col_labels, const HeatmapOptions& opt) {
    if (rows <= 0 || cols <= 0) fail("save_heatmap", "a non-empty matrix, got " + std::to_string(rows) + "x" + std::to_string(cols));
    if (!row_labels.empty() && (int)row_labels.size() != rows)
        fail("save_heatmap", "one row label per row (" + std::to_string(rows) + "), got " + std::to_string(row_labels.size()));
    if (!col_labels.empty() && (int)col_labels.size() != cols)
        fail("save_heatmap", "one column label per column (" + std::to_string(cols) + "), got " + std::to_string(col_labels.size()));
    float lo, hi;  // colour t = (v − lo) / (hi − lo), clamped
    color_range(values, (size_t)rows * cols, opt, lo, hi);
    HeatmapLayout L = heatmap_layout(rows, cols, row_labels, col_labels, opt, lo, hi);

    Canvas c(L.width, L.height, kWhite);
    if (!L.title.empty()) c.text(L.title.x, L.title.y, opt.title, kBlack, 2);
    if (!L.xlabel.empty()) c.text(L.xlabel.x, L.xlabel.y, opt.xlabel, kInk);
    if (!L.ylabel.empty()) c.text_up(L.ylabel.x, L.ylabel.y + L.ylabel.h - 1, opt.ylabel, kInk);
    draw_cells(c, L, values, rows, cols, lo, hi > lo ? hi - lo : 1.f, opt.cmap);
    for (const TokenLabel& t : L.rows) draw_token_label(c, t);
    for (const TokenLabel& t : L.cols) draw_token_label(c, t);
    if (!L.bar.empty()) draw_colorbar(c, L.bar, lo, hi, opt.cmap);
    return c;
}

void save_heatmap(const std::string& path, const float* values, int rows, int cols,
                  const std::vector<std::string>& row_labels, const std::vector<std::string>& col_labels,
                  const HeatmapOptions& opt) {
    render_heatmap(values, rows, cols, row_labels, col_labels, opt).save_png(path);
}

}  // namespace attn
