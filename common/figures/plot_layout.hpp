// plot_layout.hpp — where each part of a line plot goes; plot.cpp draws them there.
//
// Laying out before drawing keeps the rules in one place and lets tests check them: the legend
// box covers no drawn line or point, every label box lies inside the figure, integer axes have
// integer ticks.
#pragma once
#include <string>
#include <vector>

#include "common/figures/plot.hpp"

namespace attn {

struct PlotLayout {
    int width = 0, height = 0;      // the whole figure
    Rect area;                       // the plot area; its frame is drawn one pixel outside it
    double x_lo = 0, x_hi = 1;      // the x range
    double y_lo = 0, y_hi = 1;      // the y range, in log10 units when log_y
    bool log_y = false;
    AxisTicks xticks, yticks;
    std::vector<Rect> xtick_boxes, ytick_boxes;  // where each tick label goes
    std::vector<std::string> title_lines;       // the title, wrapped when too wide
    int title_scale = 2;
    Rect title;                                  // empty: no title
    std::string xlabel, ylabel;                 // the axis labels, cut with "…" when too long
    Rect xlabel_box, ylabel_box;                 // (the y label reads upwards)
    std::vector<std::string> legend_names;      // per series, cut to fit; "" = not in the legend
    Rect legend;                                 // empty: no legend
    bool legend_outside = false;                // every corner of the area had data under it

    float px(double x) const { return (float)(area.x + (x - x_lo) / (x_hi - x_lo) * area.w); }
    float py(double y) const;                   // y in data units (log10 taken here when log_y)
    bool usable(double y) const { return std::isfinite(y) && (!log_y || y > 0); }
};

// Checks the options (size, range) and lays the plot out: an attn::Error when it cannot be drawn.
PlotLayout plot_layout(const std::vector<Series>& series, const PlotOptions& opt);

// What is drawn of one series, in pixels: polyline pieces (clipped to the area, broken at unusable
// values) and dots (points with no usable neighbour, or every point when markers is on).
struct SeriesShape {
    std::vector<std::vector<PointF>> pieces;
    std::vector<PointF> dots;
};
SeriesShape series_shape(const Series& s, const PlotLayout& L, bool markers);
// True when a line piece or dot of any shape passes within `margin` pixels of box.
bool covers_data(const Rect& box, const std::vector<SeriesShape>& shapes, int margin);

}  // namespace attn
