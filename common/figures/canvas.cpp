#include "common/figures/canvas.hpp"

#include <algorithm>
#include <cmath>

#include "common/core/error.hpp"
#include "common/figures/font.hpp"
#include "common/figures/png.hpp"

namespace attn {

Canvas::Canvas(int w_, int h_, Color bg) : w(w_), h(h_) {
    if (w <= 0 || h <= 0 || w > 16384 || h > 16384)
        fail("Canvas", "a size between 1x1 and 16384x16384, got " + std::to_string(w) + "x" + std::to_string(h));
    rgb.resize((size_t)w * h * 3);
    for (size_t i = 0; i < rgb.size(); i += 3) {
        rgb[i] = bg.r;
        rgb[i + 1] = bg.g;
        rgb[i + 2] = bg.b;
    }
}

Color Canvas::get(int x, int y) const {
    if (!inside(x, y)) return kBlack;
    const uint8_t* p = &rgb[((size_t)y * w + x) * 3];
    return Color{p[0], p[1], p[2]};
}

void Canvas::set(int x, int y, Color c) {
    if (!inside(x, y)) return;
    uint8_t* p = &rgb[((size_t)y * w + x) * 3];
    p[0] = c.r;
    p[1] = c.g;
    p[2] = c.b;
}

void Canvas::blend(int x, int y, Color c, float alpha) {
    if (!inside(x, y) || !(alpha > 0.f)) return;
    if (alpha >= 1.f) return set(x, y, c);
    set(x, y, lerp(get(x, y), c, alpha));
}

void Canvas::line(int x0, int y0, int x1, int y1, Color c, int thickness) {
    // Bresenham: step along the major axis, carry the error of the minor one.
    int dx = std::abs(x1 - x0), sx = x0 < x1 ? 1 : -1;
    int dy = -std::abs(y1 - y0), sy = y0 < y1 ? 1 : -1;
    int err = dx + dy, lo = -(thickness - 1) / 2;
    while (true) {
        fill_rect(x0 + lo, y0 + lo, thickness, thickness, c);
        if (x0 == x1 && y0 == y1) break;
        int e2 = 2 * err;
        if (e2 >= dy) { err += dy; x0 += sx; }
        if (e2 <= dx) { err += dx; y0 += sy; }
    }
}

void Canvas::line_smooth(float x0, float y0, float x1, float y1, Color c, float thickness) {
    // coverage(p) = clamp(t/2 + 1/2 − dist(p, segment), 0, 1): a 1-pixel soft edge.
    float half = 0.5f * thickness;
    int xa = (int)std::floor(std::min(x0, x1) - half - 1), xb = (int)std::ceil(std::max(x0, x1) + half + 1);
    int ya = (int)std::floor(std::min(y0, y1) - half - 1), yb = (int)std::ceil(std::max(y0, y1) + half + 1);
    xa = std::max(xa, 0), ya = std::max(ya, 0), xb = std::min(xb, w - 1), yb = std::min(yb, h - 1);
    float vx = x1 - x0, vy = y1 - y0, len2 = vx * vx + vy * vy;
    for (int y = ya; y <= yb; y++)
        for (int x = xa; x <= xb; x++) {
            float px = x + 0.5f - x0, py = y + 0.5f - y0;  // pixel centre relative to the start
            float t = len2 > 0 ? std::clamp((px * vx + py * vy) / len2, 0.f, 1.f) : 0.f;
            float ex = px - t * vx, ey = py - t * vy;
            float cov = half + 0.5f - std::sqrt(ex * ex + ey * ey);
            if (cov > 0) blend(x, y, c, std::min(cov, 1.f));
        }
}

void Canvas::polyline(const std::vector<PointF>& pts, Color c, float thickness, int dash) {
    float phase = 0;  // arc length walked so far, so dashes run on across corners
    for (size_t i = 0; i + 1 < pts.size(); i++) {
        PointF a = pts[i], b = pts[i + 1];
        float len = std::hypot(b.x - a.x, b.y - a.y);
        if (dash <= 0) {
            line_smooth(a.x, a.y, b.x, b.y, c, thickness);
            continue;
        }
        // walk the segment in pieces that end at dash boundaries; draw the "on" pieces
        float s = 0;
        while (s < len) {
            float in_period = std::fmod(phase + s, 2.f * dash);
            bool on = in_period < dash;
            float step = std::min(len - s, (on ? dash : 2.f * dash) - in_period);
            if (on && len > 0) {
                float t0 = s / len, t1 = (s + step) / len;
                line_smooth(a.x + t0 * (b.x - a.x), a.y + t0 * (b.y - a.y), a.x + t1 * (b.x - a.x),
                            a.y + t1 * (b.y - a.y), c, thickness);
            }
            s += std::max(step, 1e-3f);
        }
        phase += len;
    }
}

void Canvas::rect(int x, int y, int rw, int rh, Color c, int t) {
    fill_rect(x, y, rw, t, c);
    fill_rect(x, y + rh - t, rw, t, c);
    fill_rect(x, y, t, rh, c);
    fill_rect(x + rw - t, y, t, rh, c);
}

void Canvas::fill_rect(int x, int y, int rw, int rh, Color c) { fill_rect_alpha(x, y, rw, rh, c, 1.f); }

void Canvas::fill_rect_alpha(int x, int y, int rw, int rh, Color c, float alpha) {
    int x0 = std::max(x, 0), y0 = std::max(y, 0), x1 = std::min(x + rw, w), y1 = std::min(y + rh, h);
    for (int yy = y0; yy < y1; yy++)
        for (int xx = x0; xx < x1; xx++) blend(xx, yy, c, alpha);
}

void Canvas::fill_circle(float cx, float cy, float r, Color c) {
    for (int y = (int)std::floor(cy - r - 1); y <= (int)std::ceil(cy + r + 1); y++)
        for (int x = (int)std::floor(cx - r - 1); x <= (int)std::ceil(cx + r + 1); x++) {
            float cov = r + 0.5f - std::hypot(x + 0.5f - cx, y + 0.5f - cy);
            if (cov > 0) blend(x, y, c, std::min(cov, 1.f));
        }
}

int Canvas::text(int x, int y, const std::string& utf8, Color c, int scale) {
    int pen = x;
    for (char32_t cp : utf8_decode(utf8)) {
        GlyphRows g = font_glyph(cp);
        for (int r = 0; r < kFontCellH; r++)
            for (int col = 0; col < 5; col++)
                if (g[r] & (0x10 >> col)) fill_rect(pen + col * scale, y + r * scale, scale, scale, c);
        pen += kFontCellW * scale;
    }
    return pen - x;
}

int Canvas::text_up(int x, int y, const std::string& utf8, Color c, int scale) {
    // A glyph pixel at (u along the text, v down the line) lands at (x + v, y − 1 − u).
    int pen = 0;
    for (char32_t cp : utf8_decode(utf8)) {
        GlyphRows g = font_glyph(cp);
        for (int r = 0; r < kFontCellH; r++)
            for (int col = 0; col < 5; col++)
                if (g[r] & (0x10 >> col))
                    fill_rect(x + r * scale, y - (pen + col + 1) * scale, scale, scale, c);
        pen += kFontCellW;
    }
    return pen * scale;
}

void Canvas::draw_grey_image(int x, int y, const float* img, int rows, int cols, int scale, bool invert) {
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) {
            float v = std::clamp(img[(size_t)i * cols + j], 0.f, 1.f);
            if (invert) v = 1.f - v;
            uint8_t g = (uint8_t)std::lround(255.f * v);
            fill_rect(x + j * scale, y + i * scale, scale, scale, Color{g, g, g});
        }
}

void Canvas::draw_heat_overlay(int x, int y, const float* values, int rows, int cols, int cell, float alpha,
                               Colormap cmap) {
    float lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < rows * cols; i++)
        if (std::isfinite(values[i])) lo = std::min(lo, values[i]), hi = std::max(hi, values[i]);
    if (lo > hi) return;  // nothing finite to draw
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) {
            float v = values[(size_t)i * cols + j];
            if (!std::isfinite(v)) continue;
            float t = hi > lo ? (v - lo) / (hi - lo) : 1.f;
            fill_rect_alpha(x + j * cell, y + i * cell, cell, cell, cmap(t), alpha);
        }
}

void Canvas::blit(const Canvas& src, int x, int y) {
    for (int yy = 0; yy < src.h; yy++)
        for (int xx = 0; xx < src.w; xx++) set(x + xx, y + yy, src.get(xx, yy));
}

void Canvas::save_png(const std::string& path) const { write_png(path, w, h, 3, rgb.data()); }

GridPlan plan_grid(const std::vector<Canvas>& tiles, int grid_cols, int gap) {
    ATTN_CHECK(!tiles.empty() && grid_cols > 0, "compose_grid", "at least one tile and grid_cols > 0");
    int ncols = std::min(grid_cols, (int)tiles.size());
    int nrows = ((int)tiles.size() + ncols - 1) / ncols;
    std::vector<int> col_w(ncols, 0), row_h(nrows, 0);
    for (size_t i = 0; i < tiles.size(); i++) {
        col_w[i % ncols] = std::max(col_w[i % ncols], tiles[i].w);
        row_h[i / ncols] = std::max(row_h[i / ncols], tiles[i].h);
    }
    GridPlan g;
    g.w = gap, g.h = gap;
    for (int w : col_w) g.w += w + gap;
    for (int h : row_h) g.h += h + gap;
    for (size_t i = 0; i < tiles.size(); i++) {
        int c = (int)i % ncols, r = (int)i / ncols, x = gap, y = gap;
        for (int k = 0; k < c; k++) x += col_w[k] + gap;
        for (int k = 0; k < r; k++) y += row_h[k] + gap;
        g.x.push_back(x + (col_w[c] - tiles[i].w) / 2), g.y.push_back(y);
    }
    return g;
}

Canvas compose_grid(const std::vector<Canvas>& tiles, int grid_cols, const std::string& title, int gap, Color bg) {
    GridPlan g = plan_grid(tiles, grid_cols, gap);
    int title_h = title.empty() ? 0 : text_height(2) + gap / 2;
    int W = std::max(g.w, text_width(title, 2) + 2 * gap);
    Canvas out(W, title_h + g.h, bg);
    if (!title.empty()) out.text((W - text_width(title, 2)) / 2, gap, title, kBlack, 2);
    for (size_t i = 0; i < tiles.size(); i++) out.blit(tiles[i], (W - g.w) / 2 + g.x[i], title_h + g.y[i]);
    return out;
}

}  // namespace attn
