// figures.hpp — chapter 11's figures: where CBAM looks, and which channels SE (or CBAM) turns up
// for each class.
//
//   draw_spatial_maps     test images beside CBAM's spatial attention M_s of stages 0 (28×28) and
//                         1 (14×14), right and wrong predictions (as Woo et al.'s Grad-CAM figure,
//                         but the module's own weights, not a saliency method)
//   draw_channel_weights  the mean channel weight (SE's e, CBAM's M_c) of the test images of each
//                         class: a class × channel heatmap per stage (as Hu et al.'s figure 6)
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "chapters/11_attention_in_cnns/cnn_model.hpp"
#include "common/data/data_types.hpp"
#include "common/figures/heatmap.hpp"
#include "common/figures/image_grid.hpp"
#include "common/run/classifier.hpp"
#include "common/run/figure_names.hpp"

namespace ch11 {
using namespace attn;

inline std::string class_label(const ImageSet& d, int c) {
    return c < (int)d.class_names.size() ? d.class_names[c] : std::to_string(c);
}

// The first n_right correctly and n_wrong wrongly predicted test images, in test order.
inline std::vector<int> right_and_wrong(const ImageSet& test, const std::vector<int>& pred, int n_right, int n_wrong) {
    std::vector<int> right, wrong;
    for (int i = 0; i < test.count; i++) {
        if (pred[i] == test.labels[i] && (int)right.size() < n_right) right.push_back(i);
        if (pred[i] != test.labels[i] && (int)wrong.size() < n_wrong) wrong.push_back(i);
    }
    right.insert(right.end(), wrong.begin(), wrong.end());
    return right;
}

// CBAM's spatial attention over test images (evaluation mode). pred: the model's test predictions.
inline std::string draw_spatial_maps(const FigureNames& fig, CNN& m, const ImageSet& test, const std::vector<int>& pred) {
    const std::vector<int> idx = right_and_wrong(test, pred, 8, 8);
    const int n = (int)idx.size(), H = m.cfg.H;
    CNNActs a;
    a.resize(n, m.cfg);
    Buf x((size_t)n * H * H);
    std::vector<int> y(n);
    gather_batch(x.data(), y.data(), test, idx, 0, n);
    cnn_forward(m, a, x.data(), y.data(), n, /*train=*/false);
    // The maps of both stages, each stretched to H×H (a 14×14 map's pixel covers 2×2 input pixels), and
    // one grey scale for the whole figure: black = the smallest M_s shown, white = the largest.
    std::vector<Buf> maps(2, Buf((size_t)n * H * H));
    float lo = INFINITY, hi = -INFINITY;
    for (int s = 0; s < 2; s++) {
        const int Hs = m.cfg.side(s), f = H / Hs;
        for (int k = 0; k < n; k++)
            for (int i = 0; i < H; i++)
                for (int j = 0; j < H; j++) {
                    const float v = a.st[s].sa.s[((size_t)k * Hs + i / f) * Hs + j / f];
                    maps[s][((size_t)k * H + i) * H + j] = v;
                    lo = std::min(lo, v), hi = std::max(hi, v);
                }
    }
    for (Buf& mp : maps)
        for (float& v : mp) v = hi > lo ? (v - lo) / (hi - lo) : 0.5f;
    std::vector<ImagePanel> panels;
    for (int k = 0; k < n; k++) {
        const int i = idx[k];
        const bool ok = pred[i] == test.labels[i];
        ImagePanel in;
        in.image = test.image(i), in.rows = in.cols = H;
        in.caption = class_label(test, test.labels[i]) + "\n-> " + class_label(test, pred[i]);
        in.caption_color = ok ? kBlack : kRed;
        panels.push_back(in);
        for (int s = 0; s < 2; s++) {
            ImagePanel p;
            p.image = maps[s].data() + (size_t)k * H * H, p.rows = p.cols = H;
            p.caption = "stage " + std::to_string(s) + "\n(" + std::to_string(m.cfg.side(s)) + "x" +
                        std::to_string(m.cfg.side(s)) + ")";
            panels.push_back(p);
        }
    }
    char title[200];
    std::snprintf(title, sizeof title,
                  "CBAM spatial attention M_s (black %.2f, white %.2f): image (true -> predicted), "
                  "stage 0, stage 1",
                  lo, hi);
    const std::string path = fig.path("spatial_attention");
    save_image_panels(path, panels, 6, 3, title);
    return path;
}

// The mean channel weight per class and channel, for every stage: SE's excitation e (variant "se")
// or CBAM's channel attention M_c ("cbam"), over the whole test set in evaluation mode.
inline std::string draw_channel_weights(const FigureNames& fig, CNN& m, const ImageSet& test, const std::string& variant) {
    const CNNConfig& c = m.cfg;
    const int V = c.V, batch = 100;
    std::vector<Buf> sums(kStages);
    std::vector<long> count(V, 0);
    for (int s = 0; s < kStages; s++) sums[s].assign((size_t)V * c.width[s], 0.0f);
    CNNActs a;
    a.resize(batch, c);
    Buf x((size_t)batch * c.H * c.H);
    std::vector<int> y(batch);
    for (const std::vector<int>& idx : batches_in_order(test.count, batch)) {
        const int B = (int)idx.size();
        gather_batch(x.data(), y.data(), test, idx, 0, B);
        cnn_forward(m, a, x.data(), y.data(), B, /*train=*/false);
        for (int b = 0; b < B; b++) {
            count[y[b]]++;
            for (int s = 0; s < kStages; s++) {
                const Buf& e = c.attention == Attention::SE ? a.st[s].se.e : a.st[s].ca.e;  // (B,C)
                for (int ch = 0; ch < c.width[s]; ch++) sums[s][(size_t)y[b] * c.width[s] + ch] += e[(size_t)b * c.width[s] + ch];
            }
        }
    }
    std::vector<std::string> rows;
    for (int v = 0; v < V; v++) rows.push_back(class_label(test, v));
    std::vector<HeatmapPanel> panels;
    float lo = INFINITY, hi = -INFINITY;
    for (int s = 0; s < kStages; s++) {
        for (int v = 0; v < V; v++)
            for (int ch = 0; ch < c.width[s]; ch++) {
                float& e = sums[s][(size_t)v * c.width[s] + ch];
                e /= std::max<long>(count[v], 1);
                lo = std::min(lo, e), hi = std::max(hi, e);
            }
        std::vector<std::string> cols(c.width[s]);
        for (int ch = 0; ch < c.width[s]; ch += 8) cols[ch] = std::to_string(ch);
        HeatmapPanel p;
        p.values = sums[s].data(), p.rows = V, p.cols = c.width[s];
        p.row_labels = rows, p.col_labels = cols;
        p.title = "stage " + std::to_string(s) + " (" + std::to_string(c.width[s]) + " channels)";
        panels.push_back(p);
    }
    HeatmapOptions opt;
    opt.title = variant == "se" ? "SE: mean excitation e per class and channel (test set)"
                                : "CBAM: mean channel attention M_c per class and channel (test set)";
    opt.xlabel = "channel", opt.ylabel = "class";
    opt.vmin = lo, opt.vmax = hi, opt.show_values = 0, opt.cell = 10;
    const std::string path = fig.path("channel_weights", variant);
    save_heatmap_grid(path, panels, 1, opt);
    return path;
}

}  // namespace ch11
