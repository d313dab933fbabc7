// Tests for the figure toolkit: font, colormap, canvas, heatmap, line plot, image grid, ASCII heatmap.
// PNGs go to a temporary directory, are decoded back with read_png, and are removed at the end.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <set>
#include <string>
#include <unistd.h>
#include <vector>

#include "common/figures/ascii_heatmap.hpp"
#include "common/figures/canvas.hpp"
#include "common/figures/colormap.hpp"
#include "common/core/error.hpp"
#include "common/figures/font.hpp"
#include "common/figures/heatmap.hpp"
#include "common/figures/image_grid.hpp"
#include "common/figures/plot.hpp"
#include "common/figures/png.hpp"

using namespace attn;
namespace fs = std::filesystem;

namespace {

struct TempDir {  // a fresh directory per test case, removed with everything in it
    fs::path dir;
    TempDir() {
        dir = fs::temp_directory_path() / ("attn_test_figures_" + std::to_string(getpid()));
        fs::create_directories(dir);
    }
    ~TempDir() { fs::remove_all(dir); }
    std::string file(const std::string& name) const { return (dir / name).string(); }
};

Color pixel(const Image8& im, int x, int y) {
    const uint8_t* p = &im.pixels[((size_t)y * im.width + x) * im.channels];
    return Color{p[0], p[1], p[2]};
}

int count_color(const Image8& im, Color c) {
    int n = 0;
    for (int y = 0; y < im.height; y++)
        for (int x = 0; x < im.width; x++) n += pixel(im, x, y) == c;
    return n;
}

int count_not(const Canvas& c, Color bg, int x0, int y0, int x1, int y1) {  // in [x0,x1) × [y0,y1)
    int n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) n += !(c.get(x, y) == bg);
    return n;
}

}  // namespace

TEST_CASE("font: every printable ASCII character and every French letter has a real glyph") {
    for (char32_t cp = 0x20; cp <= 0x7E; cp++) {
        CAPTURE((int)cp);
        CHECK(font_has_glyph(cp));
        GlyphRows g = font_glyph(cp);
        int ink = 0;
        for (uint8_t r : g) ink += r != 0;
        CHECK((cp == ' ') == (ink == 0));  // only the space is blank
    }
    const std::string french = "àâäçéèêëîïôöùûüÿœæÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒÆ«»’";
    std::vector<char32_t> cps = utf8_decode(french);
    CHECK(cps.size() == 39);
    GlyphRows box = font_glyph(U'漢');
    CHECK_FALSE(font_has_glyph(U'漢'));
    for (char32_t cp : cps) {
        CAPTURE((int)cp);
        CHECK(font_has_glyph(cp));
        CHECK(font_glyph(cp) != box);
    }
    // an accent really changes the glyph, and an accented capital differs from the small letter
    CHECK(font_glyph(U'é') != font_glyph(U'e'));
    CHECK(font_glyph(U'é') != font_glyph(U'è'));
    CHECK(font_glyph(U'É') != font_glyph(U'é'));
    CHECK(font_glyph(U'ç') != font_glyph(U'c'));
}

TEST_CASE("font: UTF-8 decoding, widths and truncation count characters, not bytes") {
    CHECK(utf8_length("très") == 4);
    CHECK(text_width("très", 1) == 4 * kFontCellW);
    CHECK(text_width("très", 3) == 4 * kFontCellW * 3);
    CHECK(text_height(2) == 2 * kFontCellH);
    std::vector<char32_t> bad = utf8_decode("a\xff" "b\xc3");  // a stray byte and a cut sequence
    REQUIRE(bad.size() == 4);
    CHECK(bad[1] == 0xFFFD);
    CHECK(bad[3] == 0xFFFD);
    CHECK(utf8_truncate("abcdef", 4) == "abc…");
    CHECK(utf8_truncate("déjà", 4) == "déjà");
    CHECK(utf8_truncate("éééééé", 3) == "éé…");
    for (char32_t cp : {U'a', U'é', U'’', U'漢', U'😀'}) CHECK(utf8_decode(utf8_encode(cp)) == std::vector<char32_t>{cp});
}

TEST_CASE("colormap: viridis ends at its published colours and its luminance rises monotonically") {
    CHECK(colormap_viridis(0.f) == Color{68, 1, 84});
    CHECK(colormap_viridis(1.f) == Color{253, 231, 37});
    CHECK(colormap_viridis(-3.f) == colormap_viridis(0.f));  // clamped
    CHECK(colormap_viridis(7.f) == colormap_viridis(1.f));
    CHECK(colormap_viridis(NAN) == colormap_viridis(0.f));
    float prev = -1;
    for (int i = 0; i <= 64; i++) {
        float l = luminance(colormap_viridis(i / 64.f));
        CAPTURE(i);
        CHECK(l > prev);
        prev = l;
    }
    // the diverging map is dark-ish at both ends and lightest in the middle
    float mid = luminance(colormap_coolwarm(0.5f));
    CHECK(mid > luminance(colormap_coolwarm(0.f)));
    CHECK(mid > luminance(colormap_coolwarm(1.f)));
    CHECK(colormap_greys(0.f) == kWhite);
    CHECK(colormap_greys(1.f) == kBlack);
    CHECK(palette_color(0) == palette_color(10));
    CHECK_FALSE(palette_color(0) == palette_color(1));
}

TEST_CASE("canvas: pixels, blending, lines, rectangles, text and a PNG of the stated size") {
    Canvas c(40, 30, kWhite);
    CHECK(c.rgb.size() == 40 * 30 * 3);
    CHECK(c.get(39, 29) == kWhite);
    c.set(3, 4, kRed);
    CHECK(c.get(3, 4) == kRed);
    c.set(-1, 100, kRed);  // clipped, no crash
    c.blend(5, 5, kBlack, 0.5f);
    CHECK(c.get(5, 5) == Color{128, 128, 128});

    Canvas l(20, 20, kWhite);
    l.line(2, 3, 12, 3, kBlue);  // horizontal: 11 pixels, endpoints included
    CHECK(count_not(l, kWhite, 0, 0, 20, 20) == 11);
    l.line(0, 0, 19, 19, kBlue, 1);  // a diagonal passes through every (i, i)
    for (int i = 0; i < 20; i++) CHECK(l.get(i, i) == kBlue);

    Canvas r(20, 20, kWhite);
    r.rect(2, 2, 10, 8, kGreen);
    CHECK(count_not(r, kWhite, 0, 0, 20, 20) == 2 * 10 + 2 * 6);
    CHECK(r.get(5, 5) == kWhite);  // an outline only
    r.fill_rect(2, 2, 10, 8, kGreen);
    CHECK(count_not(r, kWhite, 0, 0, 20, 20) == 80);
    r.fill_rect_alpha(0, 0, 20, 20, kBlack, 0.25f);
    CHECK(r.get(19, 19) == Color{191, 191, 191});

    // text draws ink inside its box and nothing outside it
    Canvas t(100, 40, kWhite);
    int w = t.text(10, 5, "Été", kBlack, 2);
    CHECK(w == 3 * kFontCellW * 2);
    CHECK(count_not(t, kWhite, 10, 5, 10 + w, 5 + text_height(2)) > 40);
    CHECK(count_not(t, kWhite, 0, 0, 100, 40) == count_not(t, kWhite, 10, 5, 10 + w, 5 + text_height(2)));
    // rotated text occupies [x, x + height) × (y − width, y]
    Canvas u(40, 60, kWhite);
    int wu = u.text_up(5, 50, "abc", kBlack);
    CHECK(count_not(u, kWhite, 5, 50 - wu, 5 + text_height(1), 50) > 20);
    CHECK(count_not(u, kWhite, 0, 0, 40, 60) == count_not(u, kWhite, 5, 50 - wu, 5 + text_height(1), 50));

    // a grey image at scale 3, and an overlay whose largest value takes the top colour
    float img[4] = {0.f, 1.f, 0.5f, 2.f};
    Canvas g(6, 6, kRed);
    g.draw_grey_image(0, 0, img, 2, 2, 3);
    CHECK(g.get(0, 0) == kBlack);
    CHECK(g.get(5, 0) == kWhite);
    CHECK(g.get(1, 4) == Color{128, 128, 128});
    CHECK(g.get(5, 5) == kWhite);  // clamped
    float heat[4] = {0.f, 1.f, 3.f, NAN};
    Canvas h(4, 4, kWhite);
    h.draw_heat_overlay(0, 0, heat, 2, 2, 2, 1.f);
    CHECK(h.get(0, 2) == colormap_viridis(1.f));
    CHECK(h.get(0, 0) == colormap_viridis(0.f));
    CHECK(h.get(3, 3) == kWhite);  // NaN left undrawn

    TempDir tmp;
    c.save_png(tmp.file("c.png"));
    Image8 im = read_png(tmp.file("c.png"));
    CHECK(im.width == 40);
    CHECK(im.height == 30);
    CHECK(pixel(im, 3, 4) == kRed);
    CHECK_THROWS_AS(c.save_png("/nonexistent_dir_attn/c.png"), attn::Error);
    CHECK_THROWS_AS(Canvas(0, 10), attn::Error);
}

TEST_CASE("heatmap: the max cell has the top colour, cells sit where they should, labels are checked") {
    TempDir tmp;
    const int rows = 3, cols = 4, cell = 20;
    std::vector<float> v(rows * cols, 0.f);
    v[1 * cols + 2] = 5.f;   // the maximum, at row 1, column 2
    v[2 * cols + 3] = NAN;   // non-finite: light grey
    HeatmapOptions opt;
    opt.cell = cell;
    opt.show_values = 0;
    opt.colorbar = false;
    std::vector<std::string> rl = {"je", "très", "content"}, cl = {"i", "am", "very", "happy"};
    save_heatmap(tmp.file("h.png"), v.data(), rows, cols, rl, cl, opt);
    Image8 im = read_png(tmp.file("h.png"));
    Canvas ref = render_heatmap(v.data(), rows, cols, rl, cl, opt);
    CHECK(im.width == ref.w);
    CHECK(im.height == ref.h);
    CHECK(count_color(im, colormap_viridis(1.f)) == cell * cell);
    CHECK(count_color(im, colormap_viridis(0.f)) == (rows * cols - 2) * cell * cell);
    CHECK(count_color(im, kLightGrey) == cell * cell);
    // the max cell is one row below and two columns right of the top-left cell
    int x0 = im.width, y0 = im.height, mx = im.width, my = im.height;
    for (int y = 0; y < im.height; y++)
        for (int x = 0; x < im.width; x++) {
            if (pixel(im, x, y) == colormap_viridis(0.f)) x0 = std::min(x0, x), y0 = std::min(y0, y);
            if (pixel(im, x, y) == colormap_viridis(1.f)) mx = std::min(mx, x), my = std::min(my, y);
        }
    CHECK(mx - x0 == 2 * cell);
    CHECK(my - y0 == 1 * cell);

    // with a title, labels and a colour bar there is more ink, and the size grows
    HeatmapOptions full;
    full.title = "Alignement « très » bon";
    full.xlabel = "source";
    full.ylabel = "target";
    Canvas big = render_heatmap(v.data(), rows, cols, rl, cl, full);
    CHECK(big.w > ref.w);
    CHECK(big.h > ref.h);

    CHECK_THROWS_AS(save_heatmap(tmp.file("x.png"), v.data(), rows, cols, {"only one"}, cl, opt), attn::Error);
    CHECK_THROWS_AS(save_heatmap("/nonexistent_dir_attn/h.png", v.data(), rows, cols, rl, cl, opt), attn::Error);

    std::vector<float> v2(rows * cols, 0.25f);
    save_heatmap_grid(tmp.file("grid.png"), {{v.data(), rows, cols, rl, cl, "a"}, {v2.data(), rows, cols, rl, cl, "b"}},
                      2, full);
    Image8 g = read_png(tmp.file("grid.png"));
    HeatmapOptions no_bar = full;
    no_bar.colorbar = false;
    Canvas panel = render_heatmap(v.data(), rows, cols, rl, cl, no_bar);
    CHECK(g.width > 2 * panel.w);  // two panels side by side ...
    CHECK(g.width < 2 * big.w);    // ... and one colour bar for both, not one each
}

TEST_CASE("line plot: stated size, series colours drawn, NaN gaps, single points and constant series") {
    TempDir tmp;
    PlotOptions opt;
    opt.title = "loss";
    opt.xlabel = "epoch";
    opt.ylabel = "nats";
    opt.width = 400;
    opt.height = 300;
    Color red{200, 10, 10}, blue{10, 10, 200};
    std::vector<Series> s = {{"train", {0, 1, 2, 3, 4, 5, 6}, {1, 1, 1, NAN, 1, 1, 1}, red, false},
                             {"valid", {0, 1, 2, 3, 4, 5, 6}, {0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6}, blue, true}};  // never crosses red
    opt.legend = false;  // (its line sample would be red too)
    save_line_plot(tmp.file("p.png"), s, opt);
    Image8 im = read_png(tmp.file("p.png"));
    CHECK(im.width == 400);
    CHECK(im.height == 300);
    CHECK(im.channels == 3);
    CHECK(count_color(im, blue) > 50);
    // the NaN at x = 3 splits the red line: the columns holding red form two separate runs
    std::set<int> red_cols;
    for (int y = 0; y < im.height; y++)
        for (int x = 0; x < im.width; x++)
            if (pixel(im, x, y) == red) red_cols.insert(x);
    REQUIRE(red_cols.size() > 50);
    int runs = 0, prev = -10;
    for (int x : red_cols) runs += x != prev + 1, prev = x;
    CHECK(runs == 2);
    opt.legend = true;
    CHECK(count_not(render_line_plot(s, opt), kWhite, 0, 0, 400, 300) >
          count_not(render_line_plot(s, PlotOptions{opt.title, opt.xlabel, opt.ylabel, 400, 300, NAN, NAN, NAN, NAN,
                                                    false, false, false}), kWhite, 0, 0, 400, 300));

    // a lone point, a constant series and a log axis all draw without trouble
    Canvas one = render_line_plot({{"one", {2}, {3}, red, false}}, opt);
    CHECK(count_not(one, kWhite, 0, 0, one.w, one.h) > 0);
    int red_px = 0;
    for (int y = 0; y < one.h; y++)
        for (int x = 0; x < one.w; x++) red_px += one.get(x, y) == red;
    CHECK(red_px > 5);
    PlotOptions lg = opt;
    lg.log_y = true;
    CHECK_NOTHROW(render_line_plot({{"flat", {}, {2, 2, 2}, {}, false}, {"neg", {}, {-1, 0, 10}, {}, false}}, lg));
    CHECK_NOTHROW(render_line_plot({}, opt));
    CHECK_THROWS_AS(render_line_plot({{"bad", {1, 2}, {1, 2, 3}, {}, false}}, opt), attn::Error);
    CHECK_THROWS_AS(save_line_plot("/nonexistent_dir_attn/p.png", s, opt), attn::Error);
}

TEST_CASE("line plot: nice ticks step by 1, 2 or 5 and print with the decimals they need") {
    std::vector<double> t = nice_ticks(0, 1, 5);
    REQUIRE(t.size() == 6);
    CHECK(t[1] == doctest::Approx(0.2));
    CHECK(t[5] == doctest::Approx(1.0));
    t = nice_ticks(0.3, 9.3, 5);
    REQUIRE(t.size() == 4);
    CHECK(t[0] == doctest::Approx(2));
    CHECK(t[3] == doctest::Approx(8));
    t = nice_ticks(-0.07, 0.07, 4);  // raw step 0.035 → 0.05
    REQUIRE(t.size() == 3);
    CHECK(t[0] == doctest::Approx(-0.05));
    CHECK(t[1] == 0.0);
    CHECK_FALSE(std::signbit(t[1]));  // never prints "-0"
    CHECK(nice_ticks(1, 1, 5).empty());
    CHECK(nice_step(0.02, 0.37, 2) == doctest::Approx(0.2));  // one tick in range, still step 0.2
    CHECK(nice_ticks(0.02, 0.37, 2).size() == 1);
    CHECK(format_tick(0.2, 0.2) == "0.2");
    CHECK(format_tick(1500, 500) == "1500");
    CHECK(format_tick(0.05, 0.05) == "0.05");
    CHECK(format_tick(3e-7, 1e-7) == "3e-07");
}

TEST_CASE("image grid: stated size, captions in their colour, overlays drawn") {
    TempDir tmp;
    std::vector<float> a(4 * 5, 1.f), b(4 * 5, 0.f);
    save_image_grid(tmp.file("g.png"), {a.data(), b.data(), a.data()}, 4, 5, 2, {"ok", "faux", "ok"}, 3,
                    {kBlack, kRed, kBlack}, "");
    Image8 im = read_png(tmp.file("g.png"));
    CHECK(count_color(im, kRed) > 10);                    // the red caption
    CHECK(count_color(im, kBlack) >= 4 * 3 * 5 * 3);      // the black image (and black captions)
    CHECK(im.width >= 2 * 5 * 3);
    CHECK(im.height >= 2 * 4 * 3);

    ImagePanel p;
    p.image = b.data();
    p.rows = 4, p.cols = 5;
    p.boxes = {{1, 1, 2, 2, kGreen}};
    p.path = {{0.5f, 0.5f}, {4.5f, 3.5f}};
    p.path_color = kOrange;
    Canvas c = render_image_panel(p, 10);
    CHECK(c.w == 50);
    CHECK(c.h == 40);  // no caption: just the image
    CHECK(c.get(10, 15) == kGreen);  // the box's left edge at image x = 1
    CHECK(c.get(5, 5) == kOrange);   // the first path point

    CHECK_THROWS_AS(save_image_grid(tmp.file("x.png"), {a.data()}, 4, 5, 2, {"a", "b"}, 1), attn::Error);
    CHECK_THROWS_AS(save_image_grid("/nonexistent_dir_attn/g.png", {a.data()}, 4, 5, 2, {}, 1), attn::Error);
}

TEST_CASE("ascii heatmap: labels, ramp characters and alignment") {
    float v[6] = {0.f, 0.5f, 1.f, 1.f, 0.f, NAN};
    std::string s = ascii_heatmap(v, 2, 3, {"je", "très"}, {"i", "am", "happy"});
    // across: columns 5 wide ("happy" cut to 4); cells start after the widest row label + " |"
    std::vector<std::string> lines;
    size_t start = 0, nl;
    while ((nl = s.find('\n', start)) != std::string::npos) lines.push_back(s.substr(start, nl - start)), start = nl + 1;
    REQUIRE(lines.size() == 4);
    CHECK(lines[0] == "      i    am   happ ");
    CHECK(lines[1] == "je   |     +    @    |");
    CHECK(lines[2] == "très |@         ?    |");
    CHECK(lines[3].find("' ' = 0 (min)") != std::string::npos);
    CHECK(lines[3].find("'@' = 1 (max)") != std::string::npos);

    // many long column labels are written downwards, 2 characters per column
    std::vector<float> w(40, 0.5f);
    std::vector<std::string> cl(40, "mot");
    cl[0] = "longtemps";
    std::string d = ascii_heatmap(w.data(), 1, 40, {"x"}, cl);
    CHECK(d.substr(0, d.find('\n')) == "   l m m m m m m m m m m m m m m m m m m m m m m m m m m m m m m m m m m m m m m m ");
    CHECK(d.find("x |@ @ ") != std::string::npos);  // a constant map is all '@'
    std::string cut = ascii_heatmap(w.data(), 1, 40, {"x"}, cl, 10);
    CHECK(cut.find("(30 more columns not shown)") != std::string::npos);
}
