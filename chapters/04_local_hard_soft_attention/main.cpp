// Chapter 04 — Soft, hard and local attention: Luong, Pham & Manning (2015) section 3.2 (local-m,
// local-p), and hard (stochastic) attention trained with REINFORCE (Xu et al. 2015, "Show, Attend and
// Tell", section 4.1; Williams 1992), all on chapter 03's decoder.
//
// What you learn here:
//   * local-m: attend only to a window [t − D, t + D] around the target position — local_attention.hpp;
//   * local-p: PREDICT the aligned position p_t = S·sigmoid(v_pᵀ tanh(W_p h_t)) and weight the window by
//     a Gaussian around it, so p_t gets a gradient — local_attention.hpp;
//   * hard: draw ONE position i_t ~ α_t and attend to it alone; no derivative through the draw, so the
//     scores learn by REINFORCE with a learned baseline and an entropy bonus — hard_attention.hpp;
//   * how the three change BLEU, speed and the entropy of the weights, beside soft (global) attention.
// The decoder step is chapter 03's two halves with the variant chosen by a switch between them
// (aligned_luong.hpp); the search runs it through chapter 03's decoder rows (aligned_decoder.hpp).
// This file reads top to bottom as the run, as chapters 01–03: flags → data → model → training
// (train.hpp: the step) → test → figures → metrics.json.
//
// Run:   build/bin/04_local_hard_soft_attention --quick --attention local-p
//        build/bin/04_local_hard_soft_attention --quick --attention hard --entropy-beta 0.01
//
// Shapes: B batch, S source length, T target length, E embedding, H hidden, D window half-width.
#include <chrono>
#include <filesystem>
#include <string>

#include "chapters/01_seq2seq/translation_checkpoint.hpp"
#include "chapters/01_seq2seq/translation_report.hpp"
#include "chapters/02_additive_attention/alignment_figure.hpp"
#include "chapters/04_local_hard_soft_attention/aligned_decoder.hpp"
#include "chapters/04_local_hard_soft_attention/aligned_luong.hpp"
#include "chapters/04_local_hard_soft_attention/train.hpp"
#include "common/run/main_guard.hpp"

namespace ch04 {
using ch02::heatmap_sentences;
using ch02::save_alignments;
using ch02::sources_of;

struct Settings {
    TranslationSettings t;
    std::string attention = "local-m";  // the default run shows this chapter's new mechanism (soft is chapter 03's)
    int D = 2;
    float beta = 0.01f;
    std::string score = "scaled-dot";
    int A = 256;
    bool feed = true;
};

static Settings parse_flags(int argc, char** argv) {
    Settings s;
    s.t.chapter = "04_local_hard_soft_attention";
    s.t.compare_with = "03_multiplicative_attention";
    Cli cli(s.t.chapter, "Soft, hard (REINFORCE) and local (local-m, local-p) attention on chapter 03's Luong decoder, "
                         "on fra-eng or the synthetic translation task.");
    add_translation_flags(cli, s.t);
    cli.choice("attention", &s.attention, {"soft", "hard", "local-m", "local-p"}, "how the weights come from the scores");
    cli.flag("window", &s.D, "local-m / local-p: window half-width D (the window is [p-D, p+D])");
    cli.flag("entropy-beta", &s.beta, "hard: weight beta of the entropy bonus");
    cli.choice("score", &s.score, {"dot", "general", "concat", "scaled-dot"}, "chapter 03's score function");
    cli.flag("attn-size", &s.A, "concat score and local-p's position predictor: hidden size A");
    cli.flag("input-feeding", &s.feed, "feed h~_{t-1} into the decoder's next input (--input-feeding=false: off)");
    cli.range("window", 0, 1000), cli.range("entropy-beta", 0, 100), cli.range("attn-size", 1, 4096);
    cli.parse(argc, argv);
    finish_translation_flags(cli, s.t);
    if (s.t.f.quick) size_default(cli, "attn-size", &s.A, 128);
    if (s.t.full) size_default(cli, "attn-size", &s.A, 256);
    return s;
}

// Where the variant looked: α for four test sentences (one of them the longest; local windows and hard's
// argmax positions show as they are), and for hard attention also π, the distribution it draws from.
static std::vector<std::string> save_alignment_figures(const AlignedLuong& net, const Settings& s,
                                                       const Seq2SeqData& d, const TestReport& report) {
    const std::string v = attention_name(net.ac.attention);
    const bool hard = net.ac.attention == Attention::hard;
    std::vector<EvalItem> items = heatmap_sentences(report.items);
    Alignments att, pi;
    std::vector<Hypothesis> hyps =
        aligned_translate(net, d.src_vocab, sources_of(items), 1, s.t.alpha, &att, hard ? &pi : nullptr);
    std::vector<std::string> paths = {figure_path(s.t, d, "alignments_" + v)};
    save_alignments(paths.back(), "ch04 " + v + " attention" + (hard ? " (argmax positions)" : "") +
                                      ": alignments (rows: output, columns: source)",
                    items, hyps, att, d.tgt_vocab);
    std::printf("figure: %s\n", paths.back().c_str());
    if (hard) {
        paths.push_back(figure_path(s.t, d, "alignments_hard_distribution"));
        save_alignments(paths.back(), "ch04 hard attention: the distribution pi the positions are drawn from", items,
                        hyps, pi, d.tgt_vocab);
        std::printf("figure: %s\n", paths.back().c_str());
    }
    return paths;
}

static int run(int argc, char** argv) {
    auto t_start = std::chrono::steady_clock::now();
    Settings s = parse_flags(argc, argv);
    std::filesystem::create_directories(s.t.f.out);
    Seq2SeqData d = load_translation_data(s.t);

    // ---- the model: new, or the one --load names (its vocabularies and variant then win) ----
    Rng rng((uint64_t)s.t.f.seed);
    auto ck = checkpoint_to_load(s.t, kAlignedKind, d);
    LuongConfig cfg{.Vs = d.src_vocab.size(), .Vt = d.tgt_vocab.size(), .E = s.t.E, .H = s.t.H, .A = s.A,
                    .score = parse_luong_score(s.score), .feed = s.feed};
    AlignedConfig ac{.attention = parse_attention(s.attention), .D = s.D, .beta = s.beta};
    if (ck) aligned_parse_config(ck->config, s.t.f.load, &cfg, &ac);
    AlignedLuong net;  // chapter 03's Luong model with the variant's parameters (aligned_luong.hpp)
    aligned_build(net, cfg, ac, rng);
    if (ck) ck->ck.restore_params(net.net.params);
    print_translation_model(aligned_title(net), net.net.params, s.t, d);

    // ---- training (train.hpp: the step), resumed from the checkpoint when there is one ----
    AlignedActs acts;
    aligned_reserve(acts, cfg, s.t.f.batch, longest_source(d), longest_target(d));
    Adam opt = make_adam(net.net.params, s.t.f.lr);
    TrainingLog log = resume_training(ck, opt, rng, s.t);
    auto loss = [&](const Seq2SeqBatch& b) { return aligned_forward(net, acts, b, nullptr); };  // hard: argmax
    auto translate = [&](const std::vector<std::string>& srcs, int beam) {
        return aligned_translate(net, d.src_vocab, srcs, beam, s.t.alpha);
    };
    auto one_epoch = [&](ProgressBar* bar) {
        return train_epoch(net, acts, opt, d, s.t.f.batch, s.t.clip, rng, bar);
    };
    run_epochs(log, s.t, d, one_epoch, loss, translate);  // none left when the checkpoint has them all
    save_if_asked(s.t, kAlignedKind, aligned_config_text(net), net.net.params, opt, rng, d, log);

    // ---- test, figures (BLEU by length beside chapter 03's run, the alignments), entropy, metrics.json ----
    TestReport report = test_translations(s.t, d, loss, translate);
    TranslationFigures figures = save_translation_figures(s.t, d, report.evs, log);
    for (const std::string& f : save_alignment_figures(net, s, d, report)) figures.paths.push_back(f);
    const bool hard = net.ac.attention == Attention::hard;
    double entropy = aligned_mean_entropy(net, acts, d, d.split.test, s.t.f.batch);
    std::printf("mean attention entropy (test, teacher forced%s): %.3f nats\n",
                hard ? ", of the sampling distribution" : "", entropy);
    char note[96];
    std::snprintf(note, sizeof note, "its weights' mean entropy %.2f nats%s", entropy, hard ? " (of pi)" : "");
    const OtherRun* other = figures.beside();
    std::string why = other && report.evs.back().corpus.bleu < other->test_bleu
                          ? "; " + std::to_string(log.epochs_done) + " epochs of ch03's model, half ch02's size: a quick look" +
                                " (the README compares the variants at the default sizes)"
                          : "";
    std::string takeaway = translation_takeaway(attention_name(net.ac.attention) + " attention (" +
                                                    luong_score_name(cfg.score) + " score)",
                                                report, other, note + why);
    JsonObject metrics;
    metrics.set("attention", attention_name(net.ac.attention)), metrics.set("score", luong_score_name(cfg.score));
    metrics.set("window", net.ac.D), metrics.set("entropy_beta", (double)net.ac.beta);
    metrics.set("attention_entropy", entropy);
    write_translation_metrics(metrics, s.t, d, kAlignedKind, net.net.params, log, report, figures, takeaway, t_start);
    return 0;
}

}  // namespace ch04

int main(int argc, char** argv) {
    return attn::guarded_main("04_local_hard_soft_attention", [&] { return ch04::run(argc, argv); });
}
