// Chapter 02 — Additive attention (Bahdanau, Cho & Bengio 2014, "Neural Machine Translation by
// Jointly Learning to Align and Translate"): the decoder stops relying on one fixed vector and, at every
// step, looks back at ALL encoder states through learned weights α_ti.
//
// What you learn here:
//   * the additive score e_ti = vᵀ tanh(W s_{t−1} + U h_i), a softmax over the VALID (unpadded) source
//     positions, and the context c_t = Σ_i α_ti h_i — additive_attention.hpp (forward and backward);
//   * a bidirectional GRU encoder (h_i = [h→_i ; h←_i]), the decoder GRU fed [embedding ; context],
//     s_0 = tanh(W_s h←_1 + b_s), and ONE decoder step that training and search share —
//     bahdanau_seq2seq.hpp, bahdanau_decoder.hpp;
//   * reading alignments: heatmaps of α (rows = target tokens, columns = source tokens) —
//     alignment_figure.hpp — and BLEU by source length beside chapter 01's curve.
// This file reads top to bottom as the run, as chapter 01's: flags → data → model → training (train.hpp:
// the step) → test → figures → metrics.json, with chapter 01's translation_*.hpp for the bookkeeping.
//
// Run:   make run CHAPTER=02_additive_attention        (or build/bin/02_additive_attention --help)
//        build/bin/02_additive_attention --quick        (well under a minute on the synthetic task)
//        build/bin/01_seq2seq --quick && build/bin/02_additive_attention --quick   (draws ch01's curve beside)
//
// Shapes: B batch, S source length, T target length, E embedding, H hidden, A attention, Vs/Vt vocabularies.
#include <chrono>
#include <filesystem>
#include <string>

#include "chapters/01_seq2seq/translation_checkpoint.hpp"
#include "chapters/01_seq2seq/translation_report.hpp"
#include "chapters/02_additive_attention/alignment_figure.hpp"
#include "chapters/02_additive_attention/bahdanau_decoder.hpp"
#include "chapters/02_additive_attention/bahdanau_seq2seq.hpp"
#include "chapters/02_additive_attention/train.hpp"
#include "common/run/main_guard.hpp"

namespace ch02 {

struct Settings {
    TranslationSettings t;
    int A = 256;  // attention size
};

static Settings parse_flags(int argc, char** argv) {
    Settings s;
    s.t.chapter = "02_additive_attention";
    s.t.compare_with = "01_seq2seq";  // runs/01_seq2seq/metrics.json, when it is there: drawn beside ours
    s.t.full_max_len = 15, s.t.full_epochs = 5;  // --full: 98 % of fra-eng's pairs, in under an hour
    Cli cli(s.t.chapter, "Bahdanau additive attention (bidirectional GRU encoder) on fra-eng, or the synthetic translation task.");
    add_translation_flags(cli, s.t);
    cli.flag("attn", &s.A, "attention size A (rows of W and U, length of v)");
    cli.range("attn", 1, 4096);
    cli.parse(argc, argv);
    finish_translation_flags(cli, s.t);
    if (s.t.f.quick) size_default(cli, "attn", &s.A, 128);
    if (s.t.full) size_default(cli, "attn", &s.A, 256);
    return s;
}

// Where the attention looked: four test sentences (one of them the longest), decoded greedily.
static std::string save_alignment_figure(Bahdanau& net, const Settings& s, const Seq2SeqData& d,
                                         const TestReport& report) {
    std::vector<EvalItem> items = heatmap_sentences(report.items);
    Alignments att;
    std::vector<Hypothesis> hyps = bahdanau_translate(net, d.src_vocab, sources_of(items), 1, s.t.alpha, &att);
    std::string path = figure_path(s.t, d, "alignments");
    save_alignments(path, "ch02 additive attention: alignments (rows: output, columns: source)", items, hyps, att,
                    d.tgt_vocab);
    std::printf("figure: %s\n", path.c_str());
    return path;
}

static int run(int argc, char** argv) {
    auto t_start = std::chrono::steady_clock::now();
    Settings s = parse_flags(argc, argv);
    std::filesystem::create_directories(s.t.f.out);
    Seq2SeqData d = load_translation_data(s.t);

    // ---- the model: new, or the one --load names (its vocabularies then decide the ids) ----
    Rng rng((uint64_t)s.t.f.seed);
    auto ck = checkpoint_to_load(s.t, kBahdanauKind, d);
    BahdanauConfig cfg{.Vs = d.src_vocab.size(), .Vt = d.tgt_vocab.size(), .E = s.t.E, .H = s.t.H, .A = s.A};
    if (ck) cfg = bahdanau_parse_config(ck->config, s.t.f.load);
    Bahdanau net;  // bidirectional GRU encoder, additive attention, GRU decoder (bahdanau_seq2seq.hpp)
    bahdanau_build(net, cfg, rng);
    if (ck) ck->ck.restore_params(net.params);
    print_translation_model(bahdanau_title(cfg), net.params, s.t, d);

    // ---- training (train.hpp: the step), resumed from the checkpoint when there is one ----
    BahdanauActs acts;
    bahdanau_reserve(acts, cfg, s.t.f.batch, longest_source(d), longest_target(d));
    Adam opt = make_adam(net.params, s.t.f.lr);
    TrainingLog log = resume_training(ck, opt, rng, s.t);
    auto loss = [&](const Seq2SeqBatch& b) { return bahdanau_forward(net, acts, b); };
    auto translate = [&](const std::vector<std::string>& srcs, int beam) {
        return bahdanau_translate(net, d.src_vocab, srcs, beam, s.t.alpha);
    };
    auto one_epoch = [&](ProgressBar* bar) {
        return train_epoch(net, acts, opt, d, s.t.f.batch, s.t.clip, rng, bar);
    };
    run_epochs(log, s.t, d, one_epoch, loss, translate);  // none left when the checkpoint has them all
    save_if_asked(s.t, kBahdanauKind, bahdanau_config_text(cfg), net.params, opt, rng, d, log);

    // ---- test, figures (BLEU by length beside chapter 01's run, the alignments), metrics.json ----
    TestReport report = test_translations(s.t, d, loss, translate);
    TranslationFigures figures = save_translation_figures(s.t, d, report.evs, log);
    figures.paths.push_back(save_alignment_figure(net, s, d, report));
    std::string takeaway = translation_takeaway("additive attention", report, figures.beside());
    JsonObject metrics;
    write_translation_metrics(metrics, s.t, d, kBahdanauKind, net.params, log, report, figures, takeaway, t_start);
    return 0;
}

}  // namespace ch02

int main(int argc, char** argv) {
    return attn::guarded_main("02_additive_attention", [&] { return ch02::run(argc, argv); });
}
