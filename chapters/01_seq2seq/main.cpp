// Chapter 01 — Sequence to sequence: a GRU encoder–decoder, teacher forcing, greedy and beam search,
// and the fixed-context bottleneck that the rest of the course removes.
//
// What you learn here, before any attention:
//   * an encoder GRU reads the source and its FINAL state c is all the decoder ever sees of it
//     (Cho et al. 2014; Sutskever, Vinyals & Le 2014) — gru_seq2seq.hpp;
//   * training with teacher forcing: the decoder reads the true previous word, and the loss is the
//     cross-entropy of every target token, padding ignored — seq2seq_data.hpp, train.hpp;
//   * decoding: greedy search and beam search with length normalisation — decoding.hpp;
//   * measuring: corpus BLEU, and BLEU per source length, where one vector of H numbers for a whole
//     sentence shows its limits — translation_eval.hpp.
// This file reads top to bottom as the run: flags → data → model → training (train.hpp) → test →
// figures → metrics.json. Chapters 02–04 have the same shape with their own models, and share the
// plain functions of translation_*.hpp (flags, training bookkeeping, checkpoints, reports).
//
// Run:   make run CHAPTER=01_seq2seq                 (or build/bin/01_seq2seq --help)
//        build/bin/01_seq2seq --quick                (well under a minute)
//        build/bin/01_seq2seq --save m.ckpt ; build/bin/01_seq2seq --load m.ckpt --eval-file pairs.tsv
//
// Shapes: B batch, S source length, T target length, E embedding, H hidden, Vs/Vt vocabularies.
#include <chrono>
#include <filesystem>
#include <string>

#include "chapters/01_seq2seq/gru_seq2seq.hpp"
#include "chapters/01_seq2seq/train.hpp"
#include "chapters/01_seq2seq/translation_checkpoint.hpp"
#include "chapters/01_seq2seq/translation_report.hpp"
#include "common/run/main_guard.hpp"

namespace ch01 {

struct Settings {
    TranslationSettings t;
    bool reverse_source = true;
};

static Settings parse_flags(int argc, char** argv) {
    Settings s;
    s.t.chapter = "01_seq2seq";
    Cli cli(s.t.chapter, "GRU encoder-decoder (no attention) on fra-eng, or the synthetic translation task.");
    add_translation_flags(cli, s.t);
    cli.flag("reverse-source", &s.reverse_source, "encoder reads the source backwards (Sutskever et al.)");
    cli.parse(argc, argv);
    finish_translation_flags(cli, s.t);
    return s;
}

static int run(int argc, char** argv) {
    auto t_start = std::chrono::steady_clock::now();
    Settings s = parse_flags(argc, argv);
    std::filesystem::create_directories(s.t.f.out);
    Seq2SeqData d = load_translation_data(s.t);

    // ---- the model: new, or the one --load names (its vocabularies then decide the ids) ----
    Rng rng((uint64_t)s.t.f.seed);
    auto ck = checkpoint_to_load(s.t, kGRUSeq2SeqKind, d);
    GRUSeq2SeqConfig cfg{.Vs = d.src_vocab.size(), .Vt = d.tgt_vocab.size(), .E = s.t.E, .H = s.t.H,
                         .reverse_source = s.reverse_source};
    if (ck) cfg = gru_seq2seq_parse_config(ck->config, s.t.f.load);
    GRUSeq2Seq net;  // the context vector is the encoder's final state (gru_seq2seq.hpp)
    gru_seq2seq_build(net, cfg, rng);
    if (ck) ck->ck.restore_params(net.params);
    print_translation_model(gru_seq2seq_title(cfg), net.params, s.t, d);

    // ---- training (train.hpp: the step), resumed from the checkpoint when there is one ----
    GRUSeq2SeqActs acts;
    gru_seq2seq_reserve(acts, cfg, s.t.f.batch, longest_source(d), longest_target(d));
    Adam opt = make_adam(net.params, s.t.f.lr);
    TrainingLog log = resume_training(ck, opt, rng, s.t);
    auto loss = [&](const Seq2SeqBatch& b) { return gru_seq2seq_forward(net, acts, b); };
    auto translate = [&](const std::vector<std::string>& srcs, int beam) {
        return gru_seq2seq_translate(net, d.src_vocab, srcs, beam, s.t.alpha);
    };
    auto one_epoch = [&](ProgressBar* bar) {
        return train_epoch(net, acts, opt, d, s.t.f.batch, s.t.clip, rng, bar);
    };
    run_epochs(log, s.t, d, one_epoch, loss, translate);  // none left when the checkpoint has them all
    save_if_asked(s.t, kGRUSeq2SeqKind, gru_seq2seq_config_text(cfg), net.params, opt, rng, d, log);

    // ---- test, figures, metrics.json ----
    TestReport report = test_translations(s.t, d, loss, translate);
    TranslationFigures figures = save_translation_figures(s.t, d, report.evs, log);
    std::string takeaway = translation_takeaway("no attention (one context vector)", report, figures.beside());
    JsonObject metrics;
    write_translation_metrics(metrics, s.t, d, kGRUSeq2SeqKind, net.params, log, report, figures, takeaway, t_start);
    return 0;
}

}  // namespace ch01

int main(int argc, char** argv) {
    return attn::guarded_main("01_seq2seq", [&] { return ch01::run(argc, argv); });
}
