// Chapter 07's checkpoints: the configuration text round-trips and malformed text is an error naming
// the place; save -> load gives the same translations; a chapter 02 checkpoint is refused; a run stopped
// after epoch 1, saved, loaded and continued equals the uninterrupted run bit for bit (the schedule's
// step included).
#include <doctest/doctest.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "chapters/01_seq2seq/translation_checkpoint.hpp"
#include "chapters/02_additive_attention/bahdanau_seq2seq.hpp"
#include "chapters/07_transformer/incremental_decoder.hpp"
#include "chapters/07_transformer/train.hpp"
#include "chapters/07_transformer/transformer_config.hpp"
#include "tests/07_transformer/tiny_transformer.hpp"
#include "tests/seq2seq_testing.hpp"
#include "tests/temp_files.hpp"

using namespace attn;
using namespace ch07;
using namespace ch07_testing;
using seq2seq_testing::small_synthetic;

TEST_CASE("config: transformer_parse_config reads back transformer_config_text; malformed text names the place") {
    TransformerConfig c;
    c.Vs = 123, c.Vt = 456, c.C = 48, c.NH = 3, c.F = 96, c.enc_layers = 2, c.dec_layers = 4;
    c.norm = NormPlace::Post, c.tie = false, c.dropout = 0.25f, c.smoothing = 0.05f, c.Tmax = 77, c.attn_dropout = 0.125f;
    const std::string text = transformer_config_text(c);
    const TransformerConfig r = transformer_parse_config(text, "model.ckpt");
    CHECK(r.Vs == 123);
    CHECK(r.Vt == 456);
    CHECK(r.C == 48);
    CHECK(r.NH == 3);
    CHECK(r.F == 96);
    CHECK(r.enc_layers == 2);
    CHECK(r.dec_layers == 4);
    CHECK(r.norm == NormPlace::Post);
    CHECK(r.tie == false);
    CHECK(r.dropout == 0.25f);
    CHECK(r.attn_dropout == 0.125f);
    CHECK(r.smoothing == 0.05f);
    CHECK(r.Tmax == 77);
    CHECK(transformer_config_text(r) == text);
    TransformerConfig defaults;
    defaults.Vs = 50, defaults.Vt = 60;
    const TransformerConfig d = transformer_parse_config(transformer_config_text(defaults), "x");
    CHECK(d.norm == NormPlace::Pre);
    CHECK(d.tie);
    CHECK(d.dropout == TransformerConfig{}.dropout);
    for (const std::string bad : {"", "123 456 48 3 96 2 4", "123 456 48 3 96 2 4 sideways 0 0.25 0.05 77",
                                  "123 456 48 5 96 2 4 post 0 0.25 0.05 77", "123 456 0 1 96 2 4 pre 1 0.1 0.1 77",
                                  "bahdanau 8 8 5", "123 456 48 3 0 0 0 pre 1 0.1 0.1 0",
                                  "123 456 48 3 96 2 4 pre 1 0.1 0.1 77 trailing", "123 456 48 3 96 2 4 pre 1 1.5 -2 77"}) {
        INFO("config text '" << bad << "'");
        CHECK_THROWS_WITH_AS(transformer_parse_config(bad, "run7/model.ckpt"), doctest::Contains("run7/model.ckpt"),
                             attn::Error);
    }
}

TEST_CASE("checkpoint: save -> load gives the same weights and translations; a chapter 02 checkpoint is refused") {
    const SyntheticModel& t = trained_on_synthetic();
    Rng rng(4);
    Adam opt = make_transformer_adam(t.m.params, 1e-3f);
    const std::string path = attn::testing::temp_path("ch07", "model.ckpt");
    ch01::save_translation_checkpoint(path, kTransformerKind, transformer_config_text(t.m.cfg), t.m.params, opt, rng,
                                      t.d, t.epochs);
    ch01::TranslationCheckpoint ck = ch01::load_translation_checkpoint(path, kTransformerKind);
    CHECK(ck.epochs == t.epochs);
    Transformer m2;
    Rng other(99);  // a different initialisation: everything must come from the checkpoint
    transformer_build(m2, transformer_parse_config(ck.config, path), other);
    ck.ck.restore_params(m2.params);
    CHECK(m2.cfg.C == t.m.cfg.C);
    CHECK(m2.cfg.tie == t.m.cfg.tie);
    REQUIRE(m2.params.value.size() == t.m.params.value.size());
    CHECK(std::memcmp(m2.params.value.data(), t.m.params.value.data(), t.m.params.value.size() * sizeof(float)) == 0);
    std::vector<std::string> srcs;
    for (int i = 0; i < 6; i++) srcs.push_back(t.d.pairs.pairs[t.d.split.test[i]].src);
    for (int beam : {1, 3}) {
        const auto a = transformer_translate(t.m, t.d.src_vocab, srcs, beam, 1.0f);
        const auto b = transformer_translate(m2, ck.src_vocab, srcs, beam, 1.0f);
        REQUIRE(a.size() == b.size());
        for (size_t i = 0; i < a.size(); i++) {
            CHECK(ch01::hypothesis_text(a[i], t.d.tgt_vocab) == ch01::hypothesis_text(b[i], ck.tgt_vocab));
            CHECK(a[i].score == b[i].score);
        }
    }
    // chapter 02's model under the same file name: refused, naming what was found
    ch02::Bahdanau g;
    ch02::BahdanauConfig gc;
    gc.Vs = t.d.src_vocab.size(), gc.Vt = t.d.tgt_vocab.size(), gc.E = 4, gc.H = 4, gc.A = 3;
    ch02::bahdanau_build(g, gc, rng);
    Adam gopt = make_adam(g.params, 1e-3f);
    ch01::save_translation_checkpoint(path, ch02::kBahdanauKind, ch02::bahdanau_config_text(gc), g.params, gopt, rng,
                                      t.d, 1);
    CHECK_THROWS_WITH_AS(ch01::load_translation_checkpoint(path, kTransformerKind), doctest::Contains("bahdanau"),
                         attn::Error);
    std::remove(path.c_str());
}

// Resuming: epochs 1-2 in one run, against epoch 1, --save, --load into a new model, epoch 2. Adam's
// moments, its step count (which the schedule reads: opt.lr = sched.lr(opt.t)) and the shuffling and
// dropout stream all continue, so the weights are bit-identical.
TEST_CASE("checkpoint: stop after epoch 1, save, load, continue == the uninterrupted run (schedule included)") {
    Seq2SeqData d = small_synthetic(300, 2, 8);
    TransformerConfig cfg;
    cfg.Vs = d.src_vocab.size(), cfg.Vt = d.tgt_vocab.size(), cfg.C = 16, cfg.NH = 2, cfg.F = 24;
    cfg.enc_layers = 1, cfg.dec_layers = 1, cfg.dropout = 0.1f, cfg.attn_dropout = 0.1f, cfg.Tmax = 32;
    const int batch = 16;
    Rng count(0);
    const long per_epoch = (long)ch01::make_batches(d, d.split.train, batch, count, false).size();
    // warm-up ends inside epoch 1: epoch 2 is all cosine decay, and a schedule restarted at step 0 would differ
    const LrSchedule sched = make_schedule(ScheduleKind::WarmupCosine, 3e-3f, per_epoch / 2, 2 * per_epoch, cfg.C);
    ch01::TranslationSettings s;
    s.f.epochs = 2, s.f.load = attn::testing::temp_path("ch07", "resume.ckpt");
    auto run = [&](Transformer& m, Adam& opt, Rng& rng, int epochs) {
        TransformerActs acts;
        std::vector<double> losses;
        for (int e = 0; e < epochs; e++) losses.push_back(train_epoch(m, acts, opt, sched, d, batch, 1.0f, rng).loss);
        return losses;
    };
    Rng rng_a(42);
    Transformer whole;
    transformer_build(whole, cfg, rng_a);
    Adam opt_a = make_transformer_adam(whole.params, 3e-3f);
    const std::vector<double> la = run(whole, opt_a, rng_a, 2);

    Rng rng_b(42);
    Transformer first;
    transformer_build(first, cfg, rng_b);
    Adam opt_b = make_transformer_adam(first.params, 3e-3f);
    const std::vector<double> lb1 = run(first, opt_b, rng_b, 1);
    ch01::TrainingLog log1;
    log1.epochs_done = 1, log1.train_loss = lb1;
    ch01::TranslationSettings save = s;
    save.f.save = s.f.load;
    ch01::save_if_asked(save, kTransformerKind, transformer_config_text(cfg), first.params, opt_b, rng_b, d, log1);

    Seq2SeqData d2 = small_synthetic(300, 2, 8);
    auto ck = ch01::checkpoint_to_load(s, kTransformerKind, d2);
    REQUIRE(ck);
    Rng rng_c(7);  // overwritten by the checkpoint's stream
    Transformer second;
    transformer_build(second, transformer_parse_config(ck->config, s.f.load), rng_c);
    ck->ck.restore_params(second.params);
    Adam opt_c = make_transformer_adam(second.params, 3e-3f);
    const ch01::TrainingLog log2 = ch01::resume_training(ck, opt_c, rng_c, s);
    CHECK(log2.epochs_done == 1);
    CHECK(opt_c.t == per_epoch);  // the schedule continues from here
    const std::vector<double> lb2 = run(second, opt_c, rng_c, 1);
    CHECK(lb1[0] == la[0]);
    CHECK(lb2[0] == la[1]);
    CHECK(std::memcmp(second.params.value.data(), whole.params.value.data(), whole.params.value.size() * sizeof(float)) == 0);
    CHECK_THROWS_WITH_AS(ch01::checkpoint_to_load(s, "bahdanau", d2), doctest::Contains(kTransformerKind), attn::Error);
    std::remove(s.f.load.c_str());
}
