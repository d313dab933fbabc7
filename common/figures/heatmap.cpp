#include "common/figures/heatmap.hpp"

#include <algorithm>
#include <cstdio>

#include "common/core/error.hpp"
#include "common/figures/font.hpp"
#include "common/figures/plot.hpp"

namespace attn {

namespace {

// A colour-bar end: as many decimals as a hundredth of the range needs; 3e-44 next to 0.9 is "0.000".
std::string range_label(float v, float span) {
    if (std::abs(v) < span * 1e-3f) v = 0;
    return format_tick(v, span / 100);
}

std::string short_number(float v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g", v);
    return buf;
}

void finite_range(const float* v, size_t n, float& lo, float& hi) {
    for (size_t i = 0; i < n; i++)
        if (std::isfinite(v[i])) lo = std::min(lo, v[i]), hi = std::max(hi, v[i]);
}

}  // namespace

Canvas render_heatmap(const float* values, int rows, int cols, const std::vector<std::string>& row_labels,
                      const std::vector<std::string>& col_labels, const HeatmapOptions& opt) {
    if (rows <= 0 || cols <= 0) fail("save_heatmap", "a non-empty matrix, got " + std::to_string(rows) + "x" + std::to_string(cols));
    if (!row_labels.empty() && (int)row_labels.size() != rows)
        fail("save_heatmap", "one row label per row (" + std::to_string(rows) + "), got " + std::to_string(row_labels.size()));
    if (!col_labels.empty() && (int)col_labels.size() != cols)
        fail("save_heatmap", "one column label per column (" + std::to_string(cols) + "), got " + std::to_string(col_labels.size()));

    // Colour range: t = (v − lo) / (hi − lo), clamped.
    float lo = INFINITY, hi = -INFINITY;
    finite_range(values, (size_t)rows * cols, lo, hi);
    if (std::isfinite(opt.vmin)) lo = opt.vmin;
    if (std::isfinite(opt.vmax)) hi = opt.vmax;
    if (!(lo <= hi)) lo = 0, hi = 1;  // nothing finite
    float span = hi > lo ? hi - lo : 1.f;

    const int th = text_height(1), pad = 10;
    bool labels = !row_labels.empty() || !col_labels.empty();
    int cell = opt.cell > 0 ? opt.cell : std::clamp(560 / std::max(rows, cols), labels ? th + 2 : 3, 48);
    bool values_fit = cell >= text_width("0.55", 1) + 4 && rows <= 20 && cols <= 20;
    bool show = opt.show_values == 1 || (opt.show_values == -1 && values_fit);

    std::vector<std::string> rl, cl;
    int rl_w = 0, cl_h = 0;
    for (const std::string& s : row_labels) rl.push_back(utf8_truncate(s, opt.max_label_chars)), rl_w = std::max(rl_w, text_width(rl.back(), 1));
    for (const std::string& s : col_labels) cl.push_back(utf8_truncate(s, opt.max_label_chars)), cl_h = std::max(cl_h, text_width(cl.back(), 1));
    int title_h = opt.title.empty() ? 0 : text_height(2) + 8;
    int xlabel_h = opt.xlabel.empty() ? 0 : th + 6;
    int ylabel_w = opt.ylabel.empty() ? 0 : th + 6;
    int gx = pad + ylabel_w + (rl_w ? rl_w + 6 : 0);
    int gy = pad + title_h + xlabel_h + (cl_h ? cl_h + 6 : 0);
    int gw = cols * cell, gh = rows * cell;

    // Colour bar: at least 80 px tall so its numbers never collide.
    std::string lo_s = range_label(lo, span), hi_s = range_label(hi, span);
    int bar_x = gx + gw + 14, bar_w = 14, bar_h = std::max(gh, 80);
    int bar_lab_w = std::max(text_width(lo_s, 1), text_width(hi_s, 1));
    int W = opt.colorbar ? bar_x + bar_w + 6 + bar_lab_w + pad + 20 : gx + gw + pad;  // +20: room for mid ticks
    W = std::max(W, text_width(opt.title, 2) + 2 * pad);
    int H = gy + (opt.colorbar ? std::max(gh, bar_h) : gh) + pad;
    Canvas c(W, H, kWhite);
    const Color ink{40, 40, 40};

    if (!opt.title.empty()) c.text((W - text_width(opt.title, 2)) / 2, pad, opt.title, kBlack, 2);
    if (!opt.xlabel.empty()) c.text(gx + (gw - text_width(opt.xlabel, 1)) / 2, pad + title_h, opt.xlabel, ink);
    if (!opt.ylabel.empty()) c.text_up(pad, gy + (gh + text_width(opt.ylabel, 1)) / 2, opt.ylabel, ink);

    // The cells; the value text flips to white on dark colours.
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) {
            float v = values[(size_t)i * cols + j];
            Color col = std::isfinite(v) ? opt.cmap((v - lo) / span) : kLightGrey;
            c.fill_rect(gx + j * cell, gy + i * cell, cell, cell, col);
            if (show && std::isfinite(v) && std::abs(v) >= 0.005f) {  // a cell that rounds to 0.00 stays clean
                char buf[16];
                std::snprintf(buf, sizeof buf, "%.2f", v);
                std::string s = text_width(buf, 1) <= cell - 2 ? buf : short_number(v);
                Color tc = luminance(col) < 0.35f ? kWhite : kBlack;
                c.text(gx + j * cell + (cell - text_width(s, 1)) / 2 + 1, gy + i * cell + (cell - th) / 2, s, tc);
            }
        }
    c.rect(gx - 1, gy - 1, gw + 2, gh + 2, Color{160, 160, 160});

    // Labels: rows right-aligned against the grid, columns reading upwards, each centred on its cell.
    for (int i = 0; i < (int)rl.size(); i++) c.text(gx - 6 - text_width(rl[i], 1), gy + i * cell + (cell - th) / 2, rl[i], ink);
    for (int j = 0; j < (int)cl.size(); j++) c.text_up(gx + j * cell + (cell - th) / 2, gy - 5, cl[j], ink);

    if (opt.colorbar) {
        int by = gy;
        for (int y = 0; y < bar_h; y++) c.fill_rect(bar_x, by + y, bar_w, 1, opt.cmap(1.f - (float)y / (bar_h - 1)));
        c.rect(bar_x - 1, by - 1, bar_w + 2, bar_h + 2, Color{160, 160, 160});
        auto tick = [&](float v, const std::string& s) {
            int y = by + (int)std::lround((1.f - (v - lo) / span) * (bar_h - 1));
            c.fill_rect(bar_x + bar_w, y, 4, 1, ink);
            c.text(bar_x + bar_w + 6, std::clamp(y - th / 2, by - 2, by + bar_h - th + 2), s, ink);
        };
        tick(hi, hi_s);
        if (hi > lo) {
            tick(lo, lo_s);
            int n = std::max(2, bar_h / 40);
            std::vector<double> mid = nice_ticks(lo, hi, n);
            double step = nice_step(lo, hi, n);
            for (double m : mid) {
                float dist = (float)std::min(m - lo, hi - m) / span * bar_h;
                if (dist >= th + 2) tick((float)m, format_tick(m, step));
            }
        }
    }
    return c;
}

void save_heatmap(const std::string& path, const float* values, int rows, int cols,
                  const std::vector<std::string>& row_labels, const std::vector<std::string>& col_labels,
                  const HeatmapOptions& opt) {
    render_heatmap(values, rows, cols, row_labels, col_labels, opt).save_png(path);
}

void save_heatmap_grid(const std::string& path, const std::vector<HeatmapPanel>& panels, int grid_cols,
                       const HeatmapOptions& opt) {
    if (panels.empty()) fail("save_heatmap_grid", "at least one panel");
    float lo = INFINITY, hi = -INFINITY;
    for (const HeatmapPanel& p : panels) finite_range(p.values, (size_t)p.rows * p.cols, lo, hi);
    std::vector<Canvas> tiles;
    for (const HeatmapPanel& p : panels) {
        HeatmapOptions o = opt;
        o.title = p.title;
        if (!std::isfinite(o.vmin) && lo <= hi) o.vmin = lo;
        if (!std::isfinite(o.vmax) && lo <= hi) o.vmax = hi;
        tiles.push_back(render_heatmap(p.values, p.rows, p.cols, p.row_labels, p.col_labels, o));
    }
    compose_grid(tiles, grid_cols, opt.title).save_png(path);
}

}  // namespace attn
