// image_grid.hpp — grids of small grey images with captions and overlays.
//
// Misclassified digits with red captions, a ViT's attention rollout over its input, the glimpse
// path of a recurrent attention model, a spatial transformer's input beside its output: each is
// a list of ImagePanel drawn into one PNG. The overlay helpers draw onto any Canvas too.
//
// Overlay coordinates are in the image's own pixels: x = column, y = row, with (0,0) the
// top-left corner of the top-left pixel, so pixel (r, c) has its centre at (c + 0.5, r + 0.5).
// An image drawn at (x0, y0) with `scale` maps image point (x, y) to (x0 + x·scale, y0 + y·scale).
#pragma once
#include <string>
#include <vector>

#include "common/figures/canvas.hpp"

namespace attn {

struct Box {  // a rectangle in image pixels, e.g. a glimpse of the recurrent attention model
    float x = 0, y = 0, w = 0, h = 0;  // top-left corner and size
    Color color = kRed;
};

void draw_box(Canvas& c, int x0, int y0, int scale, const Box& b, int thickness = 2);
// Points joined by lines, a dot at each, and its step number 1, 2, 3, ... beside it.
void draw_numbered_path(Canvas& c, int x0, int y0, int scale, const std::vector<PointF>& pts, Color color);
// values (rows, cols) stretched over a w×h pixel area at (x,y); colours span the finite min..max.
void draw_heat_overlay_fit(Canvas& c, int x, int y, int w, int h, const float* values, int rows, int cols,
                           float alpha, Colormap cmap = colormap_viridis);

struct ImagePanel {
    const float* image = nullptr;  // (rows, cols) grey in [0,1]
    int rows = 0, cols = 0;
    bool invert = false;           // true: 0 white, 1 black
    std::string caption{};         // under the image; '\n' starts a new line; a line wider than the
                                   // image widens the tile (lines over 40 characters end in "…")
    Color caption_color = kBlack;
    const float* heat = nullptr;   // optional (heat_rows, heat_cols) map stretched over the image
    int heat_rows = 0, heat_cols = 0;
    float heat_alpha = 0.5f;
    std::vector<Box> boxes{};      // optional rectangles
    std::vector<PointF> path{};    // optional numbered path
    Color path_color = kOrange;
};

Canvas render_image_panel(const ImagePanel& p, int scale);
void save_image_panels(const std::string& path, const std::vector<ImagePanel>& panels, int grid_cols, int scale,
                       const std::string& title = "");

// The plain case: images are each (rows_px, cols_px) grey in [0,1]; captions (empty or one per
// image) in caption_colors (empty: all black; e.g. red for a wrong prediction).
void save_image_grid(const std::string& path, const std::vector<const float*>& images, int rows_px, int cols_px,
                     int grid_cols, const std::vector<std::string>& captions, int scale,
                     const std::vector<Color>& caption_colors = {}, const std::string& title = "");

}  // namespace attn
