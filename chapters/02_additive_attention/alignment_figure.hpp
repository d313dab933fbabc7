// alignment_figure.hpp — what the attention looked at: heatmaps of α for a few test sentences
// (rows = output tokens, columns = source tokens, both ending in <eos>), one panel per sentence.
// Chapters 02–04 draw their alignments with it.
#pragma once
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "chapters/01_seq2seq/decoding.hpp"
#include "chapters/01_seq2seq/seq2seq_data.hpp"
#include "common/eval/bleu.hpp"
#include "common/figures/heatmap.hpp"

namespace ch02 {
using namespace attn;
using namespace ch01;

// Four test sentences: three spread over the lengths, and the longest one.
inline std::vector<EvalItem> heatmap_sentences(const std::vector<EvalItem>& items) {
    std::vector<EvalItem> sorted = items, out;
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const EvalItem& a, const EvalItem& b) { return a.src_len < b.src_len; });
    if (sorted.empty()) return out;
    for (double f : {0.25, 0.5, 0.75}) out.push_back(sorted[(size_t)(f * (sorted.size() - 1))]);
    out.push_back(sorted.back());
    return out;
}

// The source sentences of items, in order (to hand to a chapter's translate).
inline std::vector<std::string> sources_of(const std::vector<EvalItem>& items) {
    std::vector<std::string> srcs;
    for (const auto& it : items) srcs.push_back(it.src);
    return srcs;
}

// One panel per sentence of `items`, from their greedy translations `hyps` and the weights `att`
// the chapter's translate recorded (rows: output tokens; columns: source tokens); prints the pairs.
inline void save_alignments(const std::string& path, const std::string& title, const std::vector<EvalItem>& items,
                            const std::vector<Hypothesis>& hyps, const Alignments& att, const Vocab& tgt_vocab) {
    std::vector<Buf> mats(items.size());
    std::vector<HeatmapPanel> panels;
    std::printf("\nalignments (greedy, test):\n");
    for (size_t k = 0; k < items.size(); k++) {
        HeatmapPanel p;
        for (const auto& w : split_ws(items[k].src)) p.col_labels.push_back(w);
        p.col_labels.push_back("<eos>");
        for (int tok : hyps[k].tokens) p.row_labels.push_back(tgt_vocab.token(tok));
        p.rows = (int)att[k].size(), p.cols = (int)p.col_labels.size();
        for (const auto& row : att[k]) mats[k].insert(mats[k].end(), row.begin(), row.end());
        p.values = mats[k].data();
        p.title = "src " + std::to_string(items[k].src_len) + " tokens";
        panels.push_back(p);
        std::printf("  [%zu] %s\n   -> %s\n", k, items[k].src.c_str(), hypothesis_text(hyps[k], tgt_vocab).c_str());
    }
    HeatmapOptions o;
    o.title = title;
    o.xlabel = "source", o.ylabel = "output";
    o.vmin = 0, o.vmax = 1;
    save_heatmap_grid(path, panels, 2, o);
}

}  // namespace ch02
