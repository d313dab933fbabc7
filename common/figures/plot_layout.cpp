#include "common/figures/plot_layout.hpp"

#include <algorithm>

#include "common/core/error.hpp"
#include "common/figures/font.hpp"

namespace attn {

float PlotLayout::py(double y) const {
    double v = log_y ? std::log10(y) : y;
    return (float)(area.y + area.h - (v - y_lo) / (y_hi - y_lo) * area.h);
}

// ---- series in pixels ------------------------------------------------------------------------

// Liang–Barsky: clip segment a→b to the rectangle; false when nothing is left.
static bool clip(PointF& a, PointF& b, float x0, float y0, float x1, float y1) {
    float t0 = 0, t1 = 1, dx = b.x - a.x, dy = b.y - a.y;
    float p[4] = {-dx, dx, -dy, dy}, q[4] = {a.x - x0, x1 - a.x, a.y - y0, y1 - a.y};
    for (int i = 0; i < 4; i++) {
        if (p[i] == 0) {
            if (q[i] < 0) return false;
            continue;
        }
        float r = q[i] / p[i];
        if (p[i] < 0) t0 = std::max(t0, r);
        else t1 = std::min(t1, r);
    }
    if (t0 > t1) return false;
    PointF a2{a.x + t0 * dx, a.y + t0 * dy}, b2{a.x + t1 * dx, a.y + t1 * dy};
    a = a2, b = b2;
    return true;
}

SeriesShape series_shape(const Series& s, const PlotLayout& L, bool markers) {
    SeriesShape sh;
    const Rect& r = L.area;
    auto usable = [&](size_t i) { return i < s.y.size() && L.usable(s.y[i]) && std::isfinite(s.x.empty() ? 0.0 : s.x[i]); };
    auto at = [&](size_t i) { return PointF{L.px(s.x.empty() ? (double)i : s.x[i]), L.py(s.y[i])}; };
    auto in = [&](PointF p) { return p.x >= r.x && p.x <= r.x + r.w && p.y >= r.y && p.y <= r.y + r.h; };
    for (size_t i = 0; i < s.y.size(); i++) {
        if (!usable(i)) continue;
        bool isolated = !(i > 0 && usable(i - 1)) && !usable(i + 1);
        if (in(at(i)) && (markers || isolated)) sh.dots.push_back(at(i));
    }
    std::vector<PointF> run;  // runs of usable points become pieces, clipped to the area
    auto flush = [&] {
        if (run.size() >= 2) sh.pieces.push_back(run);
        run.clear();
    };
    for (size_t i = 0; i + 1 < s.y.size(); i++) {
        if (!usable(i) || !usable(i + 1)) { flush(); continue; }
        PointF a = at(i), b = at(i + 1);
        bool a_in = in(a), b_in = in(b);
        if (!clip(a, b, (float)r.x, (float)r.y, (float)(r.x + r.w), (float)(r.y + r.h))) { flush(); continue; }
        if (!a_in) flush();  // re-entering the area starts a new piece
        if (run.empty()) run.push_back(a);
        run.push_back(b);
        if (!b_in) flush();  // leaving it ends the piece
    }
    flush();
    return sh;
}

bool covers_data(const Rect& box, const std::vector<SeriesShape>& shapes, int margin) {
    Rect g = box.grown(margin);
    float x0 = (float)g.x, y0 = (float)g.y, x1 = (float)(g.x + g.w), y1 = (float)(g.y + g.h);
    for (const SeriesShape& sh : shapes) {
        for (PointF p : sh.dots)
            if (p.x >= x0 && p.x <= x1 && p.y >= y0 && p.y <= y1) return true;
        for (const auto& piece : sh.pieces)
            for (size_t i = 0; i + 1 < piece.size(); i++) {
                PointF a = piece[i], b = piece[i + 1];
                if (clip(a, b, x0, y0, x1, y1)) return true;
            }
    }
    return false;
}

// ---- ranges ----------------------------------------------------------------------------------

// Range of the usable values, x or y (log10 units when the y axis is log).
static void data_range(const std::vector<Series>& ss, bool want_y, bool log_y, double& lo, double& hi) {
    lo = INFINITY, hi = -INFINITY;
    for (const Series& s : ss)
        for (size_t i = 0; i < s.y.size(); i++) {
            double xv = s.x.empty() ? (double)i : s.x[i], yv = s.y[i];
            if (!std::isfinite(xv) || !std::isfinite(yv) || (log_y && yv <= 0)) continue;
            double v = want_y ? (log_y ? std::log10(yv) : yv) : xv;
            lo = std::min(lo, v), hi = std::max(hi, v);
        }
}

static void axis_ranges(const std::vector<Series>& series, const PlotOptions& opt, PlotLayout& L) {
    double lo, hi;
    data_range(series, false, false, lo, hi);
    if (lo > hi) lo = 0, hi = 1;     // no data: an empty frame
    if (lo == hi) lo -= 1, hi += 1;  // one x: centre it
    if (opt.integer_x) lo = std::floor(lo), hi = std::ceil(hi);
    L.x_lo = std::isfinite(opt.xmin) ? opt.xmin : lo;
    L.x_hi = std::isfinite(opt.xmax) ? opt.xmax : hi;
    data_range(series, true, L.log_y, lo, hi);
    if (lo > hi) lo = 0, hi = 1;
    if (lo == hi) {  // constant series: a range around the value
        double pad = L.log_y ? 0.5 : (lo == 0 ? 1.0 : std::abs(lo) * 0.1);
        lo -= pad, hi += pad;
    } else {
        double m = 0.05 * (hi - lo);
        lo -= m, hi += m;
    }
    if (opt.integer_y && !L.log_y) lo = std::floor(lo), hi = std::ceil(hi);
    auto given = [&](double v) { return std::isfinite(v) && L.usable(v); };
    L.y_lo = given(opt.ymin) ? (L.log_y ? std::log10(opt.ymin) : opt.ymin) : lo;
    L.y_hi = given(opt.ymax) ? (L.log_y ? std::log10(opt.ymax) : opt.ymax) : hi;
    if (!(L.x_hi > L.x_lo) || !(L.y_hi > L.y_lo))
        fail("save_line_plot", "an axis range with min < max", "check PlotOptions xmin/xmax/ymin/ymax");
}

// ---- the frame: title, plot area, tick labels, axis labels --------------------------------------

static void place_title(const PlotOptions& opt, PlotLayout& L) {
    if (opt.title.empty()) return;
    const int room = L.width - 20;
    if (text_width(opt.title, 2) <= room) L.title_lines = {opt.title}, L.title_scale = 2;
    else L.title_lines = wrap_text(opt.title, room, 1), L.title_scale = 1;  // smaller, then wrapped
    int w = 0;
    for (const std::string& s : L.title_lines) w = std::max(w, text_width(s, L.title_scale));
    L.title = {(L.width - w) / 2, 8, w, (int)L.title_lines.size() * text_height(L.title_scale)};
}

// right_extra: room kept right of the area (for a legend outside it).
static void place_frame(const PlotOptions& opt, int right_extra, PlotLayout& L) {
    const int th = text_height(1), W = L.width, H = L.height;
    int ylab_w = 0;
    for (const std::string& s : L.yticks.labels) ylab_w = std::max(ylab_w, text_width(s, 1));
    int left = 10 + (opt.ylabel.empty() ? 0 : th + 6) + ylab_w + 8;
    int top = L.title.empty() ? 14 : L.title.y + L.title.h + 8;
    int bottom = th + 10 + (opt.xlabel.empty() ? 0 : th + 6) + 6;
    L.area = {left, top, W - left - 24 - right_extra, H - top - bottom};
    if (L.area.w < 40 || L.area.h < 40) fail("save_line_plot", "room for the plot area", "make width/height larger");
    L.xtick_boxes.clear(), L.ytick_boxes.clear();
    for (size_t i = 0; i < L.xticks.at.size(); i++) {  // centred under its tick, kept inside the figure
        int w = text_width(L.xticks.labels[i], 1), x = (int)std::lround(L.px(L.xticks.at[i])) - w / 2;
        L.xtick_boxes.push_back({std::clamp(x, 2, W - 2 - w), top + L.area.h + 6, w, th});
    }
    for (size_t i = 0; i < L.yticks.at.size(); i++) {
        int w = text_width(L.yticks.labels[i], 1), y = (int)std::lround(L.py(L.yticks.at[i]));
        L.ytick_boxes.push_back({left - 6 - w, y - th / 2, w, th});
    }
    L.xlabel = fit_text(opt.xlabel, W - 20, 1), L.ylabel = fit_text(opt.ylabel, L.area.h, 1);
    if (!opt.xlabel.empty()) {
        int w = text_width(L.xlabel, 1);
        L.xlabel_box = {std::clamp(left + (L.area.w - w) / 2, 10, W - 10 - w), H - th - 6, w, th};
    }
    if (!opt.ylabel.empty()) {
        int w = text_width(L.ylabel, 1);
        L.ylabel_box = {8, top + (L.area.h - w) / 2, th, w};  // beside the area, never beyond it
    }
}

// ---- the legend: a place in the area with no data under it, else outside the area ------------------

static void place_legend(const std::vector<Series>& series, const PlotOptions& opt, PlotLayout& L) {
    const int th = text_height(1);
    int named = 0, name_w = 0;
    for (const Series& s : series) {
        L.legend_names.push_back(fit_text(s.name, std::max(60, L.width / 3), 1));
        if (!s.name.empty()) named++, name_w = std::max(name_w, text_width(L.legend_names.back(), 1));
    }
    if (!opt.legend || named == 0) return;
    const int lw = 10 + 24 + 6 + name_w + 6, lh = 8 + named * (th + 4) + 4;
    std::vector<SeriesShape> shapes;
    for (const Series& s : series) shapes.push_back(series_shape(s, L, opt.markers));
    // Corners first (top-right, top-left, bottom-right, bottom-left), then the middles of the top,
    // the bottom, the right and the left side.
    auto spot = [&](int k) {
        const Rect& a = L.area;
        const int xs[3] = {a.x + a.w - lw - 8, a.x + 8, a.x + (a.w - lw) / 2};
        const int ys[3] = {a.y + 8, a.y + a.h - lh - 8, a.y + (a.h - lh) / 2};
        const int kx[8] = {0, 1, 0, 1, 2, 2, 0, 1}, ky[8] = {0, 0, 1, 1, 0, 1, 2, 2};
        return Rect{xs[kx[k]], ys[ky[k]], lw, lh};
    };
    for (int k = 0; k < 8; k++)
        if (!covers_data(spot(k), shapes, 4)) {
            L.legend = spot(k);
            return;
        }
    if (L.area.w - lw - 12 >= 120 && L.area.h >= lh) {  // outside, right of the area
        place_frame(opt, lw + 12, L);
        L.legend = {L.area.x + L.area.w + 12, L.area.y, lw, lh};
        L.legend_outside = true;
        return;
    }
    L.legend = spot(0);  // a figure too small for both: the top-right corner (drawn translucent)
}

PlotLayout plot_layout(const std::vector<Series>& series, const PlotOptions& opt) {
    if (opt.width < 160 || opt.height < 120)
        fail("save_line_plot", "a plot of at least 160x120 pixels, got " + std::to_string(opt.width) + "x" +
                                   std::to_string(opt.height));
    for (const Series& s : series)
        if (!s.x.empty() && s.x.size() != s.y.size())
            fail("save_line_plot", "series '" + s.name + "' with as many x as y values, got " +
                                       std::to_string(s.x.size()) + " and " + std::to_string(s.y.size()));
    PlotLayout L;
    L.width = opt.width, L.height = opt.height, L.log_y = opt.log_y;
    axis_ranges(series, opt, L);
    int xn = std::max(2, (opt.width - 100) / 90), yn = std::max(2, (opt.height - 80) / 50);
    L.xticks = axis_ticks(L.x_lo, L.x_hi, xn, false, opt.integer_x);
    L.yticks = axis_ticks(L.y_lo, L.y_hi, yn, L.log_y, opt.integer_y);
    place_title(opt, L);
    place_frame(opt, 0, L);
    place_legend(series, opt, L);
    return L;
}

}  // namespace attn
