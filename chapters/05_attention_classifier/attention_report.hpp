// attention_report.hpp — reading the weights: which words did the attention pooling look at?
//   * texts printed with their words shaded by α (ANSI colours in a terminal, [brackets] around the
//     words with at least half the top weight otherwise), with the predicted class and probability;
//   * a PNG of token heatmaps for a dozen test texts, right and wrong ones;
//   * the most-attended words per class over the test set.
#pragma once
#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "chapters/05_attention_classifier/train.hpp"
#include "common/figures/heatmap.hpp"

namespace ch05 {
using namespace attn;

// The attention weights and class probabilities of the examples idx of set.
struct AttentionTrace {
    std::vector<std::vector<float>> alpha;  // (n) each (words of the text)
    std::vector<std::vector<float>> probs;  // (n) each (V)
};
inline AttentionTrace trace_attention(Classifier& m, ClassifierActs& a, const std::vector<Example>& set,
                                      const std::vector<int>& idx, int batch) {
    AttentionTrace tr;
    Rng unused(0);
    TextBatch tb;
    for (size_t i0 = 0; i0 < idx.size(); i0 += batch) {
        const int B = batch_at(idx.size(), i0, batch);
        make_text_batch(tb, set, {idx.begin() + i0, idx.begin() + i0 + B});
        classifier_forward(m, a, tb, unused, false);
        for (int b = 0; b < B; b++) {
            const float* al = a.alpha.data() + (size_t)b * tb.T;
            tr.alpha.emplace_back(al, al + tb.lengths[b]);
            tr.probs.emplace_back(a.probs.data() + (size_t)b * m.cfg.V,
                                  a.probs.data() + (size_t)(b + 1) * m.cfg.V);
        }
    }
    return tr;
}

// "[apple] unveils new [ipod]": ANSI backgrounds from pale to strong yellow by α / max α, or brackets
// around the words with α >= max α / 2.
inline std::string shade_words(const std::vector<std::string>& words, const std::vector<float>& alpha,
                               bool ansi) {
    const float top = *std::max_element(alpha.begin(), alpha.end());
    static const int kShades[] = {231, 230, 229, 228, 220, 214};  // xterm-256 background, pale -> strong
    std::string s;
    for (size_t i = 0; i < words.size(); i++) {
        const float r = top > 0 ? alpha[i] / top : 0;
        if (!s.empty()) s += ' ';
        if (ansi) {
            const int level = std::min(5, (int)(r * 6));
            s += "\033[30;48;5;" + std::to_string(kShades[level]) + "m" + words[i] + "\033[0m";
        } else
            s += r >= 0.5f ? "[" + words[i] + "]" : words[i];
    }
    return s;
}

// The figure: one row of α per text, its words as column labels, under "right/WRONG: class (p)".
inline void draw_token_heatmaps(const std::string& path, const std::vector<Example>& set,
                                const std::vector<int>& idx, const AttentionTrace& tr,
                                const std::vector<std::string>& classes, const std::string& title) {
    std::vector<HeatmapPanel> panels;
    for (size_t e = 0; e < idx.size(); e++) {
        const Example& ex = set[idx[e]];
        const std::vector<float>& p = tr.probs[e];
        const int pred = (int)(std::max_element(p.begin(), p.end()) - p.begin());
        char head[160];
        if (pred == ex.label)
            std::snprintf(head, sizeof head, "right: %s (p=%.2f)", classes[pred].c_str(), p[pred]);
        else
            std::snprintf(head, sizeof head, "WRONG: %s (p=%.2f), true %s", classes[pred].c_str(), p[pred],
                          classes[ex.label].c_str());
        panels.push_back({tr.alpha[e].data(), 1, (int)tr.alpha[e].size(), {""}, ex.words, head});
    }
    HeatmapOptions o;
    o.title = title, o.vmin = 0, o.show_values = 0, o.max_label_chars = 14, o.cell = 26;
    save_heatmap_grid(path, panels, 2, o);
}

// For each true class: the words that most often got the largest α in a correctly classified test
// text, with their counts, most frequent first (at most k).
inline std::vector<std::vector<std::pair<std::string, int>>> top_attended_words(
    const std::vector<Example>& set, const AttentionTrace& tr, int V, int k) {
    std::vector<std::map<std::string, int>> count(V);
    for (size_t e = 0; e < set.size(); e++) {
        const std::vector<float>& p = tr.probs[e];
        if ((int)(std::max_element(p.begin(), p.end()) - p.begin()) != set[e].label) continue;
        const auto& al = tr.alpha[e];
        const size_t top = (size_t)(std::max_element(al.begin(), al.end()) - al.begin());
        count[set[e].label][set[e].words[top]]++;
    }
    std::vector<std::vector<std::pair<std::string, int>>> out(V);
    for (int c = 0; c < V; c++) {
        out[c].assign(count[c].begin(), count[c].end());
        std::stable_sort(out[c].begin(), out[c].end(),
                         [](const auto& x, const auto& y) { return x.second > y.second; });
        if ((int)out[c].size() > k) out[c].resize(k);
    }
    return out;
}

}  // namespace ch05
