// vit_figures.hpp — chapter 08's three figures, drawn from a trained ViT:
//
//   rollout         test images, right and wrong, each under its attention rollout (attention_rollout.hpp):
//                   how much of the class token's final representation flows from each patch
//   cls_heads       the class token's attention in each head of the last layer, for a few test images
//   pos_similarity  the learned position embeddings: one small map per patch, the cosine similarity of its
//                   embedding with every other patch's (the ViT paper's figure 7)
//
// Every figure has ONE colour scale (a colour bar on the right): maps of different images and heads are
// drawn with the same range, so the same colour reads as the same weight everywhere.
#pragma once
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "chapters/08_vision_transformer/attention_rollout.hpp"
#include "chapters/08_vision_transformer/vit_model.hpp"
#include "common/figures/canvas.hpp"
#include "common/figures/colorbar.hpp"
#include "common/figures/font.hpp"
#include "common/figures/heatmap.hpp"
#include "common/run/classifier.hpp"
#include "common/run/figure_names.hpp"

namespace ch08 {
using namespace attn;

// ---- the attention of chosen test images ----------------------------------------------------------

struct ImageAttention {
    std::vector<int> idx;  // test images
    int NH = 0, T = 0, G = 0;
    Buf rollout;           // (n,N)     R[0, 1..T) of each image
    Buf last_heads;        // (n,NH,N)  the last layer's class-token row, per head
};

// One evaluation-mode forward of images idx of `data`, and the maps read from its attention caches.
inline ImageAttention image_attention(ViT& m, const ImageSet& data, const std::vector<int>& idx) {
    const ViTConfig& c = m.cfg;
    const int n = (int)idx.size(), T = c.T(), N = c.N(), NH = c.NH;
    ImageAttention r;
    r.idx = idx, r.NH = NH, r.T = T, r.G = c.G();
    Buf x((size_t)n * data.rows * data.cols);
    std::vector<int> y(n);
    gather_batch(x.data(), y.data(), data, idx, 0, n);
    ViTActs a;
    Rng unused(0);
    vit_forward(m, a, x.data(), y.data(), n, unused, /*training=*/false);
    r.rollout.resize((size_t)n * N), r.last_heads.resize((size_t)n * NH * N);
    Buf R((size_t)T * T);
    for (int b = 0; b < n; b++) {
        std::vector<const float*> att;  // layer l's (NH,T,T) weights for image b
        for (int l = 0; l < c.L; l++) att.push_back(a.caches[l].mha.att.data() + (size_t)b * NH * T * T);
        attention_rollout(R.data(), att, NH, T);
        class_token_row(r.rollout.data() + (size_t)b * N, R.data(), T);
        for (int h = 0; h < NH; h++)
            class_token_row(r.last_heads.data() + ((size_t)b * NH + h) * N, att.back() + (size_t)h * T * T, T);
    }
    return r;
}

// The first `right` correctly and `wrong` wrongly classified test images, in test-set order.
inline std::vector<int> right_and_wrong(const std::vector<int>& pred, const std::vector<int>& labels, int right,
                                        int wrong) {
    std::vector<int> r, w;
    for (size_t i = 0; i < pred.size(); i++) {
        if (pred[i] == labels[i] && (int)r.size() < right) r.push_back((int)i);
        if (pred[i] != labels[i] && (int)w.size() < wrong) w.push_back((int)i);
    }
    r.insert(r.end(), w.begin(), w.end());
    return r;
}

// ---- drawing: an image with a G×G map over it, on a fixed colour range --------------------------------

constexpr int kScale = 4;  // 28 pixels → 112

// A tile: the image (ink white on black), the map blended over it (cells of P·kScale pixels, colours on
// [lo, hi]), and its caption lines under it.
inline Canvas map_tile(const float* img, int H, const float* map, int G, float lo, float hi,
                       const std::vector<std::string>& caption, Color caption_color) {
    const int side = H * kScale, cell = side / G, th = text_height(1) + 2;
    int w = side;
    for (const std::string& s : caption) w = std::max(w, text_width(s, 1));
    Canvas t(w, side + 4 + (int)caption.size() * th, kWhite);
    const int x0 = (w - side) / 2;
    t.draw_grey_image(x0, 0, img, H, H, kScale);
    if (map)
        for (int r = 0; r < G; r++)
            for (int c = 0; c < G; c++) {
                const Color col = colormap_viridis((map[r * G + c] - lo) / std::max(hi - lo, 1e-12f));
                for (int y = r * cell; y < (r + 1) * cell; y++)
                    for (int x = c * cell; x < (c + 1) * cell; x++) t.blend(x0 + x, y, col, 0.6f);
            }
    for (size_t i = 0; i < caption.size(); i++)
        t.text((w - text_width(caption[i], 1)) / 2, side + 4 + (int)i * th, caption[i], caption_color);
    return t;
}

// The tiles in a grid under a title, and one colour bar for [lo, hi] on the right.
inline void save_tiles(const std::string& path, const std::vector<Canvas>& tiles, int cols, const std::string& title,
                       const std::string& bar_label, float lo, float hi) {
    const int gap = 12, bar_h = 160;
    Canvas grid = compose_grid(tiles, cols, "", gap);
    const int title_h = text_height(2) + 2 * gap, bw = colorbar_width(lo, hi, bar_h);
    const int W = std::max(grid.w + bw + 3 * gap, text_width(title, 2) + 2 * gap);
    Canvas out(W, title_h + std::max(grid.h, bar_h + text_height(1) + 3 * gap), kWhite);
    out.text((W - text_width(title, 2)) / 2, gap, title, kBlack, 2);
    out.blit(grid, 0, title_h);
    out.text(grid.w + gap, title_h, bar_label, kBlack);
    draw_colorbar(out, Rect{grid.w + gap, title_h + text_height(1) + gap, kColorbarW, bar_h}, lo, hi, colormap_viridis);
    out.save_png(path);
}

inline float max_of(const Buf& v) { return v.empty() ? 1.0f : *std::max_element(v.begin(), v.end()); }

inline std::string class_name(const ImageSet& d, int k) {
    return k < (int)d.class_names.size() ? d.class_names[k] : std::to_string(k);
}
// prefix + text, built with += (g++ 12 warns falsely about `"literal" + std::string` chains)
inline std::string cat(const std::string& prefix, const std::string& text) {
    std::string s = prefix;
    s += text;
    return s;
}

// ---- the three figures ------------------------------------------------------------------------

inline std::string draw_rollout(const ImageAttention& ia, const ImageSet& test, const std::vector<int>& pred,
                                const FigureNames& fig) {
    const int N = ia.G * ia.G;
    const float hi = max_of(ia.rollout);
    std::vector<Canvas> tiles;
    for (size_t k = 0; k < ia.idx.size(); k++) {
        const int i = ia.idx[k];
        const bool ok = pred[i] == test.labels[i];
        tiles.push_back(map_tile(test.image(i), test.rows, ia.rollout.data() + k * N, ia.G, 0.0f, hi,
                                 {cat("#", std::to_string(i)), cat("true ", class_name(test, test.labels[i])),
                                  cat("pred ", class_name(test, pred[i]))},
                                 ok ? kBlack : kRed));
    }
    const std::string path = fig.path("rollout");
    save_tiles(path, tiles, 8, "ViT attention rollout: what the class token takes from each patch (wrong in red)",
               "weight", 0.0f, hi);
    return path;
}

inline std::string draw_cls_heads(const ImageAttention& ia, const ImageSet& test, const std::vector<int>& pred,
                                  const FigureNames& fig) {
    const int N = ia.G * ia.G, cols = ia.NH + 1;
    const float hi = max_of(ia.last_heads);
    std::vector<Canvas> tiles;
    for (size_t k = 0; k < ia.idx.size(); k++) {
        const int i = ia.idx[k];
        const bool ok = pred[i] == test.labels[i];
        tiles.push_back(map_tile(test.image(i), test.rows, nullptr, ia.G, 0, 1,
                                 {cat(cat(cat("#", std::to_string(i)), ": true "), class_name(test, test.labels[i])),
                                  cat("pred ", class_name(test, pred[i]))},
                                 ok ? kBlack : kRed));
        for (int h = 0; h < ia.NH; h++)
            tiles.push_back(map_tile(test.image(i), test.rows, ia.last_heads.data() + (k * ia.NH + h) * N, ia.G, 0.0f,
                                     hi, {cat("head ", std::to_string(h + 1))}, kBlack));
    }
    const std::string path = fig.path("cls_heads");
    save_tiles(path, tiles, cols, "Class-token attention in each head of the last layer", "weight", 0.0f, hi);
    return path;
}

// sim[i][j] = cos(E_pos[1+i], E_pos[1+j]) over the patches (the class token's own embedding left out).
inline std::string draw_pos_similarity(const ViT& m, const FigureNames& fig) {
    const ViTConfig& c = m.cfg;
    const int G = c.G(), N = c.N(), C = c.C;
    Buf sim((size_t)N * N);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            const float *a = m.pos.data + (size_t)(1 + i) * C, *b = m.pos.data + (size_t)(1 + j) * C;
            double ab = 0, aa = 0, bb = 0;
            for (int k = 0; k < C; k++) ab += (double)a[k] * b[k], aa += (double)a[k] * a[k], bb += (double)b[k] * b[k];
            sim[(size_t)i * N + j] = (float)(ab / std::sqrt(std::max(aa * bb, 1e-30)));
        }
    std::vector<std::string> labels;
    for (int g = 1; g <= G; g++) labels.push_back(std::to_string(g));
    std::vector<HeatmapPanel> panels;
    for (int i = 0; i < N; i++)  // panel (r, c): patch (r, c) against every patch, laid out as the image
        panels.push_back({sim.data() + (size_t)i * N, G, G, labels, labels,
                          "patch (" + std::to_string(i / G + 1) + "," + std::to_string(i % G + 1) + ")"});
    HeatmapOptions o;
    o.title = "Learned position embeddings: cosine similarity between patches";
    o.xlabel = "patch column", o.ylabel = "patch row";
    o.vmin = -1, o.vmax = 1, o.show_values = 0, o.cell = G <= 4 ? 18 : std::max(4, 72 / G);
    const std::string path = fig.path("pos_similarity");
    save_heatmap_grid(path, panels, G, o);
    return path;
}

// All three; returns their paths. pred: the ViT's prediction for every test image.
inline std::vector<std::string> draw_vit_figures(ViT& m, const ImageSet& test, const std::vector<int>& pred,
                                                 const FigureNames& fig) {
    const ImageAttention sixteen = image_attention(m, test, right_and_wrong(pred, test.labels, 8, 8));
    const ImageAttention four = image_attention(m, test, right_and_wrong(pred, test.labels, 3, 1));
    return {draw_rollout(sixteen, test, pred, fig), draw_cls_heads(four, test, pred, fig), draw_pos_similarity(m, fig)};
}

}  // namespace ch08
