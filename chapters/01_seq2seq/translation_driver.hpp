// translation_driver.hpp — the one program behind chapters 01–04: flags and run sizes, data, the
// model summary, training with progress bars (resumable from a checkpoint), test BLEU greedy and
// beam, the BLEU-by-length table, examples, --eval-file, the figures and metrics.json.
//
// A chapter's main.cpp declares its own flags, hands its model over as a TranslationModel (plain
// functions: forward, backward, translate) and may add figures; everything else is here, once:
//
//   TranslationSettings s;  s.chapter = "02_additive_attention";
//   Cli cli(s.chapter, "...");
//   add_translation_flags(cli, s);  cli.flag("attn", &A, "attention size");  cli.parse(argc, argv);
//   finish_translation_flags(cli, s);
//   return run_translation_chapter(s, make_model, extra_figures).exit_code;
//
// Shapes: B batch, S source length, T target length.
#pragma once
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "chapters/01_seq2seq/decoding.hpp"
#include "chapters/01_seq2seq/seq2seq_data.hpp"
#include "chapters/01_seq2seq/train_seq2seq.hpp"
#include "chapters/01_seq2seq/translation_eval.hpp"
#include "chapters/01_seq2seq/translation_model.hpp"
#include "common/run/checkpoint.hpp"
#include "common/run/cli.hpp"
#include "common/core/error.hpp"
#include "common/run/metrics_json.hpp"
#include "common/figures/plot.hpp"
#include "common/run/progress.hpp"
#include "common/run/summary.hpp"
#include "common/core/thread_pool.hpp"

namespace s2s {

// ---------------------------------------------------------------------------------------------
// Settings: the flags every translation chapter has, and the three run sizes.

struct TranslationSettings {
    std::string chapter;       // "02_additive_attention": the program, the figure names, metrics.json
    std::string model_kind;    // the chapter's checkpoint tag ("bahdanau"); --load refuses any other
    std::string compare_with;  // a previous chapter whose run (OUT/../<it>/metrics.json) is drawn beside
    CommonFlags f;
    DataOptions data;
    int E = 128, H = 256;
    int beam = 5;
    float alpha = 1.0f;        // length normalisation of the search: log p / length^alpha
    float clip = 1.0f;         // global gradient-norm clip (0 = off)
    int bleu_val = 300;        // validation sentences translated (greedy) after each epoch
    int bucket = 0;            // source-length bucket width (0: about 8 buckets, at least 2 tokens wide)
    int examples = 5;
    int stop_after = 0;        // stop after this epoch (to --save and resume later with --load)
    bool full = false;
    std::string compare;       // --compare: another chapter's metrics.json
};

// Declares the common flags and the translation ones. The chapter declares its own afterwards.
inline void add_translation_flags(Cli& cli, TranslationSettings& s) {
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
    cli.flag("hidden", &s.H, "hidden size H of the recurrent layers");
    cli.flag("beam", &s.beam, "beam width for the beam-search evaluation");
    cli.flag("alpha", &s.alpha, "length normalisation: score = log p / length^alpha");
    cli.flag("clip", &s.clip, "clip the global gradient norm to this (0 = off)");
    cli.flag("stop-after", &s.stop_after, "stop after this epoch of --epochs (0: all); --save, then resume with --load");
    cli.flag("compare", &s.compare, "another chapter's metrics.json: draw its BLEU by length beside this one's");
    cli.range("max-len", 1, 1000), cli.range("min-freq", 1, 1000000), cli.range("synth-pairs", 10, 10000000);
    cli.range("synth-max-len", 3, 200), cli.range("emb", 1, 4096), cli.range("hidden", 1, 4096);
    cli.range("beam", 1, 100), cli.range("alpha", 0, 5), cli.range("max-pairs", 0, 1e9), cli.range("stop-after", 0, 100000);
}

// A run-size default: applies unless the flag was given on the command line (which always wins).
template <class T, class V>
void size_default(const Cli& cli, const char* name, T* dest, V value) {
    if (!cli.was_set(name)) *dest = (T)value;
}

// After cli.parse: the --quick and --full sizes of the shared flags, the data options, the output
// directory. A chapter sets the sizes of its own flags with size_default, before or after.
inline void finish_translation_flags(const Cli& cli, TranslationSettings& s) {
    if (s.f.quick) {
        size_default(cli, "max-len", &s.data.max_len, 6), size_default(cli, "max-pairs", &s.data.max_pairs, 15000);
        size_default(cli, "synth-pairs", &s.data.synth_pairs, 10000), size_default(cli, "synth-max-len", &s.data.synth_max_len, 15);
        size_default(cli, "epochs", &s.f.epochs, 3), size_default(cli, "emb", &s.E, 64), size_default(cli, "hidden", &s.H, 128);
        s.bleu_val = 100;
    } else if (s.full) {
        // twice the data (pairs up to 8 tokens), more words and epochs; the model stays at H 256, since a
        // larger output layer over ≈ 8k target words would not fit the hour (chapter 02 at H 384 and
        // min_freq 2 ran at < 1/5 of the default's steps per second)
        size_default(cli, "max-len", &s.data.max_len, 8), size_default(cli, "min-freq", &s.data.min_freq, 3);
        size_default(cli, "synth-pairs", &s.data.synth_pairs, 60000), size_default(cli, "synth-max-len", &s.data.synth_max_len, 45);
        size_default(cli, "epochs", &s.f.epochs, 6), size_default(cli, "emb", &s.E, 256), size_default(cli, "hidden", &s.H, 256);
    }
    s.data.data = s.f.data, s.data.data_dir = s.f.data_dir, s.data.seed = (uint64_t)s.f.seed;
    if (s.f.out.empty()) s.f.out = "runs/" + s.chapter;
    if (!s.compare.empty() && !std::filesystem::is_regular_file(s.compare))  // fail now, not after training
        fail("--compare", "a chapter's metrics.json, found no file '" + s.compare + "'",
             "run that chapter first, with the same --data and --seed");
    apply_common_flags(s.f);
}

// ---------------------------------------------------------------------------------------------
// The training loop of train_seq2seq.hpp for a TranslationModel (the driver and the tests use these).

// Activations for the longest source and target of the whole dataset.
inline void reserve_for(TranslationModel& m, const Seq2SeqData& d, int batch) {
    int S = 1, T = 1;
    for (const auto& x : d.src_ids) S = std::max(S, (int)x.size());
    for (const auto& y : d.tgt_ids) T = std::max(T, (int)y.size() + 1);  // + <eos>
    m.reserve(batch, S, T);
}
inline EpochStats train_epoch(TranslationModel& m, Adam& opt, const Seq2SeqData& d, int batch, Rng& rng, float clip,
                              ProgressBar* bar = nullptr) {
    return train_epoch_with(*m.params, m.train_forward ? m.train_forward : m.forward, m.backward, opt, d, batch, rng,
                            clip, bar);
}
inline double evaluate_loss(TranslationModel& m, const Seq2SeqData& d, const std::vector<int>& idx, int batch) {
    return evaluate_loss_with(m.forward, d, idx, batch);
}

// ---------------------------------------------------------------------------------------------
// Makes the chapter's model: a new one for these vocabulary sizes (config empty), or the one a
// checkpoint describes (config = its text). The chapter owns the model; the TranslationModel points at it.
using MakeModel = std::function<TranslationModel(int Vs, int Vt, const std::string& config, Rng& rng)>;

// ---------------------------------------------------------------------------------------------
// Checkpoints: weights, configuration, vocabularies, and what it takes to continue training exactly
// (Adam's moments, the random stream, the epoch).

inline void save_translation_checkpoint(const std::string& path, const TranslationModel& m, const Adam& opt,
                                        const Rng& rng, const Vocab& sv, const Vocab& tv, int epochs_done) {
    Checkpoint ck;
    ck.add_bytes("model", m.kind);
    ck.add_bytes("config", m.config);
    ck.add_bytes("src_vocab", sv.serialize());
    ck.add_bytes("tgt_vocab", tv.serialize());
    ck.add_bytes("epochs", std::to_string(epochs_done));
    ck.add_params(*m.params);
    ck.add_adam(opt);
    ck.add_rng(rng);
    ck.save(path);
}

// Reads a checkpoint of model `kind`: its config text, vocabularies and epochs (the weights are restored
// by the caller into the model built from the config).
struct TranslationCheckpoint {
    Checkpoint ck;
    std::string config;
    Vocab src_vocab, tgt_vocab;
    int epochs = 0;
};
inline TranslationCheckpoint load_translation_checkpoint(const std::string& path, const std::string& kind) {
    TranslationCheckpoint t;
    t.ck = Checkpoint::load(path);
    std::string found = t.ck.has("model") ? t.ck.bytes("model") : "(none)";
    if (found != kind)
        fail(path, "a checkpoint of model '" + kind + "', found '" + found + "'",
             "a checkpoint of another chapter (or --score / --attention variant) cannot be loaded here");
    t.config = t.ck.bytes("config");
    t.src_vocab = Vocab::deserialize(t.ck.bytes("src_vocab"), path + ": src_vocab");
    t.tgt_vocab = Vocab::deserialize(t.ck.bytes("tgt_vocab"), path + ": tgt_vocab");
    t.epochs = std::stoi(t.ck.bytes("epochs"));
    return t;
}

// ---------------------------------------------------------------------------------------------
// Another chapter's BLEU by source length, from its metrics.json ("bleu_by_length": [{"lo", "hi",
// "n", "bleu_greedy", "bleu_beam"}...]) — a minimal reader of that one layout, not a JSON parser.

constexpr int kMinBucketToPlot = 10;

struct OtherRun {
    std::string chapter, path;
    std::vector<double> mid, greedy, beam;  // bucket centres and BLEU (beam empty when not evaluated)
};
inline OtherRun read_other_run(const std::string& path, const std::string& dataset) {
    std::ifstream in(path);
    if (!in) fail(path, "a readable metrics.json", "run that chapter first (same --data, --seed)");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string t = ss.str();
    auto string_field = [&](const std::string& key) {
        size_t k = t.find("\"" + key + "\"");
        if (k == std::string::npos) return std::string();
        size_t q1 = t.find('"', t.find(':', k) + 1), q2 = t.find('"', q1 + 1);
        return t.substr(q1 + 1, q2 - q1 - 1);
    };
    OtherRun r;
    r.chapter = string_field("chapter"), r.path = path;
    if (string_field("dataset") != dataset)
        fail(path, "results on the same dataset (" + dataset + "), found '" + string_field("dataset") + "'",
             "run that chapter with the same --data");
    size_t at = t.find("\"bleu_by_length\"");
    if (at == std::string::npos) fail(path, "a \"bleu_by_length\" list", "is this a translation chapter's metrics.json?");
    size_t end = t.find(']', at);
    auto number = [&](size_t obj, size_t obj_end, const char* key) {
        size_t k = t.find(std::string("\"") + key + "\"", obj);
        return k == std::string::npos || k > obj_end ? NAN : std::strtod(t.c_str() + t.find(':', k) + 1, nullptr);
    };
    for (size_t o = t.find('{', at); o != std::string::npos && o < end; o = t.find('{', o + 1)) {
        size_t oe = t.find('}', o);
        if (number(o, oe, "n") < kMinBucketToPlot) continue;
        r.mid.push_back(0.5 * (number(o, oe, "lo") + number(o, oe, "hi")));
        r.greedy.push_back(number(o, oe, "bleu_greedy"));
        double b = number(o, oe, "bleu_beam");
        if (!std::isnan(b)) r.beam.push_back(b);
    }
    if (r.mid.empty()) fail(path, "at least one BLEU-by-length bucket");
    return r;
}

// This chapter's greedy and beam curves, and the other run's (dashed) when given. Buckets of fewer
// than kMinBucketToPlot sentences are left out of the figure (their corpus BLEU is noise; the
// printed table keeps them).
inline void save_bleu_by_length_vs(const std::string& path, const std::string& chapter,
                                   const std::vector<TranslationEval>& evs, const OtherRun* other) {
    std::string me = chapter.substr(0, 2), them = other ? other->chapter.substr(0, 2) : "";
    std::vector<Series> series;
    for (const auto& e : evs) {
        Series sr;
        sr.name = "ch" + me + " " + (e.beam <= 1 ? "greedy" : "beam=" + std::to_string(e.beam));
        for (const auto& b : e.buckets)
            if (b.n >= kMinBucketToPlot) sr.x.push_back(0.5 * (b.lo + b.hi)), sr.y.push_back(b.bleu);
        series.push_back(sr);
    }
    if (other) {
        series.push_back({.name = "ch" + them + " greedy", .x = other->mid, .y = other->greedy, .dashed = true});
        if (other->beam.size() == other->mid.size())
            series.push_back({.name = "ch" + them + " beam", .x = other->mid, .y = other->beam, .dashed = true});
    }
    PlotOptions o;
    o.title = other ? "test BLEU by source length: ch" + me + " vs ch" + them + " (dashed)"
                    : "ch" + me + ": test BLEU by source length";
    o.xlabel = "source length (tokens)", o.ylabel = "BLEU";
    o.ymin = 0, o.markers = true;
    save_line_plot(path, series, o);
}

// ---------------------------------------------------------------------------------------------
// One run of a chapter: what main() prints, and what the chapter's figures and the tests can read.

struct TranslationRun {
    const TranslationSettings& s;
    Seq2SeqData d;
    TranslationRun(const TranslationSettings& settings, Seq2SeqData data) : s(settings), d(std::move(data)) {}
    TranslationModel model;
    std::vector<EvalItem> test_items;
    std::vector<TranslationEval> evs;       // test: greedy, then beam
    std::vector<double> train_loss, val_loss, val_bleu;
    double train_seconds = 0, test_loss = 0;
    long train_steps = 0;
    int epochs_done = 0;
    std::vector<std::string> figures;       // paths written
    JsonObject metrics;                     // metrics.json; a chapter may add its own keys
    std::string fig(const std::string& what) const {  // OUT/<chapter>_<dataset>_<what>.png
        return s.f.out + "/" + s.chapter + "_" + d.dataset + "_" + what + ".png";
    }
};

// The whole program. `extra` (may be empty) draws the chapter's own figures after the test.
inline TranslationRun run_translation_chapter(const TranslationSettings& s, const MakeModel& make_model,
                                              const std::function<void(TranslationRun&)>& extra = {}) {
    auto t_start = std::chrono::steady_clock::now();
    std::filesystem::create_directories(s.f.out);
    std::string note;
    TranslationRun run(s, load_seq2seq_data(s.data, &note));
    Seq2SeqData& d = run.d;
    if (!note.empty()) std::printf("%s\n", note.c_str());
    std::printf("data: %s (%s), %zu pairs%s\n", d.dataset.c_str(), d.source.c_str(), d.pairs.pairs.size(),
                d.dataset == "fra-eng" ? (", " + d.direction + ", max " + std::to_string(s.data.max_len) + " tokens").c_str() : "");
    std::printf("split by distinct %s sentence (seed %ld): train %zu, val %zu, test %zu pairs\n",
                d.dataset == "fra-eng" ? "English" : "source", s.f.seed, d.split.train.size(), d.split.val.size(),
                d.split.test.size());

    // ---- the model: new, or from --load (whose vocabularies then decide the ids) ----
    Rng rng((uint64_t)s.f.seed);
    TranslationCheckpoint loaded;
    if (!s.f.load.empty()) {
        loaded = load_translation_checkpoint(s.f.load, s.model_kind);
        d.src_vocab = loaded.src_vocab, d.tgt_vocab = loaded.tgt_vocab;
        encode_pairs(d);  // unknown words -> <unk>
        run.model = make_model(d.src_vocab.size(), d.tgt_vocab.size(), loaded.config, rng);
        loaded.ck.restore_params(*run.model.params);
        run.epochs_done = loaded.epochs;
    } else {
        run.model = make_model(d.src_vocab.size(), d.tgt_vocab.size(), "", rng);
    }
    TranslationModel& m = run.model;
    if (m.kind != s.model_kind) fail(s.chapter, "a model of kind '" + s.model_kind + "', made '" + m.kind + "'");
    std::printf("vocabulary (train, min_freq %d): source %d, target %d tokens (incl. 4 specials)\n\n",
                s.data.min_freq, d.src_vocab.size(), d.tgt_vocab.size());
    print_summary(m.title, summary_from_params(*m.params));
    reserve_for(m, d, s.f.batch);
    int bucket = s.bucket;
    if (bucket <= 0) {
        int longest = 1;
        for (const auto& p : d.pairs.pairs) longest = std::max(longest, count_tokens(p.src));
        bucket = std::max(2, (longest + 7) / 8);
    }
    auto translate = [&](const std::vector<std::string>& srcs, int beam) {
        return m.translate(d.src_vocab, srcs, beam, s.alpha, nullptr);
    };
    std::vector<EvalItem> val_items = group_by_source(d.pairs, d.split.val);
    run.test_items = group_by_source(d.pairs, d.split.test);
    std::vector<EvalItem> val_bleu_items(val_items.begin(), val_items.begin() + std::min((size_t)s.bleu_val, val_items.size()));

    // ---- training: epochs epochs_done+1 .. --epochs (or --stop-after) ----
    Adam opt = make_adam(*m.params, s.f.lr);
    int last = s.stop_after > 0 ? std::min(s.stop_after, s.f.epochs) : s.f.epochs;
    if (!s.f.load.empty()) {
        std::printf("\nloaded %s (%d epochs trained)%s\n", s.f.load.c_str(), run.epochs_done,
                    run.epochs_done < last ? "; continuing training" : "; evaluating it (--epochs is the total)");
        if (run.epochs_done < last) loaded.ck.restore_adam(opt), loaded.ck.restore_rng(rng);
    }
    if (run.epochs_done < last) {
        std::printf("\ntraining: epochs %d-%d of %d, batch %d, Adam lr %g, clip %g, %d threads\n", run.epochs_done + 1,
                    last, s.f.epochs, s.f.batch, s.f.lr, s.clip, num_threads());
        for (int e = run.epochs_done + 1; e <= last; e++) {
            ProgressBar bar(e, s.f.epochs, (long)d.split.train.size());
            EpochStats st = train_epoch(m, opt, d, s.f.batch, rng, s.clip, &bar);
            double vl = evaluate_loss(m, d, d.split.val, s.f.batch);
            double vb = evaluate_translations(val_bleu_items, translate, d.tgt_vocab, 1, bucket).corpus.bleu;
            bar.finish(metrics_str({{"loss", st.loss}}) + " | " + metrics_str({{"val_loss", vl}, {"val_bleu", vb}}, 2) +
                       " | " + fmt_metric("steps/s", st.steps / std::max(st.seconds, 1e-9), 1));
            run.train_loss.push_back(st.loss), run.val_loss.push_back(vl), run.val_bleu.push_back(vb);
            run.train_seconds += st.seconds, run.train_steps += st.steps;
            run.epochs_done = e;
        }
        if (!s.f.save.empty()) {
            save_translation_checkpoint(s.f.save, m, opt, rng, d.src_vocab, d.tgt_vocab, run.epochs_done);
            std::printf("saved %s (after epoch %d)\n", s.f.save.c_str(), run.epochs_done);
        }
    }

    // ---- test ----
    run.test_loss = evaluate_loss(m, d, d.split.test, s.f.batch);
    std::printf("\ntest: %zu distinct source sentences (all their translations are references)\n", run.test_items.size());
    std::printf("  test loss %.4f per target token, perplexity %.2f\n", run.test_loss, std::exp(run.test_loss));
    std::vector<TranslationEval>& evs = run.evs;
    evs.push_back(evaluate_translations(run.test_items, translate, d.tgt_vocab, 1, bucket));
    if (s.beam > 1) evs.push_back(evaluate_translations(run.test_items, translate, d.tgt_vocab, s.beam, bucket));
    for (const auto& e : evs) std::printf("  test BLEU beam=%d (alpha %g): %s\n", e.beam, s.alpha, e.corpus.str().c_str());
    std::printf("\nBLEU by source length (tokens, incl. punctuation):\n");
    print_length_table(evs);
    std::printf("\nexamples (test):\n");
    std::vector<int> beams = {1};
    if (s.beam > 1) beams.push_back(s.beam);
    print_examples(pick_examples(run.test_items, s.examples), translate, d.tgt_vocab, beams);

    JsonObject& metrics = run.metrics;
    if (!s.f.eval_file.empty()) {
        std::printf("\n");
        auto fe = evaluate_file(s.f.eval_file, d.direction, translate, d.tgt_vocab, s.beam, bucket, s.examples);
        JsonObject ef;
        ef.set("path", s.f.eval_file);
        ef.set("bleu_greedy", fe[0].corpus.bleu);
        if (fe.size() > 1) ef.set("bleu_beam", fe[1].corpus.bleu);
        metrics.set("eval_file", ef);
    }

    // ---- figures: BLEU by length (beside an earlier chapter's run when there is one), loss ----
    std::printf("\n");
    OtherRun other;
    bool have_other = false;
    std::string other_path = s.compare;
    if (other_path.empty() && !s.compare_with.empty()) {
        auto sib = std::filesystem::path(s.f.out).parent_path() / s.compare_with / "metrics.json";
        if (std::filesystem::exists(sib)) other_path = sib.string();
    }
    if (!other_path.empty()) try {
            other = read_other_run(other_path, d.dataset), have_other = true;
        } catch (const attn::Error& e) {
            if (!s.compare.empty()) throw;  // asked for explicitly: an error
            std::printf("not comparing with %s: %s\n", other_path.c_str(), e.what());
        }
    run.figures.push_back(run.fig("bleu_by_length"));
    save_bleu_by_length_vs(run.figures.back(), s.chapter, evs, have_other ? &other : nullptr);
    std::printf("figure: %s%s\n", run.figures.back().c_str(),
                have_other ? (" (beside " + other.chapter + "'s, dashed)").c_str() : "");
    if (!run.train_loss.empty()) {
        std::vector<double> x;
        for (size_t i = 0; i < run.train_loss.size(); i++) x.push_back(run.epochs_done - (double)run.train_loss.size() + 1 + i);
        PlotOptions o;
        o.title = "ch" + s.chapter.substr(0, 2) + ": loss per target token", o.xlabel = "epoch", o.ylabel = "loss";
        run.figures.push_back(run.fig("loss"));
        save_line_plot(run.figures.back(),
                       {{.name = "train", .x = x, .y = run.train_loss}, {.name = "val", .x = x, .y = run.val_loss, .dashed = true}}, o);
        std::printf("figure: %s\n", run.figures.back().c_str());
    }
    if (extra) extra(run);

    // ---- metrics.json ----
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    metrics.set("chapter", s.chapter);
    metrics.set("dataset", d.dataset), metrics.set("source", d.source), metrics.set("direction", d.direction);
    JsonObject split;
    split.set("train", d.split.train.size()), split.set("val", d.split.val.size()), split.set("test", d.split.test.size());
    split.set("test_sources", run.test_items.size());
    metrics.set("split_sizes", split);
    metrics.set("src_vocab", d.src_vocab.size()), metrics.set("tgt_vocab", d.tgt_vocab.size());
    long n_params = 0;
    for (const auto& e : m.params->entries()) n_params += (long)e.size;
    metrics.set("model", m.kind), metrics.set("params", n_params);
    metrics.set("epochs", run.epochs_done), metrics.set("seconds", seconds), metrics.set("threads", num_threads());
    if (run.train_steps > 0) {
        metrics.set("train_seconds", run.train_seconds);
        metrics.set("steps_per_second", run.train_steps / std::max(run.train_seconds, 1e-9));
    }
    metrics.set("metric", "test_bleu");
    metrics.set("test_bleu", evs.back().corpus.bleu), metrics.set("test_bleu_greedy", evs[0].corpus.bleu);
    metrics.set("test_loss", run.test_loss), metrics.set("test_perplexity", std::exp(run.test_loss));
    metrics.set("beam", s.beam);
    if (!run.train_loss.empty())
        metrics.set("train_loss", run.train_loss), metrics.set("val_loss", run.val_loss), metrics.set("val_bleu", run.val_bleu);
    std::vector<JsonObject> buckets;
    for (size_t k = 0; k < evs[0].buckets.size(); k++) {
        JsonObject b;
        b.set("lo", evs[0].buckets[k].lo), b.set("hi", evs[0].buckets[k].hi), b.set("n", evs[0].buckets[k].n);
        b.set("bleu_greedy", evs[0].buckets[k].bleu);
        if (evs.size() > 1) b.set("bleu_beam", evs[1].buckets[k].bleu);
        buckets.push_back(b);
    }
    metrics.set("bleu_by_length", buckets);
    metrics.set("figures", run.figures);
    if (have_other) metrics.set("compared_with", other.path);
    metrics.save(s.f.out + "/metrics.json");
    std::printf("metrics: %s/metrics.json (test BLEU %.2f, %s)\n", s.f.out.c_str(), evs.back().corpus.bleu,
                fmt_seconds(seconds).c_str());
    return run;
}

// main() of a translation chapter: the run, and errors reported as "<chapter>: error: ..." with exit 1.
inline int translation_main(const std::string& chapter, const std::function<void()>& body) {
    try {
        body();
        return 0;
    } catch (const attn::Error& e) {
        std::fprintf(stderr, "%s: error: %s\n", chapter.c_str(), e.what());
        return 1;
    }
}

}  // namespace s2s
