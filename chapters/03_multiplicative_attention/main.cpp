// Chapter 03 — Multiplicative attention (Luong, Pham & Manning 2015, "Effective Approaches to
// Attention-based Neural Machine Translation"): global attention with four score functions, the
// attentional hidden state h̃_t and input feeding.
//
// What you learn here:
//   * score functions (eq. 8): dot h_tᵀ h̄_s, general h_tᵀ W_a h̄_s, concat v_aᵀ tanh(W_a [h_t ; h̄_s]),
//     and the scaled dot product h_tᵀ h̄_s / √H — luong_attention.hpp (forward and backward of each);
//   * attending with the CURRENT decoder state h_t (after the GRU step, not before as in chapter 02),
//     then h̃_t = tanh(W_c [c_t ; h_t]) and p(y_t) = softmax(W_s h̃_t) — one decoder step that training
//     and search share, luong_seq2seq.hpp and luong_decoder.hpp;
//   * input feeding: h̃_{t−1} goes into the next step's input, so the decoder knows what it attended
//     to before (and BPTT runs through that path too);
//   * comparing the scores: BLEU, perplexity, speed, and what each one's alignments look like.
// This file reads top to bottom as the run, as chapters 01 and 02: flags → data → model → training
// (train.hpp: the step) → test → figures → metrics.json, with chapter 01's translation_*.hpp for the
// bookkeeping and chapter 02's alignment_figure.hpp for the heatmaps.
//
// Run:   make run CHAPTER=03_multiplicative_attention     (or build/bin/03_multiplicative_attention --help)
//        build/bin/03_multiplicative_attention --quick --score dot
//        build/bin/03_multiplicative_attention --quick --score concat --input-feeding=false
//
// Shapes: B batch, S source length, T target length, E embedding, H hidden, A concat attention size.
#include <chrono>
#include <cmath>
#include <filesystem>
#include <string>

#include "chapters/01_seq2seq/translation_checkpoint.hpp"
#include "chapters/01_seq2seq/translation_report.hpp"
#include "chapters/02_additive_attention/alignment_figure.hpp"
#include "chapters/03_multiplicative_attention/luong_decoder.hpp"
#include "chapters/03_multiplicative_attention/luong_seq2seq.hpp"
#include "chapters/03_multiplicative_attention/train.hpp"
#include "common/run/main_guard.hpp"

namespace ch03 {
using ch02::heatmap_sentences;
using ch02::save_alignments;
using ch02::sources_of;

struct Settings {
    TranslationSettings t;
    std::string score = "scaled-dot";  // dot and general collapse onto one position at these sizes (README)
    int A = 256;                       // concat's attention size
    bool feed = true;                  // input feeding
};

static Settings parse_flags(int argc, char** argv) {
    Settings s;
    s.t.chapter = "03_multiplicative_attention";
    s.t.compare_with = "02_additive_attention";  // runs/02_additive_attention/metrics.json, when there: drawn beside
    s.t.full_max_len = 15, s.t.full_epochs = 6;  // --full: 98 % of fra-eng's pairs, in under an hour
    Cli cli(s.t.chapter, "Luong global attention (dot, general, concat, scaled-dot scores; input feeding) on fra-eng, "
                         "or the synthetic translation task.");
    add_translation_flags(cli, s.t);
    cli.choice("score", &s.score, {"dot", "general", "concat", "scaled-dot"}, "the score function e_ts = score(h_t, h̄_s)");
    cli.flag("attn-size", &s.A, "concat score only: attention size A (rows of W_a, length of v_a)");
    cli.flag("input-feeding", &s.feed, "feed h̃_{t-1} into the decoder's next input (--input-feeding=false: off)");
    cli.range("attn-size", 1, 4096);
    cli.parse(argc, argv);
    finish_translation_flags(cli, s.t);
    if (s.t.f.quick) size_default(cli, "attn-size", &s.A, 128);
    if (s.t.full) size_default(cli, "attn-size", &s.A, 256);
    return s;
}

// Where the score function looked: four test sentences (one of them the longest), decoded greedily.
static std::string save_alignment_figure(const Luong& net, const Settings& s, const Seq2SeqData& d,
                                         const TestReport& report) {
    const std::string sc = luong_score_name(net.cfg.score);
    std::vector<EvalItem> items = heatmap_sentences(report.items);
    Alignments att;
    std::vector<Hypothesis> hyps = luong_translate(net, d.src_vocab, sources_of(items), 1, s.t.alpha, &att);
    std::string path = figure_path(s.t, d, "alignments_" + sc);
    save_alignments(path, "ch03 " + sc + " score" + (net.cfg.feed ? "" : ", no input feeding") +
                              ": alignments (rows: output, columns: source)",
                    items, hyps, att, d.tgt_vocab);
    std::printf("figure: %s\n", path.c_str());
    return path;
}

// Beside chapter 02's run: how big each model is. Luong's encoder has H/2 units per direction, so at
// the same --hidden it has about half of Bahdanau's parameters and learns more slowly in a short run;
// at the default sizes the two are level within a seed's spread (README: 38.99 vs 39.43 BLEU with seed 42).
static std::string size_note(const Luong& net, const TestReport& report, const OtherRun* other, const TrainingLog& log) {
    if (!other || std::isnan(other->params)) return "";
    long n = 0;
    for (const auto& e : net.params.entries()) n += (long)e.size;
    std::string note = with_commas(n) + " parameters against ch" + other->chapter.substr(0, 2) + "'s " +
                       with_commas((long)other->params);
    if (report.evs.back().corpus.bleu < other->test_bleu)
        note += " after " + std::to_string(log.epochs_done) +
                " epochs: too short a run for the smaller model (at the default sizes the two are level, README)";
    return note;
}

static int run(int argc, char** argv) {
    auto t_start = std::chrono::steady_clock::now();
    Settings s = parse_flags(argc, argv);
    std::filesystem::create_directories(s.t.f.out);
    Seq2SeqData d = load_translation_data(s.t);

    // ---- the model: new, or the one --load names (its vocabularies, score and input feeding then win) ----
    Rng rng((uint64_t)s.t.f.seed);
    auto ck = checkpoint_to_load(s.t, kLuongKind, d);
    LuongConfig cfg{.Vs = d.src_vocab.size(), .Vt = d.tgt_vocab.size(), .E = s.t.E, .H = s.t.H, .A = s.A,
                    .score = parse_luong_score(s.score), .feed = s.feed};
    if (ck) cfg = luong_parse_config(ck->config, s.t.f.load);
    Luong net;  // bidirectional GRU encoder (H/2 per direction), GRU decoder, global attention (luong_seq2seq.hpp)
    luong_build(net, cfg, rng);
    if (ck) ck->ck.restore_params(net.params);
    print_translation_model(luong_title(cfg), net.params, s.t, d);

    // ---- training (train.hpp: the step), resumed from the checkpoint when there is one ----
    LuongActs acts;
    luong_reserve(acts, cfg, s.t.f.batch, longest_source(d), longest_target(d));
    Adam opt = make_adam(net.params, s.t.f.lr);
    TrainingLog log = resume_training(ck, opt, rng, s.t);
    auto loss = [&](const Seq2SeqBatch& b) { return luong_forward(net, acts, b); };
    auto translate = [&](const std::vector<std::string>& srcs, int beam) {
        return luong_translate(net, d.src_vocab, srcs, beam, s.t.alpha);
    };
    auto one_epoch = [&](ProgressBar* bar) {
        return train_epoch(net, acts, opt, d, s.t.f.batch, s.t.clip, rng, bar);
    };
    run_epochs(log, s.t, d, one_epoch, loss, translate);  // none left when the checkpoint has them all
    save_if_asked(s.t, kLuongKind, luong_config_text(cfg), net.params, opt, rng, d, log);

    // ---- test, figures (BLEU by length beside chapter 02's run, the alignments), metrics.json ----
    TestReport report = test_translations(s.t, d, loss, translate);
    TranslationFigures figures = save_translation_figures(s.t, d, report.evs, log);
    figures.paths.push_back(save_alignment_figure(net, s, d, report));
    std::string takeaway = translation_takeaway(luong_score_name(cfg.score) + " attention (Luong, global)", report,
                                                figures.beside(), size_note(net, report, figures.beside(), log));
    JsonObject metrics;
    metrics.set("score", luong_score_name(cfg.score)), metrics.set("input_feeding", cfg.feed);
    write_translation_metrics(metrics, s.t, d, kLuongKind, net.params, log, report, figures, takeaway, t_start);
    return 0;
}

}  // namespace ch03

int main(int argc, char** argv) {
    return attn::guarded_main("03_multiplicative_attention", [&] { return ch03::run(argc, argv); });
}
