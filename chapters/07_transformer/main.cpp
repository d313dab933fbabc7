// Chapter 07 — The Transformer (Vaswani et al. 2017, "Attention Is All You Need"): no recurrence at
// all. The encoder is chapter 06's self-attention layers; the decoder adds masked self-attention and
// attention to the encoder; training sees every target position at once, and the search decodes one
// token at a time with a key/value cache.
//
// What you learn here:
//   * the decoder layer — causal self-attention, cross-attention, feed-forward, each in a residual
//     connection and a layer norm, pre- or post-norm — decoder_layer.hpp, residual.hpp, feed_forward.hpp;
//   * the whole model: embeddings ·√C, sinusoidal positions, the two stacks, the output layer tied to
//     the target embedding, label smoothing — transformer.hpp;
//   * the schedule that makes it train (warm-up, then decay) and the paper's Adam — train.hpp;
//   * incremental decoding: a per-layer key/value cache reordered by beam parent, equal to recomputing
//     the whole prefix and many times faster — incremental_decoder.hpp;
//   * reading it: self- and cross-attention maps per layer and head — attention_maps.hpp.
// This file reads top to bottom as the run, as chapters 01–04's: flags → data → model → training
// (train.hpp: the step) → test → figures → metrics.json, with chapter 01's translation_*.hpp.
//
// Run:   make run CHAPTER=07_transformer            (or build/bin/07_transformer --help)
//        build/bin/07_transformer --quick            (well under a minute)
//        build/bin/02_additive_attention && build/bin/07_transformer   (draws ch02's curve beside)
//
// Shapes: B batch, S source length, T target length, C width, NH heads, F feed-forward width.
#include <chrono>
#include <filesystem>
#include <string>

#include "chapters/01_seq2seq/translation_checkpoint.hpp"
#include "chapters/01_seq2seq/translation_report.hpp"
#include "chapters/07_transformer/attention_maps.hpp"
#include "chapters/07_transformer/incremental_decoder.hpp"
#include "chapters/07_transformer/train.hpp"
#include "chapters/07_transformer/transformer_config.hpp"
#include "common/run/main_guard.hpp"

namespace ch07 {

struct Settings {
    TranslationSettings t;
    TransformerConfig model;
    std::string norm = "pre", schedule = "warmup-cosine";
    bool untied = false;
    int warmup = 800;
};

static Settings parse_flags(int argc, char** argv) {
    Settings s;
    s.t.chapter = "07_transformer";
    s.t.compare_with = "02_additive_attention";  // runs/02_additive_attention/metrics.json: drawn beside ours
    s.t.full_max_len = 15, s.t.full_epochs = 4;  // --full: 98 % of fra-eng's pairs, in under an hour
    TransformerConfig& m = s.model;
    Cli cli(s.t.chapter, "The Transformer (encoder-decoder, multi-head attention) on fra-eng, or the synthetic translation task.");
    add_translation_flags(cli, s.t);
    s.t.f.lr = 1e-3f;  // the translation flags default to 2e-3, chapters 01-04's
    cli.flag("dim", &m.C, "model width C (embeddings, attention, residual stream)");
    cli.flag("heads", &m.NH, "attention heads per layer (must divide --dim)");
    cli.flag("ffn", &m.F, "feed-forward width F");
    cli.flag("enc-layers", &m.enc_layers, "encoder layers");
    cli.flag("dec-layers", &m.dec_layers, "decoder layers");
    cli.flag("dropout", &m.dropout, "dropout on the embeddings and every residual branch");
    cli.flag("attn-dropout", &m.attn_dropout, "dropout on the attention weights");
    cli.flag("smoothing", &m.smoothing, "label smoothing epsilon of the training loss");
    cli.choice("norm", &s.norm, {"pre", "post"}, "layer norm before each sublayer (pre) or after the residual sum (post, the paper)");
    cli.flag("untied", &s.untied, "an output layer of its own instead of the target embedding");
    cli.choice("schedule", &s.schedule, {"warmup-cosine", "noam"}, "learning rate: warm-up then cosine decay, or the paper's");
    cli.flag("warmup", &s.warmup, "warm-up steps of the schedule (the peak lr is --lr)");
    cli.range("dim", 2, 4096), cli.range("heads", 1, 256), cli.range("ffn", 1, 16384), cli.range("enc-layers", 1, 48);
    cli.range("dec-layers", 1, 48), cli.range("dropout", 0, 0.9), cli.range("attn-dropout", 0, 0.9), cli.range("smoothing", 0, 0.9), cli.range("warmup", 1, 1000000);
    cli.parse(argc, argv);
    if (cli.was_set("emb") || cli.was_set("hidden"))  // chapters 01-04's sizes: refused, not ignored
        fail(cli.was_set("emb") ? "--emb" : "--hidden", "a size of chapters 01-04's recurrent layers, which the transformer does not have",
             "use --dim (the width C, embeddings included) and --ffn (the feed-forward width)");
    finish_translation_flags(cli, s.t);
    if (s.t.f.quick) {
        size_default(cli, "dim", &m.C, 128), size_default(cli, "ffn", &m.F, 512), size_default(cli, "warmup", &s.warmup, 200);
        size_default(cli, "enc-layers", &m.enc_layers, 2), size_default(cli, "dec-layers", &m.dec_layers, 2);
        // more, smaller steps than chapters 01-04's quick run: a transformer needs steps more than epochs
        size_default(cli, "batch", &s.t.f.batch, 32), size_default(cli, "epochs", &s.t.f.epochs, 4);
        size_default(cli, "lr", &s.t.f.lr, 2e-3f);  // the small model takes a larger step (quick fra-eng: 22.7 at 1e-3, 29 at 2e-3)
    }
    m.norm = s.norm == "post" ? NormPlace::Post : NormPlace::Pre;
    m.tie = !s.untied;
    if (m.C % m.NH != 0) fail("--heads", "a head count dividing --dim " + std::to_string(m.C) + ", got " + std::to_string(m.NH));
    return s;
}

static int run(int argc, char** argv) {
    auto t_start = std::chrono::steady_clock::now();
    Settings s = parse_flags(argc, argv);
    std::filesystem::create_directories(s.t.f.out);
    Seq2SeqData d = load_translation_data(s.t);

    // ---- the model: new, or the one --load names (its vocabularies then decide the ids) ----
    Rng rng((uint64_t)s.t.f.seed);
    auto ck = checkpoint_to_load(s.t, kTransformerKind, d);
    TransformerConfig cfg = s.model;
    cfg.Vs = d.src_vocab.size(), cfg.Vt = d.tgt_vocab.size();
    if (ck) cfg = transformer_parse_config(ck->config, s.t.f.load);
    Transformer net;  // embeddings, chapter 06's encoder layers, decoder layers, tied output (transformer.hpp)
    transformer_build(net, cfg, rng);
    if (ck) ck->ck.restore_params(net.params);
    print_translation_model(transformer_title(cfg), net.params, s.t, d);

    // ---- training (train.hpp: the step), resumed from the checkpoint when there is one ----
    TransformerActs acts;
    acts.resize(cfg, s.t.f.batch, longest_source(d), longest_target(d));
    Adam opt = make_transformer_adam(net.params, s.t.f.lr);
    TrainingLog log = resume_training(ck, opt, rng, s.t);
    Rng unused(0);  // the batches are not shuffled here: only counted
    const long steps_per_epoch = (long)make_batches(d, d.split.train, s.t.f.batch, unused, false).size();
    const LrSchedule sched = make_schedule(s.schedule == "noam" ? ScheduleKind::Noam : ScheduleKind::WarmupCosine,
                                           s.t.f.lr, s.warmup, steps_per_epoch * s.t.f.epochs, cfg.C);
    std::printf("schedule: %s, warm-up %d steps to lr %g, %ld steps in all; Adam beta2 0.98, eps 1e-9; label smoothing %g "
                "(the training loss includes it, the validation loss does not)\n",
                s.schedule.c_str(), s.warmup, s.t.f.lr, steps_per_epoch * s.t.f.epochs, cfg.smoothing);
    Rng eval_rng(0);
    auto loss = [&](const Seq2SeqBatch& b) { return transformer_forward(net, acts, b, eval_rng, false); };
    auto translate = [&](const std::vector<std::string>& srcs, int beam) {
        return transformer_translate(net, d.src_vocab, srcs, beam, s.t.alpha);
    };
    auto one_epoch = [&](ProgressBar* bar) {
        return train_epoch(net, acts, opt, sched, d, s.t.f.batch, s.t.clip, rng, bar);
    };
    run_epochs(log, s.t, d, one_epoch, loss, translate);  // none left when the checkpoint has them all
    save_if_asked(s.t, kTransformerKind, transformer_config_text(cfg), net.params, opt, rng, d, log);

    // ---- test, figures (BLEU by length beside chapter 02's run, attention maps), metrics.json ----
    TestReport report = test_translations(s.t, d, loss, translate);
    TranslationFigures figures = save_translation_figures(s.t, d, report.evs, log);
    for (const std::string& p : save_attention_maps(net, s.t, d, report)) figures.paths.push_back(p);
    std::string takeaway = translation_takeaway("the transformer", report, figures.beside());
    JsonObject metrics;
    write_translation_metrics(metrics, s.t, d, kTransformerKind, net.params, log, report, figures, takeaway, t_start);
    return 0;
}

}  // namespace ch07

int main(int argc, char** argv) {
    return attn::guarded_main("07_transformer", [&] { return ch07::run(argc, argv); });
}
