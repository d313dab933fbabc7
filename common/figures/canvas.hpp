// canvas.hpp — an RGB drawing surface: pixels, lines, rectangles, text, images, saved as PNG.
//
// Coordinates are pixels, x to the right, y down, (0,0) the top-left pixel. Everything is
// clipped to the canvas, so a figure can draw near its edges without bounds checks.
// Every figure of the course (heatmap.hpp, plot.hpp, image_grid.hpp) is built from these calls.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/figures/colormap.hpp"

namespace attn {

struct PointF {
    float x = 0, y = 0;
};

// A rectangle of pixels: columns [x, x + w), rows [y, y + h). Figures lay their parts out as
// boxes first (so tests can check that nothing overlaps or falls off the canvas), then draw.
struct Rect {
    int x = 0, y = 0, w = 0, h = 0;
    bool empty() const { return w <= 0 || h <= 0; }
    bool overlaps(const Rect& o) const {
        return !empty() && !o.empty() && x < o.x + o.w && o.x < x + w && y < o.y + o.h && o.y < y + h;
    }
    bool contains(const Rect& o) const { return o.x >= x && o.y >= y && o.x + o.w <= x + w && o.y + o.h <= y + h; }
    Rect grown(int d) const { return {x - d, y - d, w + 2 * d, h + 2 * d}; }
};

struct Canvas {
    int w = 0, h = 0;
    std::vector<uint8_t> rgb;  // h · w · 3 bytes, top row first

    Canvas() = default;
    Canvas(int w, int h, Color bg = kWhite);  // throws attn::Error for a non-positive or huge size

    bool inside(int x, int y) const { return x >= 0 && y >= 0 && x < w && y < h; }
    Color get(int x, int y) const;                   // black outside
    void set(int x, int y, Color c);                 // ignored outside
    void blend(int x, int y, Color c, float alpha);  // pixel = (1-alpha)·pixel + alpha·c

    // Bresenham, pixel exact; thickness t stamps a t×t square at each step.
    void line(int x0, int y0, int x1, int y1, Color c, int thickness = 1);
    // Anti-aliased line of any width (coverage from the distance to the segment); for plots.
    void line_smooth(float x0, float y0, float x1, float y1, Color c, float thickness = 1.5f);
    // Smooth line through pts; dash > 0 draws dash px on, dash px off, continuing across corners.
    void polyline(const std::vector<PointF>& pts, Color c, float thickness = 1.5f, int dash = 0);

    void rect(int x, int y, int rw, int rh, Color c, int thickness = 1);  // outline, inside the box
    void fill_rect(int x, int y, int rw, int rh, Color c);
    void fill_rect_alpha(int x, int y, int rw, int rh, Color c, float alpha);
    void fill_circle(float cx, float cy, float r, Color c);  // anti-aliased disc

    // Text in the built-in font (font.hpp), UTF-8. (x,y) is the top-left of the first cell;
    // returns the width drawn (text_width). text_up is rotated 90° anticlockwise (reads bottom
    // to top, for y-axis and column labels): (x,y) is the bottom-left corner of its box, which
    // spans [x, x + text_height) × (y - text_width, y].
    int text(int x, int y, const std::string& utf8, Color c, int scale = 1);
    int text_up(int x, int y, const std::string& utf8, Color c, int scale = 1);

    // img is (rows, cols) grey in [0,1] (clamped), drawn with each pixel a scale×scale block;
    // 0 is black and 1 white (invert = true: 0 white, 1 black).
    void draw_grey_image(int x, int y, const float* img, int rows, int cols, int scale, bool invert = false);
    // values is (rows, cols); each value becomes a cell×cell block of cmap colour blended with
    // alpha over what is there. Colours span the finite values' own [min, max]; non-finite
    // values are left undrawn. E.g. a 7×7 attention map over a 28×28 image at scale 4: cell 16.
    void draw_heat_overlay(int x, int y, const float* values, int rows, int cols, int cell, float alpha,
                           Colormap cmap = colormap_viridis);

    void blit(const Canvas& src, int x, int y);  // copy src with its top-left at (x,y), clipped
    void save_png(const std::string& path) const;  // throws attn::Error naming path on failure
};

// Lay tiles out left to right, grid_cols per row, gap pixels apart, under an optional title
// (scale 2): each column as wide as its widest tile (tiles centred in it), each row as tall as its
// tallest tile (tiles at its top). Multi-panel figures use this.
Canvas compose_grid(const std::vector<Canvas>& tiles, int grid_cols, const std::string& title = "",
                    int gap = 16, Color bg = kWhite);
// Where compose_grid puts each tile, without a title: top-left corners x[i], y[i], and the size.
struct GridPlan {
    std::vector<int> x, y;
    int w = 0, h = 0;
};
GridPlan plan_grid(const std::vector<Canvas>& tiles, int grid_cols, int gap = 16);

}  // namespace attn
