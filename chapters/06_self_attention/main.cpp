// Chapter 06 — Self-attention with multiple heads: every word looks at every other word.
//
// What you learn here:
//   * scaled dot-product attention, forward and backward, with a padding mask and a causal mask, as
//     small matmuls and as plain loops, held equal by the tests (attention.hpp);
//   * multi-head attention with separate query and key/value inputs: W_q, W_k, W_v, W_o, and the heads
//     split and merged (multi_head_attention.hpp) — equal to PyTorch's nn.MultiheadAttention;
//   * positions, sinusoidal or learned (positional.hpp), since attention alone ignores word order;
//   * the Transformer encoder layer: attention + residual + layer norm + feed-forward, post- or
//     pre-norm, with dropout (encoder_layer.hpp) — the layer chapters 07 and 08 build on;
//   * what self-attention can do that attention POOLING cannot: relate two words. The headline is a
//     synthetic task ("is the word after x the same as the word after y?") on which the pooling-only
//     model (chapter 05's idea without the RNN: --encoder-layers 0) stays at chance and a two-layer
//     encoder solves it; then the same encoder on AG News titles and airline tweets, beside chapter 05.
// Paper: Vaswani et al., "Attention Is All You Need", NeurIPS 2017.
//
// Run:   build/bin/06_self_attention --quick                 (under a minute: the relations task, both models)
//        build/bin/06_self_attention                         (AG News titles, both models)
//        build/bin/06_self_attention --data relations        (the headline table in full)
//        build/bin/06_self_attention --data tweets
//        build/bin/06_self_attention --load m.ckpt --eval-file test.csv
//
// Shapes: B batch, T length, C width, NH heads, hs = C/NH, F feed-forward width, V vocabulary, K classes.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "chapters/06_self_attention/encoder_classifier.hpp"
#include "chapters/06_self_attention/text_data.hpp"
#include "chapters/06_self_attention/train.hpp"
#include "common/core/error.hpp"
#include "common/figures/heatmap.hpp"
#include "common/nn/schedule.hpp"
#include "common/run/classifier.hpp"
#include "common/run/classifier_metrics.hpp"
#include "common/run/cli.hpp"
#include "common/run/figure_names.hpp"
#include "common/run/main_guard.hpp"
#include "common/run/metrics_json.hpp"
#include "common/run/summary.hpp"

using namespace attn;
using namespace ch06;

static const char* kChapter = "06_self_attention";

// ---------------------------------------------------------------------------------------------
// Options: the common flags and this chapter's own.

struct Options {
    CommonFlags f;
    ModelConfig cfg;  // the encoder's sizes (V, K from the data)
    std::string models = "both", pos = "learned", norm = "pre";
    int min_freq = 2, synth_n = 20000, synth_min_len = 8, synth_max_len = 20, stop_after = 0, warmup = 100;
    float clip = 1.0f, emb_std = 1.0f;
    bool balanced = false;
    int last_epoch() const { return stop_after > 0 ? std::min(stop_after, f.epochs) : f.epochs; }
};

static void declare_flags(Cli& cli, Options& o) {
    add_common_flags(cli, o.f);
    cli.choice("models", &o.models, {"both", "encoder", "pooling"},
               "train the self-attention encoder, the pooling-only baseline (--encoder-layers 0), or both");
    cli.flag("encoder-layers", &o.cfg.L, "encoder layers of the self-attention model (0: pooling only)");
    cli.flag("dim", &o.cfg.C, "model width C");
    cli.flag("heads", &o.cfg.NH, "attention heads (must divide --dim)");
    cli.flag("ffn", &o.cfg.F, "feed-forward width F");
    cli.choice("pos", &o.pos, {"sinusoidal", "learned"}, "positional encoding");
    cli.choice("norm", &o.norm, {"post", "pre"}, "layer norm after the residual (paper) or before the sublayer");
    cli.flag("dropout", &o.cfg.dropout, "dropout on the embeddings and on both branches of each layer (default: 0.3 on real text, 0 on the synthetic tasks)");
    cli.flag("max-len", &o.cfg.Tmax, "texts are cut to this many tokens");
    cli.flag("min-freq", &o.min_freq, "a word needs this many occurrences in the training split to get an id");
    cli.flag("synth-n", &o.synth_n, "texts of the synthetic tasks, split 70/15/15 (default: 40000 for --data relations, 10000 with --quick, else 20000)");
    cli.flag("synth-min-len", &o.synth_min_len, "shortest synthetic text, in tokens");
    cli.flag("synth-max-len", &o.synth_max_len, "longest synthetic text, in tokens");
    cli.flag("balanced-counts", &o.balanced, "relations task: remove the word-counting shortcut (see synth_relations.hpp)");
    cli.flag("emb-std", &o.emb_std, "standard deviation of the initial word and position vectors (default: 1 on the synthetic tasks, 0.1 on real text)");
    cli.flag("clip", &o.clip, "clip the gradient norm at this value (0: no clipping)");
    cli.flag("warmup", &o.warmup, "optimiser steps of linear learning-rate warm-up before the cosine decay");
    cli.flag("stop-after", &o.stop_after, "stop after this epoch of the planned --epochs (0: run them all); with --save, resume later with --load");
    cli.range("encoder-layers", 0, 12), cli.range("dim", 2, 1024), cli.range("heads", 1, 64), cli.range("ffn", 1, 8192);
    cli.range("dropout", 0, 0.9), cli.range("max-len", 2, 4096), cli.range("min-freq", 1, 1000);
    cli.range("synth-n", 20, 10000000), cli.range("synth-min-len", 5, 1000), cli.range("synth-max-len", 5, 1000);
    cli.range("clip", 0, 1e9), cli.range("warmup", 0, 1000000);
    cli.range("stop-after", 0, 100000);
}

static Options parse_options(int argc, char** argv) {
    Options o;
    CommonFlags& f = o.f;
    f.epochs = 8, f.batch = 32, f.lr = 1e-3f, f.out = "runs/06_self_attention";  // the default run
    f.data_choices = {"auto", "ag_news", "tweets", "keywords", "relations", "synthetic"};
    f.want_eval_file = true;
    Cli cli(kChapter, "Chapter 06: a self-attention encoder classifier (multi-head attention, positions, encoder "
                      "layers) beside attention pooling alone, on AG News titles, airline tweets or synthetic tasks.");
    declare_flags(cli, o);
    cli.parse(argc, argv);
    if (f.data == "synthetic") f.data = "keywords";
    if (f.quick) {  // under a minute on 2 cores: the headline task (shorter texts), both models
        if (!cli.was_set("data")) f.data = "relations";
        if (!cli.was_set("synth-n")) o.synth_n = 10000;
        if (!cli.was_set("synth-min-len")) o.synth_min_len = 6;
        if (!cli.was_set("synth-max-len")) o.synth_max_len = 12;
        if (!cli.was_set("epochs")) f.epochs = 6;
    }
    // The relations headline: 28,000 training texts seen 10 times. The model can memorise a set half that
    // size before it finds the rule (14,000 texts, 20 epochs: seed 42 stuck at test 0.68 with train
    // 0.98 on one build, 0.999 on another); twice the texts for half the epochs, the same compute,
    // found it on every seed tried (0.9998, 0.9987, 0.9998 for seeds 42, 1, 2).
    if (f.data == "relations" && !f.quick) {
        if (!cli.was_set("epochs")) f.epochs = 10;
        if (!cli.was_set("synth-n")) o.synth_n = 40000;
    }
    // The synthetic tasks have no noise to overfit: no dropout unless asked for. Their words start far
    // apart (N(0,1) vectors: the two-step relation forms sooner); real words start close (N(0, 0.1²)):
    // thousands of rare words then do not drown the few that matter (AG News: validation 0.764 vs 0.666).
    const bool synthetic = f.data == "relations" || f.data == "keywords";
    if (synthetic && !cli.was_set("dropout")) o.cfg.dropout = 0.0f;
    if (!synthetic && !cli.was_set("emb-std")) o.emb_std = 0.1f;
    if (!synthetic && !cli.was_set("dropout")) o.cfg.dropout = 0.3f;  // 7,000 titles overfit: val 0.771 vs 0.764 at 0.1
    o.cfg.pos = o.pos == "learned" ? PosKind::Learned : PosKind::Sinusoidal;
    o.cfg.norm = o.norm == "pre" ? NormPlace::Pre : NormPlace::Post;
    if (o.cfg.C % o.cfg.NH != 0) fail("--heads", "a number of heads dividing --dim " + std::to_string(o.cfg.C));
    if (!f.eval_file.empty() && f.load.empty()) fail("--eval-file", "a model to evaluate", "give it with --load PATH");
    apply_common_flags(f);
    return o;
}

// ---------------------------------------------------------------------------------------------
// Data: the texts and their split (text_data.hpp), tokenised with the training split's vocabulary —
// or with the checkpoint's, which then also decides the dataset when evaluating a file.

static TextData load_data(const Options& o, const SavedRun* saved) {
    const CommonFlags& f = o.f;
    const std::string which = saved && !f.eval_file.empty() ? saved->data_flag : f.data;
    TextData d = load_texts(which, f.data_dir, (uint64_t)f.seed, o.synth_n, o.synth_min_len, o.synth_max_len,
                            o.balanced);
    if (saved && saved->data_flag != d.flag)
        fail(f.load, "a model trained on --data " + d.flag + ", found one trained on --data " + saved->data_flag,
             "resume with the same --data");
    d.vocab = saved ? saved->vocab : build_vocab(d.train_raw, o.min_freq);
    encode_all(d, o.cfg.Tmax);
    std::printf("data: %s — %s\n", d.name.c_str(), d.source.c_str());
    std::printf("split (seed %ld): train %s, val %s, test %s texts; %d classes; vocabulary %s words%s\n", f.seed,
                with_commas(d.train.count()).c_str(), with_commas(d.val.count()).c_str(),
                with_commas(d.test.count()).c_str(), (int)d.class_names.size(), with_commas(d.vocab.size()).c_str(),
                saved ? " (from the checkpoint)" : (" (min freq " + std::to_string(o.min_freq) + ")").c_str());
    return d;
}

// ---------------------------------------------------------------------------------------------
// One model of the comparison — "encoder" (self-attention, --encoder-layers) or "pooling" (0 layers) —
// built, optionally resumed, trained for the run's budget (the step is train_epoch, train.hpp), saved
// and tested. Both start from the same seed.

static ModelResult train_kind(const std::string& kind, Classifier& m, const TextData& d, const Options& o,
                              const ModelConfig* saved_cfg) {
    const CommonFlags& f = o.f;
    const bool enc = kind == "encoder";
    ModelConfig cfg = o.cfg;
    cfg.V = d.vocab.size(), cfg.K = (int)d.class_names.size(), cfg.L = enc ? o.cfg.L : 0;
    const bool both = o.models == "both";
    const std::string load = f.load.empty() ? "" : (both && !enc ? f.load + ".pooling" : f.load);
    const std::string save = f.save.empty() ? "" : (both && !enc ? f.save + ".pooling" : f.save);
    std::optional<Checkpoint> ck;
    if (!load.empty()) {
        ck = Checkpoint::load(load);
        const SavedRun s = read_checkpoint_header(*ck);
        if (!f.eval_file.empty() && saved_cfg) cfg = *saved_cfg;  // evaluating: the checkpoint decides
        if (config_str(s.cfg) != config_str(cfg))
            fail(load, "a model of " + config_str(cfg) + ", found " + config_str(s.cfg),
                 "use the flags the model was trained with (--dim, --heads, --ffn, --encoder-layers, --pos, --norm, "
                 "--dropout, --max-len, --min-freq)");
    }
    Rng rng((uint64_t)f.seed);  // the same initial weights, shuffles and dropout for both models
    classifier_init(m, cfg, rng, o.emb_std);
    Adam opt = make_adam(m.params, f.lr);
    int first_epoch = 1;
    if (ck) {
        restore_checkpoint(*ck, m, opt, rng);
        first_epoch = read_checkpoint_header(*ck).epochs_done + 1;
        std::printf("loaded %s (after epoch %d)\n", load.c_str(), first_epoch - 1);
    }
    ModelResult r;
    r.name = enc ? "self-attention (" + std::to_string(cfg.L) + " layer" + (cfg.L == 1 ? "" : "s") + ")" : "pooling only";
    r.key = enc ? "self_attention" : "pooling";
    print_summary(enc ? "self-attention encoder classifier" : "attention pooling only (no token interaction)",
                  summary_from_params(m.params));
    const long steps_per_epoch = (d.train.count() + f.batch - 1) / f.batch;
    WarmupCosine sched{f.lr, 0.0f, o.warmup, std::max<long>(steps_per_epoch * f.epochs, o.warmup + 1)};
    auto lr_at = [&](long step) { return sched.lr(step); };
    const int last = f.eval_file.empty() ? o.last_epoch() : first_epoch - 1;  // evaluating: no training
    for (int epoch = first_epoch; epoch <= last; epoch++) {
        ProgressBar bar(epoch, f.epochs, d.train.count());
        EpochStats tr = train_epoch(m, opt, d.train, f.batch, o.clip, rng, lr_at, &bar);
        EpochStats va = evaluate(m, d.val, 256);
        r.add_epoch(tr, va, d.train.count());
        bar.finish(epoch_line(tr, va));
    }
    if (!save.empty()) {
        save_checkpoint(save, m, opt, rng, d, std::max(last, first_epoch - 1));
        std::printf("saved %s\n", save.c_str());
    }
    EpochStats te = evaluate(m, d.test, 256, &r.predictions);
    r.set_test(te, d.test.labels, cfg.K);
    std::printf("%s test: accuracy %.4f, macro F1 %.4f, weighted F1 %.4f (%s texts) — training %.1fs, %.0f texts/s\n",
                r.name.c_str(), te.acc, r.report.macro_f1, r.report.weighted_f1, with_commas(d.test.count()).c_str(),
                r.train_seconds, r.images_per_second());
    return r;
}

// ---------------------------------------------------------------------------------------------
// --eval-file FILE.csv: the loaded model on any AG News or tweets file (its classes must be the
// model's), tokenised with the model's vocabulary.

static JsonObject eval_file(Classifier& m, const TextData& d, const std::string& path, const TextSet& s) {
    const TextSplit split = encode_split(d.vocab, s.items, m.cfg.Tmax);
    std::vector<int> pred;
    const EpochStats st = evaluate(m, split, 256, &pred);
    const ClassificationReport r = classification_report(pred, split.labels, m.cfg.K);
    std::printf("\n--eval-file %s: %s texts, accuracy %.4f, macro F1 %.4f, weighted F1 %.4f (loss %.4f)\n",
                path.c_str(), with_commas(split.count()).c_str(), r.accuracy, r.macro_f1, r.weighted_f1, st.loss);
    std::printf("  %-12s %9s %9s %9s %8s\n", "class", "precision", "recall", "F1", "support");
    for (int c = 0; c < m.cfg.K; c++)
        std::printf("  %-12s %9.4f %9.4f %9.4f %8ld\n", d.class_names[c].c_str(), r.per_class[c].precision,
                    r.per_class[c].recall, r.per_class[c].f1, r.per_class[c].support);
    std::printf("  confusion (rows: true, columns: predicted):\n");
    for (int t = 0; t < m.cfg.K; t++) {
        std::printf("  %-12s", d.class_names[t].c_str());
        for (int p = 0; p < m.cfg.K; p++) std::printf(" %6ld", r.confusion_at(t, p));
        std::printf("\n");
    }
    JsonObject j = eval_file_metrics(r);
    j.set("file", path);
    j.set("per_class", per_class_metrics(r, d.class_names));
    j.set("confusion", confusion_metrics(r, d.class_names));
    return j;
}

// ---------------------------------------------------------------------------------------------
// Chapter 05's run beside ours: the sibling run directory OUT/../05_attention_classifier/metrics.json,
// when it is there and on the same dataset (as chapter 02 reads chapter 01's).

struct Ch05Run {
    bool found = false;
    std::string path, note, model;
    double acc = NAN, macro_f1 = NAN, weighted_f1 = NAN;
};

static Ch05Run read_ch05(const std::string& out, const std::string& dataset) {
    Ch05Run r;
    r.path = (std::filesystem::path(out).parent_path() / "05_attention_classifier" / "metrics.json").string();
    const std::string t = read_text_file(r.path);
    if (t.empty()) {
        r.note = "chapter 05's run was not found (" + r.path + "; run 05_attention_classifier with --out " +
                 (std::filesystem::path(out).parent_path() / "05_attention_classifier").string() + ")";
        return r;
    }
    if (json_first_string(t, "dataset") != dataset) {
        r.note = "chapter 05's run (" + r.path + ") is on " + json_first_string(t, "dataset") + ", not " + dataset;
        return r;
    }
    r.found = true, r.model = json_first_string(t, "model");
    r.acc = json_first_number(t, "test_accuracy"), r.macro_f1 = json_first_number(t, "test_macro_f1"),
    r.weighted_f1 = json_first_number(t, "test_weighted_f1");
    return r;
}

// The comparison table: each model's test numbers, and chapter 05's beside them.
static void print_table(const std::vector<ModelResult>& results, const Ch05Run& ch05, const std::string& data) {
    std::printf("\n%s, test split:\n%-34s %9s %9s %11s %10s %8s\n", data.c_str(), "model", "accuracy", "macro F1",
                "weighted F1", "train (s)", "texts/s");
    for (const ModelResult& r : results)
        std::printf("%-34s %9.4f %9.4f %11.4f %10.1f %8.0f\n", r.name.c_str(), r.test.acc, r.report.macro_f1,
                    r.report.weighted_f1, r.train_seconds, r.images_per_second());
    if (ch05.found)
        std::printf("%-34s %9.4f %9.4f %11.4f   (vs ch05: %s)\n", ("ch05: " + ch05.model).c_str(), ch05.acc,
                    ch05.macro_f1, ch05.weighted_f1, ch05.path.c_str());
    else std::printf("%s\n", ch05.note.c_str());
}

// ---------------------------------------------------------------------------------------------
// A few test texts with the model's answer and its probability.

static void print_examples(Classifier& m, const TextData& d, const std::vector<int>& pred, int n) {
    std::printf("\ntest examples (%s):\n", m.cfg.L > 0 ? "self-attention" : "pooling only");
    ClassifierActs acts;
    Rng unused(0);
    for (int k = 0; k < std::min(n, d.test.count()); k++) {
        const int i = (int)((long)k * d.test.count() / n);  // spread over the split (files are often sorted by class)
        const TokenBatch tb = make_batch(d.test.ids, {i});
        const int y = d.test.labels[i];
        classifier_forward(m, acts, tb.ids.data(), tb.lengths.data(), &y, 1, tb.T, unused, false);
        std::printf("  %s %-10s as %-10s p=%.2f  %s\n", pred[i] == y ? "ok   " : "WRONG", d.class_names[y].c_str(),
                    d.class_names[pred[i]].c_str(), acts.probs[pred[i]], d.test.texts[i].substr(0, 90).c_str());
    }
}

// ---------------------------------------------------------------------------------------------
// Figures: every head of every layer on a few short test texts (rows: queries, columns: keys), and
// the sinusoidal position table.

static std::string draw_heads(const FigureNames& fig, Classifier& m, const TextData& d, int i, int k) {
    const TokenBatch tb = make_batch(d.test.ids, {i});
    const int y = d.test.labels[i], T = tb.T, NH = m.cfg.NH;
    ClassifierActs acts;
    Rng unused(0);
    classifier_forward(m, acts, tb.ids.data(), tb.lengths.data(), &y, 1, T, unused, false);
    const int pred = argmax(acts.probs.data(), m.cfg.K);
    std::vector<std::string> tokens;
    for (int t = 0; t < T; t++) tokens.push_back(d.vocab.token(tb.ids[t]));
    std::vector<HeatmapPanel> panels;
    for (int l = 0; l < m.cfg.L; l++)
        for (int h = 0; h < NH; h++)
            panels.push_back({acts.caches[l].mha.att.data() + (size_t)h * T * T, T, T, tokens, tokens,
                              "layer " + std::to_string(l + 1) + ", head " + std::to_string(h + 1)});
    HeatmapOptions opt;
    opt.title = "Self-attention weights per head: true " + d.class_names[y] + ", predicted " + d.class_names[pred] +
                " (p=" + std::to_string(acts.probs[pred]).substr(0, 4) + ")";
    opt.xlabel = "key (attended word)", opt.ylabel = "query (attending word)";
    opt.vmin = 0, opt.vmax = 1, opt.show_values = 0;
    const std::string path = fig.path("heads", std::to_string(k + 1));
    save_heatmap_grid(path, panels, NH, opt);
    return path;
}

static std::string draw_positions(const FigureNames& fig, const ModelConfig& cfg) {
    const int T = std::min(cfg.Tmax, 64), C = cfg.C;
    Buf P((size_t)T * C);
    sinusoidal_table(P.data(), T, C);
    std::vector<std::string> rows(T), cols(C);
    for (int t = 0; t < T; t += 4) rows[t] = std::to_string(t);
    for (int c = 0; c < C; c += 8) cols[c] = std::to_string(c);
    HeatmapOptions opt;
    opt.title = "Sinusoidal positions: PE[t,2i] = sin(t/10000^(2i/C)), PE[t,2i+1] = cos(...), C = " + std::to_string(C);
    opt.xlabel = "dimension (pairs of sin, cos; slower clocks to the right)", opt.ylabel = "position t";
    opt.cmap = colormap_viridis, opt.show_values = 0, opt.vmin = -1, opt.vmax = 1;
    const std::string path = fig.path("positions");
    save_heatmap(path, P.data(), T, C, rows, cols, opt);
    return path;
}

static std::vector<std::string> draw_figures(const FigureNames& fig, Classifier* enc, const TextData& d,
                                             const ModelConfig& cfg) {
    std::vector<std::string> paths;
    if (enc && enc->cfg.L > 0) {  // the first two test texts of 5..14 words, all of them known (else any)
        int drawn = 0;
        for (bool known_only : {true, false})
            for (int i = 0; i < d.test.count() && drawn < 2; i++) {
                const std::vector<int>& ids = d.test.ids[i];
                const bool known = std::find(ids.begin(), ids.end(), (int)Vocab::UNK) == ids.end();
                if (ids.size() >= 5 && ids.size() <= 14 && known == known_only)
                    paths.push_back(draw_heads(fig, *enc, d, i, drawn++));
            }
    }
    paths.push_back(draw_positions(fig, cfg));
    for (const std::string& p : paths) std::printf("figure: %s\n", p.c_str());
    return paths;
}

// ---------------------------------------------------------------------------------------------
// metrics.json: the classifiers' schema (common/run/classifier_metrics.hpp), one object per model.

static void write_metrics(const Options& o, const TextData& d, const std::vector<ModelResult>& results,
                          const Ch05Run& ch05, const JsonObject* eval, double seconds,
                          const std::vector<std::string>& figures) {
    const CommonFlags& f = o.f;
    JsonObject j = classifier_metrics({kChapter, d.name, d.source, d.train.count(), d.val.count(), d.test.count(),
                                       o.last_epoch(), f.seed, seconds});
    j.set("data", d.flag);
    j.set("vocabulary", (long)d.vocab.size());
    j.set("batch", (long)f.batch);
    j.set("dim", (long)o.cfg.C), j.set("heads", (long)o.cfg.NH), j.set("ffn", (long)o.cfg.F);
    j.set("encoder_layers", (long)o.cfg.L);
    j.set("pos", o.pos), j.set("norm", o.norm);
    j.set("dropout", float_decimal(o.cfg.dropout));
    const bool synthetic = d.flag == "keywords" || d.flag == "relations";
    set_headline(j, results.front(), synthetic ? "test_accuracy" : "test_weighted_f1");
    j.set("test_loss", results.front().test.loss);
    for (const ModelResult& r : results) j.set(r.key, model_metrics(r, d.class_names));
    if (eval) j.set("eval_file", *eval);
    JsonObject c5;
    c5.set("found", ch05.found);
    c5.set("path", ch05.path);
    if (ch05.found) {
        c5.set("model", ch05.model);
        c5.set("test_accuracy", ch05.acc), c5.set("test_macro_f1", ch05.macro_f1);
        c5.set("test_weighted_f1", ch05.weighted_f1);
    }
    j.set("ch05", c5);
    j.set("figures", figures);
    set_takeaway(j, results, d.name + " (" + std::to_string(o.last_epoch()) + " epochs on " +
                                 with_commas(d.train.count()) + " texts)");
    save_metrics(j, f.out);
}

// ---------------------------------------------------------------------------------------------
// The run: options → data → the self-attention model → the pooling-only model → table (beside
// chapter 05) → --eval-file → examples → figures → metrics.

static int run(int argc, char** argv) {
    Options o = parse_options(argc, argv);
    const auto t_start = std::chrono::steady_clock::now();
    std::optional<SavedRun> saved;
    if (!o.f.load.empty()) saved = read_checkpoint_header(Checkpoint::load(o.f.load));
    if (saved && !o.f.eval_file.empty()) {  // evaluating: the checkpoint's model alone, its sizes
        o.models = saved->cfg.L > 0 ? "encoder" : "pooling";
        o.cfg = saved->cfg;
    }
    const TextData d = load_data(o, saved ? &*saved : nullptr);
    o.f.batch = fit_batch(o.f.batch, d.train.count());
    std::optional<TextSet> eval_set;  // read (and checked) before any work
    if (!o.f.eval_file.empty()) eval_set = load_text_eval_file(o.f.eval_file, d.class_names, d.name);
    std::filesystem::create_directories(o.f.out);
    const FigureNames fig{o.f.out, kChapter, d.name, run_tag(o.f.quick, false)};

    Classifier enc, pool;
    std::vector<ModelResult> results;
    const ModelConfig* saved_cfg = saved ? &saved->cfg : nullptr;
    if (o.models != "pooling") results.push_back(train_kind("encoder", enc, d, o, saved_cfg));
    if (o.models != "encoder") results.push_back(train_kind("pooling", pool, d, o, saved_cfg));
    Classifier& head = o.models != "pooling" ? enc : pool;

    const Ch05Run ch05 = read_ch05(o.f.out, d.name);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    print_table(results, ch05, d.name);
    std::printf("total %.1fs on %s\n", seconds, threads_text().c_str());
    std::optional<JsonObject> eval;
    if (eval_set) eval = eval_file(head, d, o.f.eval_file, *eval_set);
    print_examples(head, d, results.front().predictions, 8);
    const std::vector<std::string> figures = draw_figures(fig, o.models != "pooling" ? &enc : nullptr, d, head.cfg);
    write_metrics(o, d, results, ch05, eval ? &*eval : nullptr, seconds, figures);
    return 0;
}

int main(int argc, char** argv) {
    return guarded_main(kChapter, [&] { return run(argc, argv); });
}
