// Tests for the layout rules of the figures (plot_layout.hpp, heatmap_layout.hpp, colorbar.hpp,
// ticks.hpp): punctuation labels are seen, no label leaves the figure or runs into another, the
// legend covers no data, integer axes have integer ticks, a figure of panels has one colour bar.
#include <doctest/doctest.h>

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "common/figures/colorbar.hpp"
#include "common/figures/font.hpp"
#include "common/figures/heatmap.hpp"
#include "common/figures/heatmap_layout.hpp"
#include "common/figures/image_grid.hpp"
#include "common/figures/plot.hpp"
#include "common/figures/plot_layout.hpp"

using namespace attn;

namespace {

int count_color_in(const Canvas& c, Color col, const Rect& r) {
    int n = 0;
    for (int y = r.y; y < r.y + r.h; y++)
        for (int x = r.x; x < r.x + r.w; x++) n += c.get(x, y) == col;
    return n;
}

// No two boxes of the list overlap.
void check_apart(const std::vector<Rect>& boxes) {
    for (size_t i = 0; i < boxes.size(); i++)
        for (size_t j = i + 1; j < boxes.size(); j++) {
            CAPTURE(i);
            CAPTURE(j);
            CHECK_FALSE(boxes[i].overlaps(boxes[j]));
        }
}

std::vector<float> ramp(int rows, int cols) {  // values in [0.1, 0.9], never the colour range's ends
    std::vector<float> v((size_t)rows * cols);
    for (size_t i = 0; i < v.size(); i++) v[i] = 0.1f + 0.8f * (float)i / (float)(v.size() - 1);
    return v;
}

// The lines of chapter 02's BLEU-by-length figure: points at the bucket centres 3.5, 4.5, 5.5,
// two lines near the top of the axis (through both top corners), two lower.
std::vector<Series> bleu_by_length() {
    std::vector<double> mid = {3.5, 4.5, 5.5};
    return {{"ch02 greedy", mid, {38.4, 38.5, 38.6}, {}, false},
            {"ch02 beam=5", mid, {39.6, 39.8, 39.9}, {}, false},
            {"ch01 greedy", mid, {29.4, 28.5, 27.7}, {}, true},
            {"ch01 beam", mid, {31.0, 30.2, 29.4}, {}, true}};
}

}  // namespace

TEST_CASE("heatmap labels: punctuation is upright and visible, words read upwards, all inside and apart") {
    std::vector<std::string> src = {"well", ",", "it", "'", "s", "fine", "?", "!", "«", ".", "<eos>"};
    std::vector<std::string> tgt = {"eh", "bien", ",", "c", "'", "est", ".", "<eos>"};
    CHECK(is_symbol_token(","));
    CHECK(is_symbol_token("?!"));
    CHECK(is_symbol_token("…"));
    CHECK_FALSE(is_symbol_token("<eos>"));
    CHECK_FALSE(is_symbol_token("à"));
    CHECK_FALSE(is_symbol_token("s"));
    CHECK_FALSE(is_symbol_token(""));
    std::vector<float> v = ramp((int)tgt.size(), (int)src.size());
    HeatmapOptions opt;
    opt.title = "Punctuation";
    opt.xlabel = "source", opt.ylabel = "output";
    HeatmapLayout L = heatmap_layout((int)tgt.size(), (int)src.size(), tgt, src, opt, 0.1f, 0.9f);
    const Rect figure{0, 0, L.width, L.height};
    std::vector<Rect> cols, rows;
    for (const TokenLabel& t : L.cols) {
        CAPTURE(t.text);
        CHECK(t.chip == is_symbol_token(t.text));
        CHECK(t.rotated == !t.chip);
        if (t.chip) CHECK(t.scale == 2);  // the cells are wide enough for the large size
        CHECK(figure.contains(t.box));
        CHECK(t.box.y + t.box.h <= L.grid.y);  // above the grid
        cols.push_back(t.box);
    }
    for (const TokenLabel& t : L.rows) {
        CAPTURE(t.text);
        CHECK(t.chip == is_symbol_token(t.text));
        CHECK_FALSE(t.rotated);
        CHECK(figure.contains(t.box));
        CHECK(t.box.x + t.box.w <= L.grid.x);  // left of the grid
        rows.push_back(t.box);
    }
    check_apart(cols);
    check_apart(rows);
    for (const Rect& r : {L.title, L.xlabel, L.ylabel, L.grid, L.bar}) CHECK(figure.contains(r));
    check_apart({L.title, L.xlabel, L.ylabel, L.grid, L.bar});

    // Drawn: the lone "." above column 9 leaves its 2×2 glyph at scale 2 (16 black pixels) on a chip,
    // where reading upwards at scale 1 it left 4.
    Canvas c = render_heatmap(v.data(), (int)tgt.size(), (int)src.size(), tgt, src, opt);
    CHECK(c.w == L.width);
    CHECK(c.h == L.height);
    CHECK(count_color_in(c, kBlack, L.cols[9].box) == 16);
    CHECK(count_color_in(c, kBlack, L.cols[1].box) >= 16);  // the ","
    CHECK(count_color_in(c, Color{236, 236, 236}, L.cols[9].box) > 100);  // the chip around it
}

TEST_CASE("heatmap labels: long title and axis labels on a small map grow the figure; nothing is cut") {
    std::vector<float> v = ramp(2, 3);
    HeatmapOptions opt;
    opt.title = "A title far wider than a two by three map";
    opt.xlabel = "a source axis label much wider than the grid";
    opt.ylabel = "a long output axis label, taller than the grid";
    std::vector<std::string> rl = {"a", "une phrase très longue qui sera coupée"}, cl = {"x", "...", "y"};
    HeatmapLayout L = heatmap_layout(2, 3, rl, cl, opt, 0.1f, 0.9f);
    const Rect figure{0, 0, L.width, L.height};
    for (const Rect& r : {L.title, L.xlabel, L.ylabel, L.grid, L.bar}) CHECK(figure.contains(r));
    for (const TokenLabel& t : L.rows) CHECK(figure.contains(t.box));
    for (const TokenLabel& t : L.cols) CHECK(figure.contains(t.box));
    CHECK(L.rows[1].text == utf8_truncate(rl[1], opt.max_label_chars));  // cut, ending in "…"
    CHECK(L.cols[1].chip);  // "..." fits its 48-pixel cell upright
    HeatmapOptions small = opt;
    small.cell = 15;
    CHECK(heatmap_layout(2, 3, rl, cl, small, 0.1f, 0.9f).cols[1].rotated);  // not a 15-pixel one: upwards
    Canvas c = render_heatmap(v.data(), 2, 3, rl, cl, opt);
    CHECK(c.w == L.width);
    CHECK(c.h == L.height);
}

TEST_CASE("colour bar: ends and ticks read alike; a figure of panels has exactly one colour bar") {
    std::vector<ColorbarTick> t = colorbar_ticks(0.f, 1.f, 240);
    std::set<std::string> labels;
    for (const ColorbarTick& k : t) labels.insert(k.label);
    CHECK(labels == std::set<std::string>{"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"});
    t = colorbar_ticks(0.f, 0.982f, 240);
    CHECK(t[0].label == "0.982");  // an end off the tick steps keeps its digits
    CHECK(t[1].label == "0.0");

    // Four panels of different sizes on the range [0, 1]; their values stay inside (0.1 .. 0.9), so
    // the top colour of the map appears only in colour bars: in one column run as wide as one bar.
    std::vector<std::vector<float>> mats = {ramp(5, 5), ramp(6, 6), ramp(6, 7), ramp(4, 7)};
    std::vector<HeatmapPanel> panels;
    for (size_t k = 0; k < mats.size(); k++) {
        int r = k == 0 ? 5 : k == 3 ? 4 : 6, c = k == 0 ? 5 : k == 1 ? 6 : 7;
        panels.push_back({mats[k].data(), r, c, std::vector<std::string>(r, "w"), std::vector<std::string>(c, "."),
                          "panel " + std::to_string(k)});
    }
    HeatmapOptions opt;
    opt.title = "one scale";
    opt.vmin = 0, opt.vmax = 1;
    Canvas g = render_heatmap_grid(panels, 2, opt);
    std::set<int> top_cols;
    for (int y = 0; y < g.h; y++)
        for (int x = 0; x < g.w; x++)
            if (g.get(x, y) == colormap_viridis(1.f)) top_cols.insert(x);
    REQUIRE_FALSE(top_cols.empty());
    CHECK(*top_cols.rbegin() - *top_cols.begin() + 1 == kColorbarW);
    CHECK((int)top_cols.size() == kColorbarW);
}

TEST_CASE("ticks: integer axes tick whole numbers only, labelled without decimals") {
    AxisTicks t = axis_ticks(3, 6, 6, false, true);
    CHECK(t.at == std::vector<double>{3, 4, 5, 6});
    CHECK(t.labels == std::vector<std::string>{"3", "4", "5", "6"});
    for (auto [lo, hi] : std::vector<std::pair<double, double>>{{0.2, 2.7}, {1, 3}, {-7.5, 12.25}, {0, 997}, {3.5, 5.5}}) {
        t = axis_ticks(lo, hi, 6, false, true);
        CAPTURE(lo);
        CAPTURE(hi);
        CHECK_FALSE(t.at.empty());
        for (size_t i = 0; i < t.at.size(); i++) {
            CHECK(t.at[i] == std::round(t.at[i]));
            CHECK(t.labels[i].find('.') == std::string::npos);
            CHECK(t.at[i] >= lo);
            CHECK(t.at[i] <= hi);
        }
    }
    t = axis_ticks(3.5, 5.5, 6, false, false);  // without the option: the half steps
    CHECK(t.labels.front() == "3.5");
    CHECK(t.labels.back() == "5.5");
}

TEST_CASE("line plot: integer_x ticks the bucket centres' axis at integers; the points stay at the centres") {
    PlotOptions opt;
    opt.title = "BLEU by length", opt.xlabel = "source length (tokens)", opt.ylabel = "BLEU";
    opt.ymin = 0, opt.markers = true, opt.integer_x = true;
    PlotLayout L = plot_layout(bleu_by_length(), opt);
    CHECK(L.x_lo == 3);  // widened to whole numbers around 3.5 .. 5.5
    CHECK(L.x_hi == 6);
    CHECK(L.xticks.labels == std::vector<std::string>{"3", "4", "5", "6"});
    CHECK(L.px(3.5) == doctest::Approx((L.px(3) + L.px(4)) / 2));
    opt.integer_y = true;
    L = plot_layout(bleu_by_length(), opt);
    for (double v : L.yticks.at) CHECK(v == std::round(v));
    opt.integer_x = false, opt.integer_y = false;
    L = plot_layout(bleu_by_length(), opt);
    CHECK(L.xticks.labels.front() == "3.5");  // the old look, still there for real-valued axes
}

TEST_CASE("line plot: the legend covers no line or point") {
    PlotOptions opt;
    opt.title = "BLEU by length", opt.xlabel = "source length (tokens)", opt.ylabel = "BLEU";
    opt.ymin = 0, opt.markers = true, opt.integer_x = true;
    std::vector<Series> s = bleu_by_length();
    PlotLayout L = plot_layout(s, opt);
    REQUIRE_FALSE(L.legend.empty());
    CHECK_FALSE(L.legend_outside);
    std::vector<SeriesShape> shapes;
    for (const Series& x : s) shapes.push_back(series_shape(x, L, opt.markers));
    CHECK_FALSE(covers_data(L.legend, shapes, 3));
    CHECK(L.legend.y > L.area.y + L.area.h / 2);  // the top corners hold the lines: it went down

    // In pixels: every pixel the legend changes was background or gridline before it.
    PlotOptions bare = opt;
    bare.legend = false;
    Canvas with = render_line_plot(s, opt), without = render_line_plot(s, bare);
    REQUIRE(with.w == without.w);
    int changed = 0;
    for (int y = 0; y < with.h; y++)
        for (int x = 0; x < with.w; x++) {
            if (with.get(x, y) == without.get(x, y)) continue;
            changed++;
            Color before = without.get(x, y);
            CAPTURE(x);
            CAPTURE(y);
            CHECK((before == kWhite || before == Color{232, 232, 232}));
        }
    CHECK(changed > 100);

    // Lines through every corner and every side: the legend goes outside the area, inside the figure.
    Series up{"rising", {}, {}, {}, false}, down{"falling", {}, {}, {}, false}, zig{"zigzag", {}, {}, {}, false};
    for (int i = 0; i <= 20; i++) up.y.push_back(i), down.y.push_back(20 - i), zig.y.push_back(i % 2 ? 19 : 1);
    L = plot_layout({up, down, zig}, opt);
    CHECK(L.legend_outside);
    CHECK_FALSE(L.legend.overlaps(L.area.grown(1)));
    CHECK(Rect{0, 0, L.width, L.height}.contains(L.legend));
}

TEST_CASE("line plot: a long title wraps, long labels are cut, tick labels stay inside the figure") {
    PlotOptions opt;
    opt.title = "A title much too long to fit on one line at the large size of a small figure";
    opt.xlabel = "the number of training examples seen so far, counted one by one from the start";
    opt.ylabel = "parameter updates per second, all layers together";
    opt.width = 360, opt.height = 260;
    Series big{"a series name much longer than a third of the figure's width", {}, {}, {}, false};
    for (int i = 0; i < 12; i++) big.x.push_back(1e6 + 2.5e5 * i), big.y.push_back(1234567.0 + 87654.0 * i * i);
    PlotLayout L = plot_layout({big}, opt);
    const Rect figure{0, 0, L.width, L.height};
    CHECK(L.title_lines.size() >= 2);
    CHECK(L.title_scale == 1);
    std::vector<Rect> parts = {L.title, L.xlabel_box, L.ylabel_box, L.legend};
    for (const Rect& r : L.xtick_boxes) parts.push_back(r);
    for (const Rect& r : L.ytick_boxes) parts.push_back(r);
    for (const Rect& r : parts) CHECK(figure.contains(r));
    CHECK(L.ylabel_box.y >= L.area.y);  // beside the plot area, clear of the title
    CHECK(L.ylabel_box.y + L.ylabel_box.h <= L.area.y + L.area.h);
    CHECK(L.xlabel.size() < opt.xlabel.size());
    CHECK(L.legend.x + L.legend.w <= L.area.x + L.area.w);
    check_apart({L.title, L.xlabel_box, L.ylabel_box, L.area});
    Canvas c = render_line_plot({big}, opt);
    CHECK(c.w == 360);
}

TEST_CASE("text fitting: cut with an ellipsis, wrapped between words") {
    CHECK(fit_text("abcdef", 6 * kFontCellW, 1) == "abcdef");
    CHECK(fit_text("abcdef", 4 * kFontCellW, 1) == "abc…");
    CHECK(fit_text("abcdef", 4 * kFontCellW * 2, 2) == "abc…");
    std::vector<std::string> lines = wrap_text("the quick brown fox jumps", 11 * kFontCellW, 1);
    CHECK(lines == std::vector<std::string>{"the quick", "brown fox", "jumps"});
    CHECK(wrap_text("anticonstitutionnellement", 6 * kFontCellW, 1) == std::vector<std::string>{"antic…"});
    CHECK(wrap_text("", 60, 1).empty());
}

TEST_CASE("image captions: a line wider than its image widens the tile instead of being cut") {
    std::vector<float> img(28 * 28, 0.5f);
    ImagePanel p;
    p.image = img.data(), p.rows = 28, p.cols = 28;
    p.caption = "end: 7\n[1.0 0.0 -0.2;\n -0.1 0.9 -0.3]";  // 15 characters: wider than 84 pixels
    Canvas c = render_image_panel(p, 3);
    CHECK(c.w == text_width(" -0.1 0.9 -0.3]", 1));
    CHECK(c.get(c.w - 3, 84 + 4 + 2 * text_height(1) + 5) == kBlack);  // the "]" is drawn
    p.caption = std::string(60, 'x');  // past 40 characters a line is cut
    CHECK(render_image_panel(p, 3).w == 40 * kFontCellW);
}

TEST_CASE("compose_grid: each row as tall as its tallest tile, each column as wide as its widest") {
    std::vector<Canvas> tiles = {Canvas(10, 40), Canvas(30, 10), Canvas(20, 5), Canvas(6, 8)};
    GridPlan g = plan_grid(tiles, 2, 4);
    CHECK(g.w == 4 + 20 + 4 + 30 + 4);
    CHECK(g.h == 4 + 40 + 4 + 8 + 4);  // the second row is as tall as its own tiles, not the first row's
    CHECK(g.y == std::vector<int>{4, 4, 48, 48});
    CHECK(g.x == std::vector<int>{4 + 5, 28, 4, 28 + 12});  // centred in their columns
    Canvas c = compose_grid(tiles, 2, "", 4);
    CHECK(c.w == g.w);
    CHECK(c.h == g.h);
}
