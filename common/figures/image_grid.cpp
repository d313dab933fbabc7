#include "common/figures/image_grid.hpp"

#include <algorithm>
#include <cmath>

#include "common/core/error.hpp"
#include "common/figures/font.hpp"

namespace attn {

void draw_box(Canvas& c, int x0, int y0, int scale, const Box& b, int thickness) {
    int x = x0 + (int)std::lround(b.x * scale), y = y0 + (int)std::lround(b.y * scale);
    int w = (int)std::lround(b.w * scale), h = (int)std::lround(b.h * scale);
    c.rect(x, y, std::max(w, 1), std::max(h, 1), b.color, thickness);
}

void draw_numbered_path(Canvas& c, int x0, int y0, int scale, const std::vector<PointF>& pts, Color color) {
    std::vector<PointF> px;
    for (PointF p : pts) px.push_back({x0 + p.x * scale, y0 + p.y * scale});
    c.polyline(px, color, 2.f);
    for (size_t i = 0; i < px.size(); i++) {
        c.fill_circle(px[i].x, px[i].y, 3.5f, color);
        // the number, with a 1-pixel white halo so it reads over any image
        std::string n = std::to_string(i + 1);
        int tx = (int)px[i].x + 4, ty = (int)px[i].y - text_height(1) + 1;
        for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++)
                if (dx || dy) c.text(tx + dx, ty + dy, n, kWhite);
        c.text(tx, ty, n, color);
    }
}

void draw_heat_overlay_fit(Canvas& c, int x, int y, int w, int h, const float* values, int rows, int cols,
                           float alpha, Colormap cmap) {
    float lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < rows * cols; i++)
        if (std::isfinite(values[i])) lo = std::min(lo, values[i]), hi = std::max(hi, values[i]);
    if (lo > hi) return;
    for (int py = 0; py < h; py++)
        for (int px = 0; px < w; px++) {  // nearest cell: each value covers an equal share of the area
            float v = values[(size_t)(py * rows / h) * cols + (px * cols / w)];
            if (std::isfinite(v)) c.blend(x + px, y + py, cmap(hi > lo ? (v - lo) / (hi - lo) : 1.f), alpha);
        }
}

Canvas render_image_panel(const ImagePanel& p, int scale) {
    if (!p.image || p.rows <= 0 || p.cols <= 0 || scale <= 0)
        fail("render_image_panel", "an image with positive rows, cols and scale");
    int iw = p.cols * scale, ih = p.rows * scale;
    // caption lines: a line wider than the image widens the tile rather than being cut (a matrix
    // such as "[0.8 0.2 0.2; -0.2 0.8 -0.1]" must be read whole); only past 40 characters is it cut
    int max_chars = std::max(40, iw / kFontCellW);
    std::vector<std::string> lines;
    size_t start = 0;
    while (!p.caption.empty() && start <= p.caption.size()) {
        size_t nl = p.caption.find('\n', start);
        lines.push_back(utf8_truncate(p.caption.substr(start, nl == std::string::npos ? nl : nl - start), max_chars));
        if (nl == std::string::npos) break;
        start = nl + 1;
    }
    int tw = iw;
    for (const std::string& s : lines) tw = std::max(tw, text_width(s, 1));
    int th = text_height(1);
    Canvas c(tw, ih + (lines.empty() ? 0 : 4 + (int)lines.size() * th), kWhite);
    int ix = (tw - iw) / 2;
    c.draw_grey_image(ix, 0, p.image, p.rows, p.cols, scale, p.invert);
    if (p.heat) draw_heat_overlay_fit(c, ix, 0, iw, ih, p.heat, p.heat_rows, p.heat_cols, p.heat_alpha);
    for (const Box& b : p.boxes) draw_box(c, ix, 0, scale, b);
    if (!p.path.empty()) draw_numbered_path(c, ix, 0, scale, p.path, p.path_color);
    for (size_t i = 0; i < lines.size(); i++)
        c.text((tw - text_width(lines[i], 1)) / 2, ih + 4 + (int)i * th, lines[i], p.caption_color);
    return c;
}

void save_image_panels(const std::string& path, const std::vector<ImagePanel>& panels, int grid_cols, int scale,
                       const std::string& title) {
    if (panels.empty()) fail("save_image_panels", "at least one image");
    std::vector<Canvas> tiles;
    for (const ImagePanel& p : panels) tiles.push_back(render_image_panel(p, scale));
    compose_grid(tiles, grid_cols, title, 10).save_png(path);
}

void save_image_grid(const std::string& path, const std::vector<const float*>& images, int rows_px, int cols_px,
                     int grid_cols, const std::vector<std::string>& captions, int scale,
                     const std::vector<Color>& caption_colors, const std::string& title) {
    if (!captions.empty() && captions.size() != images.size())
        fail("save_image_grid", "one caption per image (" + std::to_string(images.size()) + "), got " +
                                    std::to_string(captions.size()));
    if (!caption_colors.empty() && caption_colors.size() != images.size())
        fail("save_image_grid", "one caption colour per image (" + std::to_string(images.size()) + "), got " +
                                    std::to_string(caption_colors.size()));
    std::vector<ImagePanel> panels(images.size());
    for (size_t i = 0; i < images.size(); i++) {
        panels[i].image = images[i];
        panels[i].rows = rows_px, panels[i].cols = cols_px;
        if (!captions.empty()) panels[i].caption = captions[i];
        if (!caption_colors.empty()) panels[i].caption_color = caption_colors[i];
    }
    save_image_panels(path, panels, grid_cols, scale, title);
}

}  // namespace attn
