// attention_maps.hpp — where the transformer looked, per layer and head, for one test sentence of
// median length translated greedily: three figures, each a grid of layers (rows) × heads (columns),
// one colour scale per figure (0..1).
//
//   encoder self-attention   rows: source tokens (queries)   columns: source tokens (keys)
//   decoder self-attention   rows: output tokens             columns: the tokens the decoder read (<bos> y_1 ..)
//   cross-attention          rows: output tokens             columns: source tokens — chapter 02's alignment
//
// The maps come from one teacher-forced pass (dropout off) over <bos> + the greedy output: its
// attention caches (MHACache::att) hold every weight, so nothing in the model records anything extra.
#pragma once
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "chapters/01_seq2seq/translation_figures.hpp"
#include "chapters/01_seq2seq/translation_report.hpp"
#include "chapters/02_additive_attention/alignment_figure.hpp"
#include "chapters/07_transformer/incremental_decoder.hpp"
#include "common/figures/heatmap.hpp"

namespace ch07 {

// One figure: att(l) gives layer l's (NH, rows, cols) weights.
template <class AttOf>
std::string save_head_grid(const std::string& path, const std::string& title, int layers, int NH, int rows, int cols,
                           const std::vector<std::string>& row_labels, const std::vector<std::string>& col_labels,
                           const std::string& xlabel, const std::string& ylabel, AttOf&& att) {
    std::vector<HeatmapPanel> panels;
    for (int l = 0; l < layers; l++)
        for (int h = 0; h < NH; h++) {
            HeatmapPanel p;
            p.values = att(l) + (size_t)h * rows * cols;
            p.rows = rows, p.cols = cols, p.row_labels = row_labels, p.col_labels = col_labels;
            p.title = "layer " + std::to_string(l + 1) + ", head " + std::to_string(h + 1);
            panels.push_back(p);
        }
    HeatmapOptions o;
    o.title = title, o.xlabel = xlabel, o.ylabel = ylabel;
    o.vmin = 0, o.vmax = 1, o.show_values = 0;
    save_heatmap_grid(path, panels, NH, o);
    std::printf("figure: %s\n", path.c_str());
    return path;
}

// The three figures for the test sentence of median length; returns their paths.
inline std::vector<std::string> save_attention_maps(const Transformer& m, const TranslationSettings& s,
                                                    const Seq2SeqData& d, const TestReport& report) {
    std::vector<EvalItem> picks = ch02::heatmap_sentences(report.items);
    if (picks.empty()) return {};
    const EvalItem item = picks[1];  // the median length
    const Hypothesis hyp = transformer_translate(m, d.src_vocab, {item.src}, 1, s.alpha)[0];
    // one teacher-forced pass over <bos> + the output, so the caches hold every weight
    Seq2SeqBatch b = make_seq2seq_batch({d.src_vocab.encode(item.src, false, true)}, {hyp.tokens}, {0});
    b.T = (int)hyp.tokens.size();  // the output already ends in <eos> (or was cut): read <bos> y_1 .. y_{L-1}
    TransformerActs a;
    Rng unused(0);
    transformer_forward(m, a, b, unused, false);
    std::vector<std::string> src, out, read{"<bos>"};
    for (const auto& w : split_ws(item.src)) src.push_back(w);
    src.push_back("<eos>");
    for (int tok : hyp.tokens) out.push_back(d.tgt_vocab.token(tok));
    for (int i = 0; i + 1 < b.T; i++) read.push_back(out[i]);
    const int S = b.S, T = b.T, NH = m.cfg.NH;
    const std::string what = "'" + item.src + "' -> '" + hypothesis_text(hyp, d.tgt_vocab) + "'";
    std::printf("\nattention maps (greedy, test): %s\n", what.c_str());
    return {
        save_head_grid(figure_path(s, d, "encoder_self_attention"), "ch07 encoder self-attention, one test sentence",
                       m.cfg.enc_layers, NH, S, S, src, src, "source (keys)", "source (queries)",
                       [&](int l) { return a.enc_c[l].mha.att.data(); }),
        save_head_grid(figure_path(s, d, "decoder_self_attention"), "ch07 decoder self-attention (causal), one test sentence",
                       m.cfg.dec_layers, NH, T, T, out, read, "decoder input (keys)", "output (queries)",
                       [&](int l) { return a.dec_c[l].self.att.data(); }),
        save_head_grid(figure_path(s, d, "cross_attention"), "ch07 cross-attention (output -> source), one test sentence",
                       m.cfg.dec_layers, NH, T, S, out, src, "source (keys)", "output (queries)",
                       [&](int l) { return a.dec_c[l].cross.att.data(); }),
    };
}

}  // namespace ch07
