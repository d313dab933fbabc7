#include "common/figures/plot.hpp"

#include "common/figures/font.hpp"
#include "common/figures/plot_layout.hpp"

namespace attn {

static const Color kGridColor{232, 232, 232}, kInk{40, 40, 40};

static Color series_color(const std::vector<Series>& series, size_t i) {
    return series[i].color ? *series[i].color : palette_color((int)i);
}

// Gridlines and tick marks with their numbers, the frame, the title and the axis labels.
static void draw_axes(Canvas& c, const PlotLayout& L) {
    const Rect& a = L.area;
    for (size_t i = 0; i < L.xticks.at.size(); i++) {
        int x = (int)std::lround(L.px(L.xticks.at[i]));
        c.fill_rect(x, a.y, 1, a.h, kGridColor);
        c.fill_rect(x, a.y + a.h, 1, 4, kInk);
        c.text(L.xtick_boxes[i].x, L.xtick_boxes[i].y, L.xticks.labels[i], kInk);
    }
    for (size_t i = 0; i < L.yticks.at.size(); i++) {
        int y = (int)std::lround(L.py(L.yticks.at[i]));
        c.fill_rect(a.x, y, a.w, 1, kGridColor);
        c.fill_rect(a.x - 4, y, 4, 1, kInk);
        c.text(L.ytick_boxes[i].x, L.ytick_boxes[i].y, L.yticks.labels[i], kInk);
    }
    c.rect(a.x - 1, a.y - 1, a.w + 2, a.h + 2, kInk);
    for (size_t i = 0; i < L.title_lines.size(); i++) {
        const std::string& s = L.title_lines[i];
        c.text((L.width - text_width(s, L.title_scale)) / 2, L.title.y + (int)i * text_height(L.title_scale), s, kBlack,
               L.title_scale);
    }
    if (!L.xlabel_box.empty()) c.text(L.xlabel_box.x, L.xlabel_box.y, L.xlabel, kInk);
    if (!L.ylabel_box.empty()) c.text_up(L.ylabel_box.x, L.ylabel_box.y + L.ylabel_box.h - 1, L.ylabel, kInk);
}

static void draw_series(Canvas& c, const PlotLayout& L, const std::vector<Series>& series, bool markers) {
    for (size_t si = 0; si < series.size(); si++) {
        Color col = series_color(series, si);
        SeriesShape sh = series_shape(series[si], L, markers);
        for (PointF p : sh.dots) c.fill_circle(p.x, p.y, 3.f, col);
        for (const auto& piece : sh.pieces) c.polyline(piece, col, 2.f, series[si].dashed ? 6 : 0);
    }
}

// One row per named series: a line sample in its colour and style, then its name.
static void draw_legend(Canvas& c, const PlotLayout& L, const std::vector<Series>& series) {
    const Rect& b = L.legend;
    if (b.empty()) return;
    c.fill_rect_alpha(b.x, b.y, b.w, b.h, kWhite, 0.85f);
    c.rect(b.x, b.y, b.w, b.h, Color{190, 190, 190});
    int y = b.y + 6;
    for (size_t si = 0; si < series.size(); si++) {
        if (series[si].name.empty()) continue;
        float ym = y + 7.5f;
        c.polyline({{(float)b.x + 8, ym}, {(float)b.x + 32, ym}}, series_color(series, si), 2.f,
                   series[si].dashed ? 6 : 0);
        c.text(b.x + 40, y + 1, L.legend_names[si], kInk);
        y += text_height(1) + 4;
    }
}

Canvas render_line_plot(const std::vector<Series>& series, const PlotOptions& opt) {
    PlotLayout L = plot_layout(series, opt);
    Canvas c(L.width, L.height, kWhite);
    draw_axes(c, L);
    draw_series(c, L, series, opt.markers);
    draw_legend(c, L, series);
    return c;
}

void save_line_plot(const std::string& path, const std::vector<Series>& series, const PlotOptions& opt) {
    render_line_plot(series, opt).save_png(path);
}

}  // namespace attn
