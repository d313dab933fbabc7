// figure_demo — draws one example of every figure type of the course, to look at them.
//
//   build/bin/figure_demo [--out DIR]      (default figures/demo, created when missing)
//
// Heatmaps: heatmap.png (French → English alignment with accented labels), heatmap_long.png
// (a 40-token map, to check the labels stay legible), heatmap_grid.png (four "heads" on one
// colour bar), heatmap_punct.png (punctuation tokens as row and column labels: each must be
// seen), heatmap_grid_sizes.png (four alignments of different sizes on one scale, as chapter 02
// draws them: 4 to 15 tokens), heatmap_row.png (a classifier's attention over one sentence).
// Plots: line_plot.png (three series, one dashed, one with a gap), line_plot_log.png (log y
// axis, a lone point), bleu_by_length.png (BLEU of length buckets at their centres 3.5, 4.5, 5.5
// on an integer axis, lines through the top corners: the legend must not cover them),
// legend_outside.png (data everywhere: the legend goes outside), loss_3_epochs.png
// (integer epochs), long_labels.png (a long title, long axis labels and wide tick numbers in a
// small figure: nothing may be cut off).
// Images: image_grid.png (digits with captions, the wrong ones in red), overlays.png (glimpse
// boxes, a numbered path, a heatmap over an image), image_captions.png (captions wider than
// their image, as chapter 09's affine matrices), font_sheet.png (every glyph).
// Also prints the French → English map as an ASCII heatmap.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "common/core/error.hpp"
#include "common/figures/ascii_heatmap.hpp"
#include "common/figures/font.hpp"
#include "common/figures/heatmap.hpp"
#include "common/figures/image_grid.hpp"
#include "common/figures/plot.hpp"

using namespace attn;

// A soft alignment: row i peaks at column target[i], rows sum to 1.
static std::vector<float> alignment(int rows, int cols, const std::vector<float>& target, float width) {
    std::vector<float> a((size_t)rows * cols);
    for (int i = 0; i < rows; i++) {
        float sum = 0;
        for (int j = 0; j < cols; j++) sum += a[i * cols + j] = std::exp(-std::pow((j - target[i]) / width, 2.f));
        for (int j = 0; j < cols; j++) a[i * cols + j] /= sum;
    }
    return a;
}

// The diagonal target[i] = i · (cols − 1) / (rows − 1), for alignment().
static std::vector<float> diagonal(int rows, int cols) {
    std::vector<float> t(rows);
    for (int i = 0; i < rows; i++) t[i] = rows > 1 ? i * (cols - 1.f) / (rows - 1.f) : 0.f;
    return t;
}

// A 28×28 "digit": the font's glyph at scale 3, softened by a 3×3 blur — stands in for MNIST.
static std::vector<float> digit_image(char d, int shift) {
    Canvas c(28, 28, kBlack);
    c.text(6 + shift, -3, std::string(1, d), kWhite, 3);
    std::vector<float> img(28 * 28, 0.f);
    for (int y = 0; y < 28; y++)
        for (int x = 0; x < 28; x++) {
            float s = 0;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) s += c.get(x + dx, y + dy).r / 255.f * (dx || dy ? 0.5f : 1.f);
            img[y * 28 + x] = std::min(1.f, s / 3.f);
        }
    return img;
}

// ---- heatmaps -------------------------------------------------------------------------------

static void demo_alignments(const std::string& out, std::vector<std::string>& written) {
    // French → English, small enough to print values in the cells.
    std::vector<std::string> src = {"je", "ne", "suis", "pas", "très", "content", ".", "<eos>"};
    std::vector<std::string> tgt = {"i", "am", "not", "very", "happy", ".", "<eos>"};
    std::vector<float> att = alignment(7, 8, {0, 2, 1.5f, 4, 5, 6, 7}, 0.7f);
    save_heatmap(out + "/heatmap.png", att.data(), 7, 8, tgt, src,
                 {.title = "Attention: français → English", .xlabel = "source (keys)", .ylabel = "output (queries)"});
    written.push_back("heatmap.png");
    std::printf("%s\n", ascii_heatmap(att.data(), 7, 8, tgt, src).c_str());

    // Four "heads" side by side: one colour scale, one colour bar.
    std::vector<std::vector<float>> heads;
    for (int hd = 0; hd < 4; hd++) {
        std::vector<float> t(7);
        for (int i = 0; i < 7; i++) t[i] = hd == 0 ? i : hd == 1 ? 7 - i : hd == 2 ? 0 : i / 2.f + 2;
        heads.push_back(alignment(7, 8, t, 0.5f + hd * 0.4f));
    }
    std::vector<HeatmapPanel> panels;
    for (int hd = 0; hd < 4; hd++) panels.push_back({heads[hd].data(), 7, 8, tgt, src, "head " + std::to_string(hd)});
    save_heatmap_grid(out + "/heatmap_grid.png", panels, 2,
                      {.title = "Self-attention, layer 1", .xlabel = "keys", .ylabel = "queries", .show_values = 0});
    written.push_back("heatmap_grid.png");
}

static void demo_long_map(const std::string& out, std::vector<std::string>& written) {
    const char* words[] = {"l’été", "dernier", "nous", "sommes", "allés", "à", "la", "plage", "avec", "mes",
                           "sœurs", "et", "leurs", "enfants", ",", "c’était", "une", "journée", "très", "agréable"};
    std::vector<std::string> long_src, long_tgt;
    for (int k = 0; k < 40; k++) long_src.push_back(words[k % 20]);
    for (int k = 0; k < 38; k++) {
        std::string w = std::to_string(k);  // (not "w" + ...: g++ 12 -O3 warns falsely, GCC bug 105329)
        w.insert(0, 1, 'w');
        if (k % 5 == 0) w += "ÉÇŒ";
        long_tgt.push_back(k % 7 == 3 ? "«déjà»" : w);
    }
    std::vector<float> diag_t(38);
    for (int i = 0; i < 38; i++) diag_t[i] = i * 39.f / 37.f + 1.5f * std::sin(i * 0.7f);
    std::vector<float> att_long = alignment(38, 40, diag_t, 1.2f);
    att_long[5 * 40 + 3] = -INFINITY;  // a masked score shows as light grey
    save_heatmap(out + "/heatmap_long.png", att_long.data(), 38, 40, long_tgt, long_src,
                 {.title = "40 source tokens", .xlabel = "source", .ylabel = "target"});
    written.push_back("heatmap_long.png");
}

// Punctuation as tokens, the case that used to draw as a speck: every one must be seen.
static void demo_punctuation(const std::string& out, std::vector<std::string>& written) {
    std::vector<std::string> src = {"well", ",", "it", "'", "s", "fine", "?", "!", "«", "yes", "»", "…", ".", "<eos>"};
    std::vector<std::string> tgt = {"eh", "bien", ",", "c", "'", "est", "bon", "?", "!", ".", "<eos>"};
    std::vector<float> att = alignment((int)tgt.size(), (int)src.size(), diagonal((int)tgt.size(), (int)src.size()), 0.8f);
    save_heatmap(out + "/heatmap_punct.png", att.data(), (int)tgt.size(), (int)src.size(), tgt, src,
                 {.title = "Punctuation tokens", .xlabel = "source", .ylabel = "output"});
    written.push_back("heatmap_punct.png");

    // Chapter 02's figure: four sentences of different lengths, one scale [0, 1] for all.
    std::vector<std::vector<std::string>> srcs = {{"somebody", "touched", "me", ".", "<eos>"},
                                                  {"he", "was", "fully", "clothed", ".", "<eos>"},
                                                  {"how", "does", "the", "film", "end", "?", "<eos>"},
                                                  {"a", "window", "hopes", "slowly", "that", "the", "hungry", "kind",
                                                   "soldiers", "call", "frogs", "from", "the", "teachers", ".", "<eos>"}};
    std::vector<std::vector<std::string>> tgts = {{"quelqu'un", "m'a", "touché", ".", "<eos>"},
                                                  {"il", "était", "entièrement", "<unk>", ".", "<eos>"},
                                                  {"comment", "<unk>", "ces", "<unk>", "?", "<eos>"},
                                                  {"una", "fenestra", "lante", "ke", "los", "soldaten", "bonoj",
                                                   "bonoj", "los", "ranon", "de", "ranon", "bonoj", "kun", "ranon",
                                                   "esperet", ".", "<eos>"}};
    std::vector<std::vector<float>> mats;
    std::vector<HeatmapPanel> panels;
    for (size_t k = 0; k < srcs.size(); k++) {
        int r = (int)tgts[k].size(), c = (int)srcs[k].size();
        mats.push_back(alignment(r, c, diagonal(r, c), 0.6f + 0.3f * k));
    }
    for (size_t k = 0; k < srcs.size(); k++)
        panels.push_back({mats[k].data(), (int)tgts[k].size(), (int)srcs[k].size(), tgts[k], srcs[k],
                          "src " + std::to_string(srcs[k].size() - 1) + " tokens"});
    save_heatmap_grid(out + "/heatmap_grid_sizes.png", panels, 2,
                      {.title = "ch02 additive attention: alignments (rows: output, columns: source)",
                       .xlabel = "source", .ylabel = "output", .vmin = 0, .vmax = 1});
    written.push_back("heatmap_grid_sizes.png");
}

// A classifier's attention over one sentence (1 row).
static void demo_row(const std::string& out, std::vector<std::string>& written) {
    std::vector<std::string> tweet = {"@united", "my", "flight", "was", "cancelled", "again", "and", "nobody",
                                      "helped", ".", "worst", "airline", "ever", "!"};
    std::vector<float> pool(tweet.size());
    for (size_t j = 0; j < tweet.size(); j++) pool[j] = 0.02f + (j == 4 ? 0.35f : j == 10 ? 0.3f : j == 7 ? 0.1f : 0.f);
    save_heatmap(out + "/heatmap_row.png", pool.data(), 1, (int)tweet.size(), {"negative"}, tweet,
                 {.title = "Attention pooling", .xlabel = "token", .ylabel = "class", .show_values = 0});
    written.push_back("heatmap_row.png");
}

// ---- line plots -----------------------------------------------------------------------------

static void demo_curves(const std::string& out, std::vector<std::string>& written) {
    Series train{.name = "train loss"}, valid{.name = "valid loss", .dashed = true}, gap{.name = "with a gap (NaN)"};
    for (int e = 1; e <= 30; e++) {
        train.x.push_back(e), train.y.push_back(2.5 * std::exp(-e / 8.0) + 0.3);
        valid.x.push_back(e), valid.y.push_back(2.4 * std::exp(-e / 9.0) + 0.45 + 0.002 * e);
        gap.x.push_back(e), gap.y.push_back(e >= 12 && e <= 15 ? NAN : 1.6 - 0.03 * e + 0.1 * std::sin(e));
    }
    save_line_plot(out + "/line_plot.png", {train, valid, gap},
                   {.title = "Training curves", .xlabel = "epoch", .ylabel = "cross-entropy (nats)", .integer_x = true});
    written.push_back("line_plot.png");

    Series ppl{.name = "perplexity"}, lone{.name = "a single point"};
    for (int e = 0; e < 50; e++) ppl.y.push_back(3000.0 * std::exp(-e / 6.0) + 4);
    lone.x = {25}, lone.y = {300};
    save_line_plot(out + "/line_plot_log.png", {ppl, lone},
                   {.title = "Log scale", .xlabel = "step", .ylabel = "perplexity", .width = 480, .height = 320,
                    .log_y = true});
    written.push_back("line_plot_log.png");

    Series tr{.name = "train", .x = {1, 2, 3}, .y = {4.1, 3.2, 2.9}};
    Series va{.name = "val", .x = {1, 2, 3}, .y = {3.6, 3.1, 3.0}, .dashed = true};
    save_line_plot(out + "/loss_3_epochs.png", {tr, va},
                   {.title = "ch02: loss per target token", .xlabel = "epoch", .ylabel = "loss", .integer_x = true});
    written.push_back("loss_3_epochs.png");
}

// Chapter 02's BLEU by source length: buckets 3..4, 4..5, 5..6 drawn at their centres, every
// line near the top of the axis and through both top corners.
static void demo_bleu_by_length(const std::string& out, std::vector<std::string>& written) {
    std::vector<double> mid = {3.5, 4.5, 5.5};
    std::vector<Series> s = {{.name = "ch02 greedy", .x = mid, .y = {38.4, 38.5, 38.6}},
                             {.name = "ch02 beam=5", .x = mid, .y = {39.6, 39.8, 39.9}},
                             {.name = "ch01 greedy", .x = mid, .y = {29.4, 28.5, 27.7}, .dashed = true},
                             {.name = "ch01 beam", .x = mid, .y = {31.0, 30.2, 29.4}, .dashed = true}};
    save_line_plot(out + "/bleu_by_length.png", s,
                   {.title = "test BLEU by source length: ch02 vs ch01 (dashed)", .xlabel = "source length (tokens)",
                    .ylabel = "BLEU", .ymin = 0, .markers = true, .integer_x = true});
    written.push_back("bleu_by_length.png");

    // Lines through every corner and every side: no place in the area is free, so the legend goes
    // outside it.
    Series up{.name = "rising"}, down{.name = "falling"}, zigzag{.name = "zigzag, the longest name"};
    for (int i = 0; i <= 20; i++) {
        up.x.push_back(i), up.y.push_back(i);
        down.x.push_back(i), down.y.push_back(20 - i);
        zigzag.x.push_back(i), zigzag.y.push_back(i % 2 ? 19 : 1);
    }
    save_line_plot(out + "/legend_outside.png", {up, down, zigzag},
                   {.title = "Data everywhere", .xlabel = "x", .ylabel = "y", .integer_x = true});
    written.push_back("legend_outside.png");
}

// A small figure with a long title, long axis labels and wide tick numbers: nothing may be cut off.
static void demo_long_labels(const std::string& out, std::vector<std::string>& written) {
    Series big{.name = "parameters updated per second (a long series name)"};
    for (int i = 0; i < 12; i++) big.x.push_back(1000000.0 + 250000.0 * i), big.y.push_back(1234567.0 + 87654.0 * i * i);
    save_line_plot(out + "/long_labels.png", {big},
                   {.title = "A title much too long to fit on one line at the large size of a small figure",
                    .xlabel = "the number of training examples seen so far, counted one by one from the start",
                    .ylabel = "parameter updates per second, all layers together",
                    .width = 360, .height = 260});
    written.push_back("long_labels.png");
}

// ---- images and the font --------------------------------------------------------------------

static void demo_images(const std::string& out, std::vector<std::string>& written) {
    std::vector<std::vector<float>> imgs;
    std::vector<const float*> ptrs;
    std::vector<std::string> caps;
    std::vector<Color> cols;
    for (int k = 0; k < 10; k++) {
        imgs.push_back(digit_image((char)('0' + k), k % 3 - 1));
        int pred = k == 3 ? 8 : k == 7 ? 1 : k;
        caps.push_back(pred == k ? "pred " + std::to_string(pred) : std::to_string(k) + " → " + std::to_string(pred));
        cols.push_back(pred == k ? kBlack : kRed);
    }
    for (auto& im : imgs) ptrs.push_back(im.data());
    save_image_grid(out + "/image_grid.png", ptrs, 28, 28, 5, caps, 3, cols, "Test digits (red = wrong)");
    written.push_back("image_grid.png");

    // Overlays: glimpses, a numbered path, a 7×7 attention map over the image.
    std::vector<float> heat(49);
    for (int i = 0; i < 49; i++) heat[i] = imgs[4][(i / 7 * 4 + 2) * 28 + (i % 7 * 4 + 2)] + 0.1f * (i % 7);
    ImagePanel glimpses{.image = imgs[2].data(), .rows = 28, .cols = 28, .caption = "glimpses"};
    glimpses.boxes = {{4, 4, 8, 8, kRed}, {10, 8, 8, 8, kOrange}, {12, 14, 12, 12, kGreen}};
    ImagePanel walk{.image = imgs[5].data(), .rows = 28, .cols = 28, .caption = "glimpse path\n6 steps"};
    walk.path = {{6, 5}, {14, 6}, {9, 13}, {18, 16}, {14, 22}, {8, 21}};
    ImagePanel rollout{.image = imgs[4].data(), .rows = 28, .cols = 28, .caption = "rollout",
                       .heat = heat.data(), .heat_rows = 7, .heat_cols = 7, .heat_alpha = 0.55f};
    ImagePanel inverted{.image = imgs[8].data(), .rows = 28, .cols = 28, .invert = true, .caption = "inverted"};
    save_image_panels(out + "/overlays.png", {glimpses, walk, rollout, inverted}, 4, 4, "Overlays");
    written.push_back("overlays.png");

    // Chapter 09's captions: an affine matrix under an 84-pixel image must be read whole.
    ImagePanel in{.image = imgs[7].data(), .rows = 28, .cols = 28, .caption = "input: 7"};
    ImagePanel start{.image = imgs[7].data(), .rows = 28, .cols = 28, .caption = "start\n(identity)"};
    ImagePanel end{.image = imgs[7].data(), .rows = 28, .cols = 28, .caption = "end: 7\n[1.0 0.0 -0.2;\n -0.1 0.9 -0.3]"};
    save_image_panels(out + "/image_captions.png", {in, start, end}, 3, 3, "Affine matrices under the images");
    written.push_back("image_captions.png");
}

// Every glyph at scale 3, and an unknown character (a box).
static void demo_font(const std::string& out, std::vector<std::string>& written) {
    std::vector<std::string> sheet = {" !\"#$%&'()*+,-./0123456789:;<=>?",
                                      "@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_",
                                      "`abcdefghijklmnopqrstuvwxyz{|}~",
                                      "àâäçéèêëîïôöùûüÿœæ áíóúìòñ",
                                      "ÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒÆ ÁÍÓÚÑ",
                                      "«»’‘“”…–—·×°→ unknown: 漢",
                                      "Ça m’a coûté très cher « déjà » !"};
    Canvas font_sheet(40 * kFontCellW * 3 + 20, (int)sheet.size() * text_height(3) + 20, kWhite);
    for (size_t i = 0; i < sheet.size(); i++) font_sheet.text(10, 10 + (int)i * text_height(3), sheet[i], kBlack, 3);
    font_sheet.save_png(out + "/font_sheet.png");
    written.push_back("font_sheet.png");
}

int main(int argc, char** argv) try {
    std::string out = "figures/demo";
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        if (a == "--out" && i + 1 < argc) out = argv[++i];
        else if (a == "--help") { std::printf("usage: figure_demo [--out DIR]\n"); return 0; }
        else {  // a usage error: exit 2
            std::fprintf(stderr, "figure_demo: %s: unknown flag, expected --out DIR or --help\n", a.c_str());
            return 2;
        }
    }
    std::error_code ec;
    std::filesystem::create_directories(out, ec);
    if (ec) fail(out, "a directory we can create for the figures (" + ec.message() + ")");
    std::vector<std::string> written;
    demo_alignments(out, written);
    demo_long_map(out, written);
    demo_punctuation(out, written);
    demo_row(out, written);
    demo_curves(out, written);
    demo_bleu_by_length(out, written);
    demo_long_labels(out, written);
    demo_images(out, written);
    demo_font(out, written);
    for (const std::string& w : written) std::printf("wrote %s/%s\n", out.c_str(), w.c_str());
    return 0;
} catch (const attn::Error& e) {
    std::fprintf(stderr, "figure_demo: %s\n", e.what());
    return 1;
}
