// Chapter 01 — Sequence to sequence: a GRU encoder–decoder, teacher forcing, greedy and beam search,
// and the fixed-context bottleneck that the rest of the course removes.
//
// What you learn here, before any attention:
//   * an encoder GRU reads the source and its FINAL state c is all the decoder ever sees of it
//     (Cho et al. 2014; Sutskever, Vinyals & Le 2014) — gru_seq2seq.hpp;
//   * training with teacher forcing: the decoder reads the true previous word, and the loss is the
//     cross-entropy of every target token, padding ignored — seq2seq_data.hpp, gru_seq2seq.hpp;
//   * decoding: greedy search and beam search with length normalisation — decoding.hpp;
//   * measuring: corpus BLEU, and BLEU per source length, where one vector of H numbers for a whole
//     sentence shows its limits — translation_eval.hpp. Chapters 02–04 and 07 reuse all of this.
//
// Run:   make run CHAPTER=01_seq2seq                 (or build/bin/01_seq2seq --help)
//        build/bin/01_seq2seq --quick                (well under a minute)
//        build/bin/01_seq2seq --save m.ckpt ; build/bin/01_seq2seq --load m.ckpt --eval-file pairs.tsv
//
// Shapes: B batch, S source length, T target length, E embedding, H hidden, Vs/Vt vocabularies.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "chapters/01_seq2seq/decoding.hpp"
#include "chapters/01_seq2seq/gru_seq2seq.hpp"
#include "chapters/01_seq2seq/seq2seq_data.hpp"
#include "chapters/01_seq2seq/train_seq2seq.hpp"
#include "chapters/01_seq2seq/translation_eval.hpp"
#include "common/cli.hpp"
#include "common/error.hpp"
#include "common/metrics_json.hpp"
#include "common/plot.hpp"
#include "common/progress.hpp"
#include "common/summary.hpp"
#include "common/thread_pool.hpp"

using namespace attn;
using namespace s2s;

// ---------------------------------------------------------------------------------------------
// Settings: the flags, and the three run sizes (--quick, default, --full).

struct Settings {
    CommonFlags f;
    DataOptions data;
    int E = 128, H = 256;
    bool reverse_source = true;
    int beam = 5;
    float alpha = 1.0f;
    float clip = 1.0f;
    int bleu_val = 300;  // validation sentences translated (greedy) after each epoch
    int bucket = 0;      // source-length bucket width of the table and the figure (0: about 8 buckets, at least 2 tokens wide)
    int examples = 5;
    bool full = false;
};

static Settings parse_flags(int argc, char** argv) {
    Settings s;
    Cli cli("01_seq2seq", "GRU encoder-decoder (no attention) on fra-eng, or the synthetic translation task.");
    s.f.epochs = 5, s.f.batch = 64, s.f.lr = 2e-3f;
    s.f.data_choices = {"auto", "fra-eng", "synthetic"};
    s.f.want_eval_file = true;
    add_common_flags(cli, s.f);
    cli.flag("full", &s.full, "the best result in under an hour: longer sentences, bigger model, more epochs");
    cli.choice("direction", &s.data.direction, {"en-fr", "fr-en"}, "fra-eng: translate English->French or back");
    cli.flag("max-len", &s.data.max_len, "fra-eng: keep pairs with at most this many tokens on both sides");
    cli.flag("max-pairs", &s.data.max_pairs, "fra-eng: use at most this many pairs (0 = all that fit max-len)");
    cli.flag("min-freq", &s.data.min_freq, "vocabulary: words seen at least this often in train (others: <unk>)");
    cli.flag("synth-pairs", &s.data.synth_pairs, "synthetic: number of sentence pairs");
    cli.flag("synth-max-len", &s.data.synth_max_len, "synthetic: longest source sentence (tokens)");
    cli.flag("emb", &s.E, "embedding size E");
    cli.flag("hidden", &s.H, "GRU hidden size H (the size of the context vector)");
    cli.flag("reverse-source", &s.reverse_source, "encoder reads the source backwards (Sutskever et al.)");
    cli.flag("beam", &s.beam, "beam width for the beam-search evaluation");
    cli.flag("alpha", &s.alpha, "length normalisation: score = log p / length^alpha");
    cli.flag("clip", &s.clip, "clip the global gradient norm to this (0 = off)");
    cli.range("max-len", 1, 1000), cli.range("min-freq", 1, 1000000), cli.range("synth-pairs", 10, 10000000);
    cli.range("synth-max-len", 3, 200), cli.range("emb", 1, 4096), cli.range("hidden", 1, 4096);
    cli.range("beam", 1, 100), cli.range("alpha", 0, 5), cli.range("max-pairs", 0, 1e9);
    cli.parse(argc, argv);
    // run sizes; a flag given on the command line always wins
    auto def = [&](const char* name, auto* dest, auto value) {
        if (!cli.was_set(name)) *dest = value;
    };
    if (s.f.quick) {
        def("max-len", &s.data.max_len, 6), def("max-pairs", &s.data.max_pairs, 15000L);
        def("synth-pairs", &s.data.synth_pairs, 10000), def("synth-max-len", &s.data.synth_max_len, 15);
        def("epochs", &s.f.epochs, 3), def("emb", &s.E, 64), def("hidden", &s.H, 128);
        s.bleu_val = 100;
    } else if (s.full) {
        def("max-len", &s.data.max_len, 8), def("synth-pairs", &s.data.synth_pairs, 60000);
        def("synth-max-len", &s.data.synth_max_len, 45), def("epochs", &s.f.epochs, 7);
        def("emb", &s.E, 256), def("hidden", &s.H, 384);
    }
    s.data.data = s.f.data, s.data.data_dir = s.f.data_dir, s.data.seed = (uint64_t)s.f.seed;
    if (s.f.out.empty()) s.f.out = "runs/01_seq2seq";
    apply_common_flags(s.f);
    return s;
}

// ---------------------------------------------------------------------------------------------
int main(int argc, char** argv) try {
    Settings s = parse_flags(argc, argv);
    auto t_start = std::chrono::steady_clock::now();
    std::filesystem::create_directories(s.f.out);

    // ---- data ----
    std::string note;
    Seq2SeqData d = load_seq2seq_data(s.data, &note);
    if (!note.empty()) std::printf("%s\n", note.c_str());
    std::printf("data: %s (%s), %zu pairs%s\n", d.dataset.c_str(), d.source.c_str(), d.pairs.pairs.size(),
                d.dataset == "fra-eng" ? (", " + d.direction + ", max " + std::to_string(s.data.max_len) + " tokens").c_str()
                                       : "");
    std::printf("split by distinct %s sentence (seed %ld): train %zu, val %zu, test %zu pairs\n",
                d.dataset == "fra-eng" ? "English" : "source", s.f.seed,
                d.split.train.size(), d.split.val.size(), d.split.test.size());

    // ---- model (new, or --load) ----
    Rng rng((uint64_t)s.f.seed);
    std::unique_ptr<GRUSeq2Seq> owned;
    GRUSeq2Seq* mp = nullptr;
    int epochs_done = 0;
    if (!s.f.load.empty()) {
        LoadedModel lm = load_model(s.f.load);
        d.src_vocab = lm.src_vocab, d.tgt_vocab = lm.tgt_vocab;
        encode_pairs(d);  // the loaded vocabularies decide the ids (unknown words -> <unk>)
        owned = std::move(lm.model), epochs_done = lm.epochs;
        std::printf("loaded %s (%d epochs trained); evaluating it, no training\n", s.f.load.c_str(), epochs_done);
    } else {
        GRUSeq2SeqConfig cfg;
        cfg.Vs = d.src_vocab.size(), cfg.Vt = d.tgt_vocab.size(), cfg.E = s.E, cfg.H = s.H;
        cfg.reverse_source = s.reverse_source;
        owned = std::make_unique<GRUSeq2Seq>();
        gru_seq2seq_build(*owned, cfg, rng);
    }
    mp = owned.get();
    GRUSeq2Seq& m = *mp;
    std::printf("vocabulary (train, min_freq %d): source %d, target %d tokens (incl. 4 specials)\n\n",
                s.data.min_freq, d.src_vocab.size(), d.tgt_vocab.size());
    print_summary("GRU encoder-decoder (E=" + std::to_string(m.cfg.E) + ", H=" + std::to_string(m.cfg.H) +
                      (m.cfg.reverse_source ? ", source reversed)" : ")"),
                  summary_from_params(m.params));

    GRUSeq2SeqActs acts;
    reserve_for(acts, m, d, s.f.batch);
    if (s.bucket <= 0) {
        int longest = 1;
        for (const auto& p : d.pairs.pairs) longest = std::max(longest, count_tokens(p.src));
        s.bucket = std::max(2, (longest + 7) / 8);
    }
    auto translate = [&](const std::vector<std::string>& srcs, int beam) {
        return gru_seq2seq_translate(m, d.src_vocab, srcs, beam, s.alpha);
    };
    std::vector<EvalItem> val_items = group_by_source(d.pairs, d.split.val);
    std::vector<EvalItem> test_items = group_by_source(d.pairs, d.split.test);
    std::vector<EvalItem> val_bleu_items(val_items.begin(),
                                         val_items.begin() + std::min((size_t)s.bleu_val, val_items.size()));

    // ---- training ----
    std::vector<double> ep_x, train_loss, val_loss, val_bleu;
    if (s.f.load.empty()) {
        Adam opt = make_adam(m.params, s.f.lr);
        std::printf("\ntraining: %d epochs, batch %d, Adam lr %g, clip %g, %d threads\n", s.f.epochs, s.f.batch,
                    s.f.lr, s.clip, num_threads());
        for (int e = 1; e <= s.f.epochs; e++) {
            ProgressBar bar(e, s.f.epochs, (long)d.split.train.size());
            EpochStats st = train_epoch(m, acts, opt, d, s.f.batch, rng, s.clip, &bar);
            double vl = evaluate_loss(m, acts, d, d.split.val, s.f.batch);
            double vb = evaluate_translations(val_bleu_items, translate, d.tgt_vocab, 1, s.bucket).corpus.bleu;
            bar.finish(metrics_str({{"loss", st.loss}}) + " | " +
                       metrics_str({{"val_loss", vl}, {"val_bleu", vb}}, 2));
            ep_x.push_back(e), train_loss.push_back(st.loss), val_loss.push_back(vl), val_bleu.push_back(vb);
        }
        epochs_done = s.f.epochs;
        if (!s.f.save.empty()) {
            save_model(s.f.save, m, opt, d.src_vocab, d.tgt_vocab, epochs_done);
            std::printf("saved %s\n", s.f.save.c_str());
        }
    }

    // ---- test ----
    std::printf("\ntest: %zu distinct source sentences (all their translations are references)\n", test_items.size());
    std::vector<TranslationEval> evs;
    evs.push_back(evaluate_translations(test_items, translate, d.tgt_vocab, 1, s.bucket));
    if (s.beam > 1) evs.push_back(evaluate_translations(test_items, translate, d.tgt_vocab, s.beam, s.bucket));
    for (const auto& e : evs) std::printf("  test BLEU beam=%d (alpha %g): %s\n", e.beam, s.alpha, e.corpus.str().c_str());
    std::printf("\nBLEU by source length (tokens, incl. punctuation):\n");
    print_length_table(evs);
    std::printf("\nexamples (test):\n");
    std::vector<int> beams = {1};
    if (s.beam > 1) beams.push_back(s.beam);
    print_examples(pick_examples(test_items, s.examples), translate, d.tgt_vocab, beams);

    // ---- --eval-file ----
    JsonObject metrics;
    if (!s.f.eval_file.empty()) {
        std::printf("\n");
        auto fe = evaluate_file(s.f.eval_file, d.direction, translate, d.tgt_vocab, s.beam, s.bucket, s.examples);
        JsonObject ef;
        ef.set("path", s.f.eval_file);
        ef.set("bleu_greedy", fe[0].corpus.bleu);
        if (fe.size() > 1) ef.set("bleu_beam", fe[1].corpus.bleu);
        metrics.set("eval_file", ef);
    }

    // ---- figures ----
    std::printf("\n");
    std::string fig = s.f.out + "/01_seq2seq_bleu_by_length.png";
    save_bleu_by_length(fig, evs, "ch01 seq2seq: test BLEU by source length");
    std::printf("figure: %s\n", fig.c_str());
    if (!ep_x.empty()) {
        std::string lf = s.f.out + "/01_seq2seq_loss.png";
        PlotOptions o;
        o.title = "ch01 seq2seq: loss per target token", o.xlabel = "epoch", o.ylabel = "loss";
        save_line_plot(lf, {{.name = "train", .x = ep_x, .y = train_loss}, {.name = "val", .x = ep_x, .y = val_loss, .dashed = true}}, o);
        std::printf("figure: %s\n", lf.c_str());
    }

    // ---- metrics.json ----
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    metrics.set("chapter", "01_seq2seq");
    metrics.set("dataset", d.dataset);
    metrics.set("source", d.source);
    metrics.set("direction", d.direction);
    JsonObject split;
    split.set("train", d.split.train.size()), split.set("val", d.split.val.size()), split.set("test", d.split.test.size());
    split.set("test_sources", test_items.size());
    metrics.set("split_sizes", split);
    metrics.set("src_vocab", d.src_vocab.size()), metrics.set("tgt_vocab", d.tgt_vocab.size());
    long n_params = 0;
    for (const auto& e : m.params.entries()) n_params += (long)e.size;
    metrics.set("params", n_params);
    metrics.set("epochs", epochs_done);
    metrics.set("seconds", seconds);
    metrics.set("threads", num_threads());
    metrics.set("metric", "test_bleu");
    metrics.set("test_bleu", evs.back().corpus.bleu);
    metrics.set("test_bleu_greedy", evs[0].corpus.bleu);
    metrics.set("beam", s.beam);
    if (!train_loss.empty()) {
        metrics.set("train_loss", train_loss), metrics.set("val_loss", val_loss), metrics.set("val_bleu", val_bleu);
    }
    std::vector<JsonObject> buckets;
    for (size_t k = 0; k < evs[0].buckets.size(); k++) {
        JsonObject b;
        b.set("lo", evs[0].buckets[k].lo), b.set("hi", evs[0].buckets[k].hi), b.set("n", evs[0].buckets[k].n);
        b.set("bleu_greedy", evs[0].buckets[k].bleu);
        if (evs.size() > 1) b.set("bleu_beam", evs[1].buckets[k].bleu);
        buckets.push_back(b);
    }
    metrics.set("bleu_by_length", buckets);
    metrics.set("figures", std::vector<std::string>{fig});
    metrics.save(s.f.out + "/metrics.json");
    std::printf("metrics: %s/metrics.json (test BLEU %.2f, %s)\n", s.f.out.c_str(), evs.back().corpus.bleu,
                fmt_seconds(seconds).c_str());
    return 0;
} catch (const attn::Error& e) {
    std::fprintf(stderr, "01_seq2seq: error: %s\n", e.what());
    return 1;
}
