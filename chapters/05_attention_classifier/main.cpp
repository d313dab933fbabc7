// Chapter 05 — attention for classification: which words decided the label?
//
// What you learn here:
//   * attention as POOLING: a bidirectional GRU reads a text, and one learned query u asks every
//     word "are you the one that matters?"; the context is the α-weighted average of the states
//     (attention_pooling.hpp). The scoring is chapter 02's additive attention, included, not copied;
//   * reading the weights: test texts printed with their words shaded by α, a heatmap of a dozen of
//     them, the most-attended words of each class (attention_report.hpp);
//   * what attention buys: the same model with mean pooling and with the last states, trained with
//     the same budget, printed beside it;
//   * coping with words never seen in training: each word is the mean of its word vector and of its
//     character n-gram vectors (fastText; common/data/ngram_vocab.hpp, common/nn/embedding_bag.hpp).
// Papers: Yang et al., "Hierarchical Attention Networks for Document Classification" (NAACL 2016);
//         Bahdanau, Cho & Bengio (2014) for the scoring; Bojanowski et al. (2017) for the n-grams.
//
// Run:   build/bin/05_attention_classifier --quick                 (well under a minute: the keyword task)
//        build/bin/05_attention_classifier                         (AG News titles, three poolings)
//        build/bin/05_attention_classifier --data tweets           (airline tweets, 3 classes)
//        build/bin/05_attention_classifier --save m.ckpt && build/bin/05_attention_classifier --load m.ckpt
//        --eval-file FILE.csv
//
// Shapes: B batch, T words, E embedding, H hidden per direction, A attention size, V classes.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "chapters/05_attention_classifier/attention_report.hpp"
#include "chapters/05_attention_classifier/train.hpp"
#include "common/figures/plot.hpp"
#include "common/nn/schedule.hpp"
#include "common/run/classifier_metrics.hpp"
#include "common/run/cli.hpp"
#include "common/run/figure_names.hpp"
#include "common/run/main_guard.hpp"
#include "common/run/summary.hpp"

using namespace attn;
using namespace ch05;

static const char* kChapter = "05_attention_classifier";

// ---------------------------------------------------------------------------------------------
// Options: the common flags and this chapter's own.

struct Options {
    CommonFlags f;
    std::string pooling = "all";
    int emb = 96, hidden = 96, attn = 64, mlp = 64, buckets = 20000, min_n = 3, max_n = 5, synth_n = 6000;
    int stop_after = 0, seeds = 1;
    float dropout = 0.5f, emb_dropout = 0.5f, word_dropout = 0.2f, clip = 5.0f, weight_decay = 0.0f;
    bool full = false, keep_best = false;
    bool dropouts_given = false;  // any of --dropout, --emb-dropout, --word-dropout on the command line
};

static void declare_flags(Cli& cli, Options& o) {
    add_common_flags(cli, o.f);
    add_eval_file_flag(cli, o.f,
                       "evaluate the model on FILE.csv (AG News, either layout, or tweets): accuracy, "
                       "P/R/F1, confusion (with --load of a finished run, no training)");
    cli.choice("pooling", &o.pooling, {"all", "attention", "mean", "last"},
               "train attention pooling and both baselines (all, same budget), or one of them");
    cli.flag("emb", &o.emb, "embedding size E");
    cli.flag("hidden", &o.hidden, "GRU hidden size H per direction");
    cli.flag("attn", &o.attn, "attention size A");
    cli.flag("mlp", &o.mlp, "MLP hidden size M");
    cli.flag("buckets", &o.buckets, "character n-gram buckets (0: whole words only, unseen words are <unk>)");
    cli.flag("min-n", &o.min_n, "shortest character n-gram");
    cli.flag("max-n", &o.max_n, "longest character n-gram");
    cli.flag("dropout", &o.dropout, "dropout on the pooled vector");
    cli.flag("emb-dropout", &o.emb_dropout, "dropout on the word embeddings");
    cli.flag("word-dropout", &o.word_dropout,
             "probability that a training word loses its whole-word id (n-grams only)");
    cli.flag("clip", &o.clip, "clip the gradient norm at this value (0: no clipping)");
    cli.flag("weight-decay", &o.weight_decay, "AdamW's decoupled weight decay (0: plain Adam)");
    cli.flag("synth-n", &o.synth_n, "texts of the synthetic keyword task");
    cli.flag("full", &o.full, "the long run: each pooling an average of 5 models (--seeds 5)");
    cli.flag("seeds", &o.seeds,
             "train this many models of each pooling (seeds differ) and average their probabilities");
    cli.range("seeds", 1, 100);
    cli.flag("keep-best", &o.keep_best, "test the weights of the epoch with the best validation accuracy");
    cli.flag("stop-after", &o.stop_after,
             "stop after this epoch of --epochs (0: all); with --save, resume with --load");
    cli.range("emb", 1, 4096), cli.range("hidden", 1, 4096), cli.range("attn", 1, 4096),
        cli.range("mlp", 1, 4096);
    cli.range("buckets", 0, 10000000), cli.range("min-n", 1, 20), cli.range("max-n", 1, 20);
    cli.range("dropout", 0, 0.95), cli.range("emb-dropout", 0, 0.95), cli.range("word-dropout", 0, 1),
        cli.range("clip", 0, 1e9);
    cli.range("weight-decay", 0, 10), cli.range("synth-n", 100, 10000000), cli.range("stop-after", 0, 100000);
}

static Options parse_options(int argc, char** argv) {
    Options o;
    CommonFlags& f = o.f;
    f.epochs = 5, f.batch = 64, f.lr = 2e-3f, f.out = "runs/05_attention_classifier";
    f.data_choices = {"auto", "ag_news", "tweets", "synthetic"};
    Cli cli(kChapter,
            "Chapter 05: a BiGRU text classifier with attention pooling (a learned query, chapter 02's "
            "additive scoring) beside mean pooling and last states, on AG News titles or airline tweets.");
    declare_flags(cli, o);
    cli.parse(argc, argv);
    if (f.quick && o.full) fail("command line", "at most one of --quick and --full", "pick one");
    // --quick shows the chapter's point in seconds: the keyword task, where the poolings part ways
    // (on AG News titles they are level within the seed's noise: README); --quick --data ag_news for those.
    if (f.quick && !cli.was_set("data")) f.data = "synthetic";
    if (f.quick && !cli.was_set("epochs")) f.epochs = 3;
    if (f.quick && !cli.was_set("emb")) o.emb = 64;
    if (f.quick && !cli.was_set("hidden")) o.hidden = 64;
    o.dropouts_given = cli.was_set("dropout") || cli.was_set("emb-dropout") || cli.was_set("word-dropout");
    if (o.full && !cli.was_set("seeds")) o.seeds = 5;
    if (o.seeds > 1 && (!f.save.empty() || !f.load.empty()))
        fail("--seeds",
             "1 with --save or --load, found " + std::to_string(o.seeds) +
                 " (an average of models keeps no checkpoint)",
             "save a single model: drop --full / --seeds");
    if (o.min_n > o.max_n) fail("--min-n", "at most --max-n (" + std::to_string(o.max_n) + ")");
    apply_common_flags(f);
    return o;
}

// ---------------------------------------------------------------------------------------------
// Data: the texts, split; the tokenisation built from the training words, or read from --load.

static TextData load_data(const Options& o, const CheckpointInfo* ck) {
    std::string which = ck ? ck->dataset : o.f.data;
    if (ck && o.f.data != "auto" && o.f.data != ck->dataset)
        fail("--data", "the checkpoint's dataset '" + ck->dataset + "', found '" + o.f.data + "'",
             "the checkpoint decides the dataset; drop --data");
    TextData d = load_text_data(which, o.f.data_dir, (uint64_t)o.f.seed, o.synth_n);
    if (ck)
        d.vocab = ck->vocab;
    else
        build_vocab(d, o.buckets, o.min_n, o.max_n);
    encode_all(d);
    long unseen = 0, words = 0;  // test words that never occur in the training texts
    for (const Example& e : d.test)
        for (const std::string& w : e.words) unseen += d.vocab.words.id(w) == Vocab::UNK, words++;
    std::printf(
        "data: %s (%s)\n  %zu train / %zu val / %zu test texts, %d classes; vocabulary %d words (seen >= 2 "
        "times) + %d n-gram buckets (n=%d..%d); %.1f%% of the test words are not in it\n",
        d.name.c_str(), d.source.c_str(), d.train.size(), d.val.size(), d.test.size(),
        (int)d.class_names.size(), d.vocab.words.size(), d.vocab.buckets, d.vocab.min_n, d.vocab.max_n,
        100.0 * unseen / std::max(words, 1L));
    return d;
}

static ClassifierConfig model_config(const Options& o, const TextData& d, Pooling p,
                                     const CheckpointInfo* ck) {
    ClassifierConfig c;
    c.Vi = d.vocab.size(), c.V = (int)d.class_names.size(), c.pooling = p;
    c.E = ck ? ck->E : o.emb, c.H = ck ? ck->H : o.hidden, c.A = ck ? ck->A : o.attn,
    c.M = ck ? ck->M : o.mlp;
    c.dropout = o.dropout, c.emb_dropout = o.emb_dropout;
    return c;
}

// ---------------------------------------------------------------------------------------------
// One model of the comparison, trained for the run's budget (the step is train.hpp's train_epoch).
// Every pooling starts from the same seed. `save`/`load`: its checkpoint paths ("" for none).

struct Trained {
    Classifier m;
    ClassifierActs acts;
    ModelResult r;
    double acc_unseen = 0;  // test accuracy on the texts holding a word the vocabulary does not know
    long n_unseen = 0;
    std::vector<std::unique_ptr<Trained>> members;  // --seeds > 1: the other models of the average
};

// Does the text hold a word outside the vocabulary (read from its n-grams alone)?
static bool has_unseen_word(const Example& e) {
    for (size_t w = 0; w + 1 < e.offsets.size(); w++)
        if (e.ids[e.offsets[w]] == Vocab::UNK) return true;
    return false;
}

// The test result of t from te and r.predictions: the report, and the accuracy on unseen words.
static void set_test_result(Trained& t, const TextData& d, const EpochStats& te) {
    ModelResult& r = t.r;
    std::vector<int> labels;
    for (const Example& e : d.test) labels.push_back(e.label);
    r.set_test(te, labels, t.m.cfg.V);
    long right = 0;
    t.n_unseen = 0;
    for (size_t i = 0; i < d.test.size(); i++)
        if (has_unseen_word(d.test[i])) t.n_unseen++, right += r.predictions[i] == d.test[i].label;
    t.acc_unseen = (double)right / std::max(t.n_unseen, 1L);
    if (t.members.empty())
        std::printf(
            "%s test: accuracy %.4f, macro F1 %.4f, weighted F1 %.4f — training %.1fs, %.0f texts/s\n",
            r.name.c_str(), te.acc, r.report.macro_f1, r.report.weighted_f1, r.train_seconds,
            r.images_per_second());
    else
        std::printf("%s, average of %zu models, test: accuracy %.4f, macro F1 %.4f, weighted F1 %.4f\n",
                    r.name.c_str(), t.members.size() + 1, te.acc, r.report.macro_f1, r.report.weighted_f1);
}

static void train_model(Trained& t, const TextData& d, const Options& o, const std::string& save,
                        const std::string& load, uint64_t seed) {
    const CommonFlags& f = o.f;
    Classifier& m = t.m;
    ModelResult& r = t.r;
    Rng rng(seed + 7);  // shuffles and dropout masks
    classifier_reserve(t.acts, m.cfg, std::max(f.batch, 256), longest_text({&d.train, &d.val, &d.test}));
    Adam opt = o.weight_decay > 0 ? make_adamw(m.params, f.lr, o.weight_decay) : make_adam(m.params, f.lr);
    int first_epoch = 1;
    if (!load.empty()) {
        first_epoch = load_checkpoint(load, m, opt, rng) + 1;
        std::printf("loaded %s (after epoch %d)\n", load.c_str(), first_epoch - 1);
    }
    const long steps_per_epoch = ((long)d.train.size() + f.batch - 1) / f.batch;
    Cosine sched{f.lr, 0.0f, steps_per_epoch * f.epochs};
    auto lr_at = [&](long step) { return sched.lr(step); };
    const int last = o.stop_after > 0 ? std::min(o.stop_after, f.epochs) : f.epochs;
    Buf best;  // --keep-best: the weights of the best validation epoch so far
    double best_acc = -1;
    int best_epoch = 0;
    for (int epoch = first_epoch; epoch <= last; epoch++) {
        ProgressBar bar(epoch, f.epochs, (long)d.train.size());
        EpochStats tr =
            train_epoch(m, t.acts, opt, d.train, f.batch, o.clip, o.word_dropout, rng, lr_at, &bar);
        EpochStats va = evaluate(m, t.acts, d.val, 256);
        r.add_epoch(tr, va, (long)d.train.size());
        bar.finish(epoch_line(tr, va));
        if (o.keep_best && va.acc > best_acc) best = m.params.value, best_acc = va.acc, best_epoch = epoch;
    }
    if (o.keep_best && best_epoch > 0) {                              // chosen on validation, never on test
        std::copy(best.begin(), best.end(), m.params.value.begin());  // in place: the Tensors point into it
        std::printf("kept the weights of epoch %d (best validation accuracy %.4f)\n", best_epoch, best_acc);
    }
    if (!save.empty()) {
        save_checkpoint(save, m, opt, rng, std::max(last, first_epoch - 1), d);
        std::printf("saved %s\n", save.c_str());
    }
    EpochStats te = evaluate(m, t.acts, d.test, 256, &r.predictions);
    set_test_result(t, d, te);
}

// --seeds K: the mean of the K models' class probabilities, (n,V); predictions and the mean
// −log p̄(y) of set.
static EpochStats average_models(Trained& t, const std::vector<Example>& set, std::vector<int>& pred) {
    const int V = t.m.cfg.V, n = (int)set.size();
    std::vector<double> p((size_t)n * V, 0.0);
    std::vector<Trained*> all = {&t};
    for (auto& m : t.members) all.push_back(m.get());
    for (Trained* m : all) {
        TextBatch tb;
        Rng unused(0);
        for (const std::vector<int>& idx : batches_in_order(n, 256)) {
            make_text_batch(tb, set, idx);
            classifier_forward(m->m, m->acts, tb, unused, false);
            for (size_t b = 0; b < idx.size(); b++)
                for (int c = 0; c < V; c++)
                    p[(size_t)idx[b] * V + c] += m->acts.probs[b * V + c] / (double)all.size();
        }
    }
    EpochStats st;
    pred.assign(n, 0);
    long right = 0;
    for (int i = 0; i < n; i++) {
        const double* pi = p.data() + (size_t)i * V;
        pred[i] = (int)(std::max_element(pi, pi + V) - pi);
        right += pred[i] == set[i].label;
        st.loss -= std::log(std::max(pi[set[i].label], 1e-30)) / n;
    }
    st.acc = (double)right / std::max(n, 1);
    return st;
}

// The poolings of this run, headline first: all three, the one asked for, or (--load) the
// checkpoint's, plus the siblings PATH.mean / PATH.last saved beside it when --pooling is all.
static std::vector<Pooling> poolings(const Options& o, const CheckpointInfo* ck) {
    const std::vector<Pooling> all = {Pooling::Attention, Pooling::Mean, Pooling::Last};
    if (!ck) return o.pooling == "all" ? all : std::vector<Pooling>{pooling_from_name(o.pooling)};
    std::vector<Pooling> ps = {ck->pooling};
    if (o.pooling == "all")
        for (Pooling p : all)
            if (p != ck->pooling && std::filesystem::exists(o.f.load + "." + pooling_name(p)))
                ps.push_back(p);
    return ps;
}
static std::string sibling(const std::string& path, size_t k, Pooling p) {
    return path.empty() || k == 0 ? path : path + "." + pooling_name(p);
}

// ---------------------------------------------------------------------------------------------
// Reading the weights of the attention model: shaded test texts, the heatmap figure, top words.

static std::string explain(Trained& t, const TextData& d, const FigureNames& fig, JsonObject& j) {
    const int n = (int)d.test.size();
    AttentionTrace tr = trace_attention(t.m, t.acts, d.test, in_order(n), 256);
    const bool ansi = isatty(fileno(stdout));
    std::vector<int> pred(n), right, wrong;  // this model's own predictions (with --seeds, the first model's)
    for (int i = 0; i < n; i++) {
        pred[i] = (int)(std::max_element(tr.probs[i].begin(), tr.probs[i].end()) - tr.probs[i].begin());
        (pred[i] == d.test[i].label ? right : wrong).push_back(i);
    }
    std::printf("\ntest texts, words shaded by attention%s (predicted class, probability):\n",
                ansi ? "" : " ([brackets]: at least half the top weight)");
    std::vector<int> shown;
    for (int k = 0; k < 6; k++) {
        if (k < (int)right.size()) shown.push_back(right[k]);
        if (k < (int)wrong.size()) shown.push_back(wrong[k]);
    }
    for (int i : shown) {
        const int p = pred[i];
        std::printf(
            "  %-5s %-9s %.2f  %s%s\n", p == d.test[i].label ? "ok" : "WRONG", d.class_names[p].c_str(),
            tr.probs[i][p], shade_words(d.test[i].words, tr.alpha[i], ansi).c_str(),
            p == d.test[i].label ? "" : ("   (true: " + d.class_names[d.test[i].label] + ")").c_str());
    }
    AttentionTrace sub;
    for (int i : shown) sub.alpha.push_back(tr.alpha[i]), sub.probs.push_back(tr.probs[i]);
    const std::string path = fig.path("attention");
    draw_token_heatmaps(path, d.test, shown, sub, d.class_names,
                        "Attention pooling on " + d.name + " test texts: alpha per word");
    std::printf(
        "\nmost-attended words per class (the top-alpha word of each correctly classified test text):\n");
    JsonObject top;
    const auto words = top_attended_words(d.test, tr, t.m.cfg.V, 8);
    for (size_t c = 0; c < words.size(); c++) {
        std::string line;
        std::vector<std::string> list;
        for (const auto& [w, k] : words[c]) line += w + " (" + std::to_string(k) + ")  ", list.push_back(w);
        std::printf("  %-9s %s\n", d.class_names[c].c_str(), line.c_str());
        top.set(d.class_names[c], list);
    }
    j.set("most_attended_words", top);
    return path;
}

// --eval-file: the headline model on any AG News or tweets file.
static void eval_file(Trained& t, const TextData& d, const std::vector<Example>& set, const std::string& path,
                      JsonObject& j) {
    std::vector<int> pred, labels;
    for (const Example& e : set) labels.push_back(e.label);
    classifier_reserve(t.acts, t.m.cfg, 256, longest_text({&set}));  // the file may hold longer texts
    for (auto& m : t.members) classifier_reserve(m->acts, m->m.cfg, 256, longest_text({&set}));
    if (t.members.empty())
        evaluate(t.m, t.acts, set, 256, &pred);
    else
        average_models(t, set, pred);
    ClassificationReport r = classification_report(pred, labels, t.m.cfg.V);
    std::printf("\neval-file %s: %zu texts, accuracy %.4f, macro P/R/F1 ", path.c_str(), set.size(),
                r.accuracy);
    double mp = 0, mr = 0;
    for (const ClassScores& c : r.per_class)
        mp += c.precision / r.num_classes, mr += c.recall / r.num_classes;
    double wp = 0, wr = 0;
    for (const ClassScores& c : r.per_class)
        wp += c.precision * c.support / r.count, wr += c.recall * c.support / r.count;
    std::printf(
        "%.4f/%.4f/%.4f, weighted P/R/F1 %.4f/%.4f/%.4f\n  confusion (rows: true, columns: predicted)\n", mp,
        mr, r.macro_f1, wp, wr, r.weighted_f1);
    for (int a = 0; a < r.num_classes; a++) {
        std::printf("  %-9s", d.class_names[a].c_str());
        for (int b = 0; b < r.num_classes; b++) std::printf(" %6ld", r.confusion_at(a, b));
        std::printf("\n");
    }
    JsonObject o = eval_file_metrics(r);
    o.set("file", path);
    o.set("macro_precision", mp), o.set("macro_recall", mr), o.set("weighted_precision", wp),
        o.set("weighted_recall", wr);
    o.set("confusion", confusion_metrics(r, d.class_names));
    j.set("eval_file", o);
}

// The comparison: every pooling's test numbers, trained with the same budget.
// "unseen": the accuracy on the test texts that hold a word outside the vocabulary.
static void print_table(const std::vector<Trained*>& models, double seconds) {
    std::printf("\n%-20s %9s %9s %12s %8s %10s %8s\n", "model", "accuracy", "macro F1", "weighted F1",
                "unseen", "train (s)", "texts/s");
    for (const Trained* t : models) {
        const ModelResult& r = t->r;
        std::printf("%-20s %9.4f %9.4f %12.4f %8.4f %10.1f %8.0f\n", r.name.c_str(), r.test.acc,
                    r.report.macro_f1, r.report.weighted_f1, t->acc_unseen, r.train_seconds,
                    r.images_per_second());
    }
    std::printf("(unseen: accuracy on the %ld test texts with a word the vocabulary does not know)\n",
                models.front()->n_unseen);
    std::printf("total %.1fs on %s\n", seconds, threads_text().c_str());
}

// ---------------------------------------------------------------------------------------------
// metrics.json (common/run/classifier_metrics.hpp's schema) and the validation curves.

static std::string draw_curves(const FigureNames& fig, const std::vector<ModelResult>& results,
                               const std::string& data) {
    std::vector<Series> series;
    for (const ModelResult& r : results) {
        Series s;
        s.name = r.name;
        for (size_t e = 0; e < r.val_accuracy.size(); e++)
            s.x.push_back((double)e + 1), s.y.push_back(r.val_accuracy[e]);
        series.push_back(s);
    }
    const std::string path = fig.path("curves");
    PlotOptions po;
    po.title = "Validation accuracy by pooling, " + data;
    po.xlabel = "epoch", po.ylabel = "accuracy", po.markers = true;
    save_line_plot(path, series, po);
    return path;
}

static JsonObject run_metrics(const Options& o, const TextData& d, const std::vector<Trained*>& models,
                              double seconds) {
    JsonObject j = classifier_metrics({kChapter, d.name, d.source, (long)d.train.size(), (long)d.val.size(),
                                       (long)d.test.size(), o.f.epochs, o.f.seed, seconds});
    const ClassifierConfig& c = models.front()->m.cfg;
    j.set("batch", (long)o.f.batch);
    j.set("seeds", (long)o.seeds);
    j.set("emb", (long)c.E), j.set("hidden", (long)c.H), j.set("attn", (long)c.A), j.set("mlp", (long)c.M);
    j.set("ngram_buckets", (long)d.vocab.buckets), j.set("vocab_words", (long)d.vocab.words.size());
    set_headline(j, models.front()->r, d.name == "ag_news" ? "test_weighted_f1" : "test_accuracy");
    for (Trained* t : models) {
        JsonObject m = model_metrics(t->r, d.class_names);
        m.set("test_accuracy_unseen_words", t->acc_unseen);
        m.set("test_texts_unseen_words", t->n_unseen);
        j.set(t->r.key, m);
    }
    return j;
}

// ---------------------------------------------------------------------------------------------
// The run: options → data → the models (same budget) → comparison → the weights read → metrics.

static int run(int argc, char** argv) {
    Options o = parse_options(argc, argv);
    const auto t_start = std::chrono::steady_clock::now();
    CheckpointInfo info;
    if (!o.f.load.empty()) info = read_checkpoint_info(o.f.load);
    const CheckpointInfo* ck = o.f.load.empty() ? nullptr : &info;
    const TextData d = load_data(o, ck);
    o.f.batch = fit_batch(o.f.batch, (long)d.train.size());
    if (d.name == "synthetic" && !o.dropouts_given) {  // tuned on AG News; the keyword task needs little
        o.dropout = o.emb_dropout = 0.1f, o.word_dropout = 0.0f;
        std::printf("synthetic task: dropout 0.1 on the embeddings and the pooled vector, no word dropout\n");
    }
    std::filesystem::create_directories(o.f.out);
    const FigureNames fig{o.f.out, kChapter, d.name, run_tag(o.f.quick, o.full)};
    std::vector<Example> eval_set;  // read (and checked) before any training
    if (!o.f.eval_file.empty()) eval_set = load_eval_file(o.f.eval_file, d);

    const std::vector<Pooling> kinds = poolings(o, ck);
    std::vector<std::unique_ptr<Trained>> models;
    for (size_t k = 0; k < kinds.size(); k++) {
        auto t = std::make_unique<Trained>();
        Rng init_rng((uint64_t)o.f.seed);
        classifier_build(t->m, model_config(o, d, kinds[k], ck), init_rng);
        t->r.name = std::string(pooling_name(kinds[k])) + " pooling", t->r.key = pooling_name(kinds[k]);
        print_summary("BiGRU + " + t->r.name, summary_from_params(t->m.params));
        train_model(*t, d, o, sibling(o.f.save, k, kinds[k]), sibling(o.f.load, k, kinds[k]),
                    (uint64_t)o.f.seed);
        for (int s = 1; s < o.seeds; s++) {  // --seeds: more models of this pooling, other seeds, same data
            auto mem = std::make_unique<Trained>();
            const uint64_t seed = (uint64_t)o.f.seed + 1000u * (uint64_t)s;
            Rng member_rng(seed);
            classifier_build(mem->m, t->m.cfg, member_rng);
            mem->r.name = t->r.name + " (seed " + std::to_string(seed) + ")";
            train_model(*mem, d, o, "", "", seed);
            t->r.train_seconds += mem->r.train_seconds, t->r.images += mem->r.images;
            t->members.push_back(std::move(mem));
        }
        if (!t->members.empty()) set_test_result(*t, d, average_models(*t, d.test, t->r.predictions));
        models.push_back(std::move(t));
    }
    std::vector<ModelResult> results;
    std::vector<Trained*> ptrs;
    for (auto& t : models) results.push_back(t->r), ptrs.push_back(t.get());
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    print_table(ptrs, seconds);
    JsonObject j = run_metrics(o, d, ptrs, seconds);
    std::vector<std::string> figures;
    if (kinds.front() == Pooling::Attention) figures.push_back(explain(*models.front(), d, fig, j));
    if (models.front()->r.val_accuracy.size() > 0) figures.push_back(draw_curves(fig, results, d.name));
    for (const std::string& p : figures) std::printf("figure: %s\n", p.c_str());
    if (!o.f.eval_file.empty()) eval_file(*models.front(), d, eval_set, o.f.eval_file, j);
    j.set("figures", figures);
    set_takeaway(j, results, d.name);
    save_metrics(j, o.f.out);
    return 0;
}

int main(int argc, char** argv) {
    return guarded_main(kChapter, [&] { return run(argc, argv); });
}
