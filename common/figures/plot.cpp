#include "common/figures/plot.hpp"

#include <algorithm>
#include <cstdio>

#include "common/core/error.hpp"
#include "common/figures/font.hpp"

namespace attn {

double nice_step(double lo, double hi, int target) {
    if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return 1;
    double raw = (hi - lo) / std::max(target, 1);
    double mag = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 5.0})  // the smallest of 1, 2, 5, 10 × mag that is >= raw
        if (m * mag >= raw * (1 - 1e-9)) return m * mag;
    return 10 * mag;
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
    std::vector<double> ticks;
    if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return ticks;
    double step = nice_step(lo, hi, target);
    double eps = step * 1e-6;
    for (double v = std::ceil((lo - eps) / step) * step; v <= hi + eps; v += step)
        ticks.push_back(std::abs(v) < eps ? 0.0 : v);  // no "-0"
    return ticks;
}

std::string format_tick(double v, double step) {
    char buf[32];
    double a = std::abs(v);
    if (v != 0 && (a >= 1e6 || a < 1e-4)) {
        std::snprintf(buf, sizeof buf, "%.3g", v);
    } else {
        int decimals = step > 0 ? std::max(0, (int)std::ceil(-std::log10(step) - 1e-9)) : 2;
        std::snprintf(buf, sizeof buf, "%.*f", std::min(decimals, 6), v);
    }
    return buf;
}

namespace {

struct Axis {  // maps data values (after log10 when log) to pixels
    double lo, hi;
    bool log;
    double tr(double v) const { return log ? std::log10(v) : v; }
    bool ok(double v) const { return std::isfinite(v) && (!log || v > 0); }
};

// Liang–Barsky: clip segment a→b to the rectangle; false when nothing is left.
bool clip(PointF& a, PointF& b, float x0, float y0, float x1, float y1) {
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

// Data range of the usable values, in axis units.
void data_range(const std::vector<Series>& ss, bool want_y, const Axis& ax, double& lo, double& hi) {
    lo = INFINITY, hi = -INFINITY;
    for (const Series& s : ss)
        for (size_t i = 0; i < s.y.size(); i++) {
            double xv = s.x.empty() ? (double)i : s.x[i], yv = s.y[i];
            if (!std::isfinite(xv) || !ax.ok(yv) || !std::isfinite(yv)) continue;
            double v = want_y ? ax.tr(yv) : xv;
            lo = std::min(lo, v), hi = std::max(hi, v);
        }
}

// Log-axis ticks: decades, or 1-2-5 within each decade when the range is short.
std::vector<double> log_ticks(double lo, double hi) {  // lo, hi in log10 units; returns data values
    std::vector<double> t;
    bool fine = hi - lo < 2.5;
    for (int k = (int)std::floor(lo) - 1; k <= (int)std::ceil(hi); k++)
        for (double m : {1.0, 2.0, 5.0}) {
            if (m != 1.0 && !fine) continue;
            double v = m * std::pow(10.0, k), l = std::log10(v);
            if (l >= lo - 1e-9 && l <= hi + 1e-9) t.push_back(v);
        }
    return t;
}

}  // namespace

Canvas render_line_plot(const std::vector<Series>& series, const PlotOptions& opt) {
    if (opt.width < 160 || opt.height < 120)
        fail("save_line_plot", "a plot of at least 160x120 pixels, got " + std::to_string(opt.width) + "x" +
                                   std::to_string(opt.height));
    for (const Series& s : series)
        if (!s.x.empty() && s.x.size() != s.y.size())
            fail("save_line_plot", "series '" + s.name + "' with as many x as y values, got " +
                                       std::to_string(s.x.size()) + " and " + std::to_string(s.y.size()));
    Axis ax{0, 1, false}, ay{0, 1, opt.log_y};
    double lo, hi;
    data_range(series, false, ax, lo, hi);
    if (lo > hi) lo = 0, hi = 1;                                   // no data: an empty frame
    if (lo == hi) lo -= 1, hi += 1;                                // one x: centre it
    ax.lo = std::isfinite(opt.xmin) ? opt.xmin : lo;
    ax.hi = std::isfinite(opt.xmax) ? opt.xmax : hi;
    data_range(series, true, ay, lo, hi);
    if (lo > hi) lo = 0, hi = 1;
    if (lo == hi) {  // constant series: a range around the value
        double pad = ay.log ? 0.5 : (lo == 0 ? 1.0 : std::abs(lo) * 0.1);
        lo -= pad, hi += pad;
    } else {
        double m = 0.05 * (hi - lo);
        lo -= m, hi += m;
    }
    ay.lo = std::isfinite(opt.ymin) && ay.ok(opt.ymin) ? ay.tr(opt.ymin) : lo;
    ay.hi = std::isfinite(opt.ymax) && ay.ok(opt.ymax) ? ay.tr(opt.ymax) : hi;
    if (!(ax.hi > ax.lo) || !(ay.hi > ay.lo))
        fail("save_line_plot", "an axis range with min < max", "check PlotOptions xmin/xmax/ymin/ymax");

    // Tick values (in data units) and their labels decide the left margin.
    int xn = std::max(2, (opt.width - 100) / 90), yn = std::max(2, (opt.height - 80) / 50);
    std::vector<double> xt = nice_ticks(ax.lo, ax.hi, xn);
    std::vector<double> yt = ay.log ? log_ticks(ay.lo, ay.hi) : nice_ticks(ay.lo, ay.hi, yn);
    double xstep = nice_step(ax.lo, ax.hi, xn), ystep = nice_step(ay.lo, ay.hi, yn);
    std::vector<std::string> ylabels;
    int ylab_w = 0;
    for (double v : yt) {
        char buf[32];
        if (ay.log) std::snprintf(buf, sizeof buf, "%g", v);
        ylabels.push_back(ay.log ? std::string(buf) : format_tick(v, ystep));
        ylab_w = std::max(ylab_w, text_width(ylabels.back(), 1));
    }
    const int th = text_height(1);
    int left = 10 + (opt.ylabel.empty() ? 0 : th + 6) + ylab_w + 8;
    int top = opt.title.empty() ? 14 : text_height(2) + 16;
    int bottom = th + 10 + (opt.xlabel.empty() ? 0 : th + 6) + 6;
    int right = 24;
    int pw = opt.width - left - right, ph = opt.height - top - bottom;
    if (pw < 40 || ph < 40) fail("save_line_plot", "room for the plot area", "make width/height larger");

    Canvas c(opt.width, opt.height, kWhite);
    auto px = [&](double x) { return (float)(left + (x - ax.lo) / (ax.hi - ax.lo) * pw); };
    auto py = [&](double y) { return (float)(top + ph - (ay.tr(y) - ay.lo) / (ay.hi - ay.lo) * ph); };
    const Color grid{232, 232, 232}, ink{40, 40, 40};

    for (size_t i = 0; i < xt.size(); i++) {
        int x = (int)std::lround(px(xt[i]));
        c.fill_rect(x, top, 1, ph, grid);
        c.fill_rect(x, top + ph, 1, 4, ink);
        std::string s = format_tick(xt[i], xstep);
        c.text(x - text_width(s, 1) / 2, top + ph + 6, s, ink);
    }
    for (size_t i = 0; i < yt.size(); i++) {
        int y = (int)std::lround(py(yt[i]));
        c.fill_rect(left, y, pw, 1, grid);
        c.fill_rect(left - 4, y, 4, 1, ink);
        c.text(left - 6 - text_width(ylabels[i], 1), y - th / 2, ylabels[i], ink);
    }
    c.rect(left - 1, top - 1, pw + 2, ph + 2, ink);
    if (!opt.title.empty()) c.text((opt.width - text_width(opt.title, 2)) / 2, 8, opt.title, kBlack, 2);
    if (!opt.xlabel.empty())
        c.text(left + (pw - text_width(opt.xlabel, 1)) / 2, opt.height - th - 6, opt.xlabel, ink);
    if (!opt.ylabel.empty()) c.text_up(8, top + (ph + text_width(opt.ylabel, 1)) / 2, opt.ylabel, ink);

    // The series: runs of usable points become polylines, clipped to the plot area.
    std::vector<PointF> all_pts;  // for placing the legend
    for (size_t si = 0; si < series.size(); si++) {
        const Series& s = series[si];
        Color col = s.color ? *s.color : palette_color((int)si);
        int dash = s.dashed ? 6 : 0;
        auto usable = [&](size_t i) { return i < s.y.size() && ay.ok(s.y[i]) && std::isfinite(s.x.empty() ? 0.0 : s.x[i]); };
        auto at = [&](size_t i) { return PointF{px(s.x.empty() ? (double)i : s.x[i]), py(s.y[i])}; };
        for (size_t i = 0; i < s.y.size(); i++) {
            if (!usable(i)) continue;
            PointF p = at(i);
            bool in = p.x >= left && p.x <= left + pw && p.y >= top && p.y <= top + ph;
            if (in) all_pts.push_back(p);
            bool isolated = !(i > 0 && usable(i - 1)) && !usable(i + 1);
            if (in && (opt.markers || isolated)) c.fill_circle(p.x, p.y, 3.f, col);
        }
        std::vector<PointF> run;
        auto flush = [&] {
            if (run.size() >= 2) c.polyline(run, col, 2.f, dash);
            run.clear();
        };
        for (size_t i = 0; i + 1 < s.y.size(); i++) {
            if (!usable(i) || !usable(i + 1)) { flush(); continue; }
            PointF a = at(i), b = at(i + 1);
            auto in = [&](PointF p) { return p.x >= left && p.x <= left + pw && p.y >= top && p.y <= top + ph; };
            bool a_in = in(a), b_in = in(b);
            if (!clip(a, b, (float)left, (float)top, (float)(left + pw), (float)(top + ph))) { flush(); continue; }
            if (!a_in) flush();  // re-entering the area starts a new piece
            if (run.empty()) run.push_back(a);
            run.push_back(b);
            if (!b_in) flush();  // leaving it ends the piece
        }
        flush();
    }

    // Legend: in the corner of the plot area with the fewest points under it.
    int named = 0, name_w = 0;
    for (const Series& s : series)
        if (!s.name.empty()) named++, name_w = std::max(name_w, text_width(s.name, 1));
    if (opt.legend && named > 0) {
        int lw = 10 + 24 + 6 + name_w + 6, lh = 8 + named * (th + 4) + 4;
        int best = 0, best_count = 1 << 30;
        for (int corner = 0; corner < 4; corner++) {  // top-right, top-left, bottom-right, bottom-left
            int lx = corner % 2 == 0 ? left + pw - lw - 8 : left + 8;
            int ly = corner < 2 ? top + 8 : top + ph - lh - 8;
            int n = 0;
            for (PointF p : all_pts) n += p.x >= lx && p.x <= lx + lw && p.y >= ly && p.y <= ly + lh;
            if (n < best_count) best_count = n, best = corner;
        }
        int lx = best % 2 == 0 ? left + pw - lw - 8 : left + 8;
        int ly = best < 2 ? top + 8 : top + ph - lh - 8;
        c.fill_rect_alpha(lx, ly, lw, lh, kWhite, 0.85f);
        c.rect(lx, ly, lw, lh, Color{190, 190, 190});
        int y = ly + 6;
        for (size_t si = 0; si < series.size(); si++) {
            const Series& s = series[si];
            if (s.name.empty()) continue;
            Color col = s.color ? *s.color : palette_color((int)si);
            float ym = y + 7.5f;
            c.polyline({{(float)lx + 8, ym}, {(float)lx + 32, ym}}, col, 2.f, s.dashed ? 6 : 0);
            c.text(lx + 40, y + 1, s.name, ink);
            y += th + 4;
        }
    }
    return c;
}

void save_line_plot(const std::string& path, const std::vector<Series>& series, const PlotOptions& opt) {
    render_line_plot(series, opt).save_png(path);
}

}  // namespace attn
