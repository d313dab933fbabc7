// attention_maps.hpp — where the transformer looked, per layer and head, for one test sentence of
// median length translated greedily: three figures, each a grid of layers (rows) × heads (columns),
// one colour scale per figure (0..1); and a fourth, the last layer's cross-attention heads (columns)
// for four test sentences (rows): three spread over the lengths and the longest.
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

// One test sentence translated greedily, then one teacher-forced pass over <bos> + the output, so the
// attention caches hold every weight; with the tokens that label the maps.
struct AttendedSentence {
    TransformerActs a;
    std::vector<std::string> src, out, read{"<bos>"};  // source tokens, output tokens, decoder inputs
    int S = 0, T = 0;
    std::string what;                                  // 'source' -> 'output'
};
inline void attend_sentence(AttendedSentence& r, const Transformer& m, const Seq2SeqData& d, const EvalItem& item,
                            float alpha) {
    const Hypothesis hyp = transformer_translate(m, d.src_vocab, {item.src}, 1, alpha)[0];
    Seq2SeqBatch b = make_seq2seq_batch({d.src_vocab.encode(item.src, false, true)}, {hyp.tokens}, {0});
    b.T = (int)hyp.tokens.size();  // the output already ends in <eos> (or was cut): read <bos> y_1 .. y_{L-1}
    Rng unused(0);
    transformer_forward(m, r.a, b, unused, false);
    for (const auto& w : split_ws(item.src)) r.src.push_back(w);
    r.src.push_back("<eos>");
    for (int tok : hyp.tokens) r.out.push_back(d.tgt_vocab.token(tok));
    for (int i = 0; i + 1 < b.T; i++) r.read.push_back(r.out[i]);
    r.S = b.S, r.T = b.T;
    r.what = "'" + item.src + "' -> '" + hypothesis_text(hyp, d.tgt_vocab) + "'";
}

// The last decoder layer's cross-attention, every head, for each of a few sentences (one row each).
inline std::string save_cross_attention_sentences(const Transformer& m, const TranslationSettings& s,
                                                  const Seq2SeqData& d, const std::vector<AttendedSentence>& sents) {
    const int NH = m.cfg.NH, last = m.cfg.dec_layers - 1;
    std::vector<HeatmapPanel> panels;
    for (size_t k = 0; k < sents.size(); k++)
        for (int h = 0; h < NH; h++) {
            const AttendedSentence& r = sents[k];
            HeatmapPanel p;
            p.values = r.a.dec_c[last].cross.att.data() + (size_t)h * r.T * r.S;
            p.rows = r.T, p.cols = r.S, p.row_labels = r.out, p.col_labels = r.src;
            p.title = "sentence " + std::to_string(k + 1) + ", head " + std::to_string(h + 1);
            panels.push_back(p);
        }
    HeatmapOptions o;
    o.title = "ch07 cross-attention of the last layer, " + std::to_string(sents.size()) + " test sentences (rows)";
    o.xlabel = "source (keys)", o.ylabel = "output (queries)";
    o.vmin = 0, o.vmax = 1, o.show_values = 0;
    const std::string path = figure_path(s, d, "cross_attention_sentences");
    save_heatmap_grid(path, panels, NH, o);
    std::printf("figure: %s\n", path.c_str());
    return path;
}

// The three per-layer figures for the test sentence of median length, and the last layer's
// cross-attention for four sentences (three spread over the lengths, and the longest); returns the paths.
inline std::vector<std::string> save_attention_maps(const Transformer& m, const TranslationSettings& s,
                                                    const Seq2SeqData& d, const TestReport& report) {
    std::vector<EvalItem> picks = ch02::heatmap_sentences(report.items);
    if (picks.empty()) return {};
    std::vector<AttendedSentence> sents(picks.size());
    for (size_t k = 0; k < picks.size(); k++) attend_sentence(sents[k], m, d, picks[k], s.alpha);
    const AttendedSentence& r = sents[std::min<size_t>(1, sents.size() - 1)];  // the median length
    const int NH = m.cfg.NH;
    std::printf("\nattention maps (greedy, test): %s\n", r.what.c_str());
    std::vector<std::string> paths = {
        save_head_grid(figure_path(s, d, "encoder_self_attention"), "ch07 encoder self-attention, one test sentence",
                       m.cfg.enc_layers, NH, r.S, r.S, r.src, r.src, "source (keys)", "source (queries)",
                       [&](int l) { return r.a.enc_c[l].mha.att.data(); }),
        save_head_grid(figure_path(s, d, "decoder_self_attention"), "ch07 decoder self-attention (causal), one test sentence",
                       m.cfg.dec_layers, NH, r.T, r.T, r.out, r.read, "decoder input (keys)", "output (queries)",
                       [&](int l) { return r.a.dec_c[l].self.att.data(); }),
        save_head_grid(figure_path(s, d, "cross_attention"), "ch07 cross-attention (output -> source), one test sentence",
                       m.cfg.dec_layers, NH, r.T, r.S, r.out, r.src, "source (keys)", "output (queries)",
                       [&](int l) { return r.a.dec_c[l].cross.att.data(); }),
    };
    for (size_t k = 0; k < sents.size(); k++) std::printf("  [%zu] %s\n", k + 1, sents[k].what.c_str());
    paths.push_back(save_cross_attention_sentences(m, s, d, sents));
    return paths;
}

}  // namespace ch07
