// Chapter 02 — Additive attention (Bahdanau, Cho & Bengio 2014, "Neural Machine Translation by
// Jointly Learning to Align and Translate"): the decoder stops relying on one fixed vector and, at every
// step, looks back at ALL encoder states through learned weights α_ti.
//
// What you learn here:
//   * the additive score e_ti = vᵀ tanh(W s_{t−1} + U h_i), a softmax over the VALID (unpadded) source
//     positions, and the context c_t = Σ_i α_ti h_i — additive_attention.hpp (forward and backward);
//   * a bidirectional GRU encoder (h_i = [h→_i ; h←_i]), the decoder GRU fed [embedding ; context],
//     s_0 = tanh(W_s h←_1 + b_s) — bahdanau_seq2seq.hpp;
//   * reading alignments: heatmaps of α (rows = target tokens, columns = source tokens), and BLEU by
//     source length beside chapter 01's curve (--compare runs/01_seq2seq/metrics.json).
// Everything else — data, batching, greedy and beam search, BLEU, --eval-file — is chapter 01's
// (chapters/01_seq2seq/*.hpp), included, not copied.
//
// Run:   make run CHAPTER=02_additive_attention        (or build/bin/02_additive_attention --help)
//        build/bin/02_additive_attention --quick        (well under a minute on the synthetic task)
//        build/bin/01_seq2seq --quick && build/bin/02_additive_attention --quick --compare runs/01_seq2seq/metrics.json
//
// Shapes: B batch, S source length, T target length, E embedding, H hidden, A attention, Vs/Vt vocabularies.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "chapters/01_seq2seq/decoding.hpp"
#include "chapters/01_seq2seq/seq2seq_data.hpp"
#include "chapters/01_seq2seq/translation_eval.hpp"
#include "chapters/02_additive_attention/additive_attention.hpp"
#include "chapters/02_additive_attention/bahdanau_seq2seq.hpp"
#include "chapters/02_additive_attention/train_bahdanau.hpp"
#include "common/bleu.hpp"
#include "common/cli.hpp"
#include "common/error.hpp"
#include "common/heatmap.hpp"
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
    int E = 128, H = 256, A = 256;
    std::string compare;  // chapter 01's metrics.json, for the BLEU-by-length figure
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
    Cli cli("02_additive_attention",
            "Bahdanau additive attention (bidirectional GRU encoder) on fra-eng, or the synthetic translation task.");
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
    cli.flag("hidden", &s.H, "GRU hidden size H (each encoder direction and the decoder; the context is 2H)");
    cli.flag("attn", &s.A, "attention size A (rows of W and U, length of v)");
    cli.flag("compare", &s.compare,
             "chapter 01's metrics.json: draw its BLEU by length beside this chapter's (default: "
             "OUT/../01_seq2seq/metrics.json when it exists and is on the same dataset)");
    cli.flag("beam", &s.beam, "beam width for the beam-search evaluation");
    cli.flag("alpha", &s.alpha, "length normalisation: score = log p / length^alpha");
    cli.flag("clip", &s.clip, "clip the global gradient norm to this (0 = off)");
    cli.range("max-len", 1, 1000), cli.range("min-freq", 1, 1000000), cli.range("synth-pairs", 10, 10000000);
    cli.range("synth-max-len", 3, 200), cli.range("emb", 1, 4096), cli.range("hidden", 1, 4096), cli.range("attn", 1, 4096);
    cli.range("beam", 1, 100), cli.range("alpha", 0, 5), cli.range("max-pairs", 0, 1e9);
    cli.parse(argc, argv);
    // run sizes; a flag given on the command line always wins
    auto def = [&](const char* name, auto* dest, auto value) {
        if (!cli.was_set(name)) *dest = value;
    };
    if (s.f.quick) {
        def("max-len", &s.data.max_len, 6), def("max-pairs", &s.data.max_pairs, 15000L);
        def("synth-pairs", &s.data.synth_pairs, 10000), def("synth-max-len", &s.data.synth_max_len, 15);
        def("epochs", &s.f.epochs, 3), def("emb", &s.E, 64), def("hidden", &s.H, 128), def("attn", &s.A, 128);
        s.bleu_val = 100;
    } else if (s.full) {
        def("max-len", &s.data.max_len, 8), def("synth-pairs", &s.data.synth_pairs, 60000);
        def("synth-max-len", &s.data.synth_max_len, 45), def("epochs", &s.f.epochs, 7);
        def("emb", &s.E, 256), def("hidden", &s.H, 384), def("attn", &s.A, 384);
    }
    s.data.data = s.f.data, s.data.data_dir = s.f.data_dir, s.data.seed = (uint64_t)s.f.seed;
    if (s.f.out.empty()) s.f.out = "runs/02_additive_attention";
    if (!s.compare.empty() && !std::filesystem::is_regular_file(s.compare))  // fail now, not after training
        fail("--compare", "chapter 01's metrics.json, found no file '" + s.compare + "'",
             "run build/bin/01_seq2seq first (same --data, --seed)");
    apply_common_flags(s.f);
    return s;
}

// ---------------------------------------------------------------------------------------------
// Figures: alignment heatmaps, and BLEU by source length beside chapter 01.

// Four test sentences: three spread over the lengths, and the longest one.
static std::vector<EvalItem> heatmap_sentences(const std::vector<EvalItem>& items) {
    std::vector<EvalItem> sorted = items, out;
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const EvalItem& a, const EvalItem& b) { return a.src_len < b.src_len; });
    if (sorted.empty()) return out;
    for (double f : {0.25, 0.5, 0.75}) out.push_back(sorted[(size_t)(f * (sorted.size() - 1))]);
    out.push_back(sorted.back());
    return out;
}

// α of the greedy translation of each sentence: rows = output tokens (ending in <eos>), columns =
// source tokens (ending in <eos>), one panel per sentence.
static void save_alignments(const std::string& path, Bahdanau& m, const Seq2SeqData& d,
                            const std::vector<EvalItem>& test_items, float alpha) {
    std::vector<EvalItem> items = heatmap_sentences(test_items);
    std::vector<std::string> srcs;
    for (const auto& it : items) srcs.push_back(it.src);
    std::vector<std::vector<std::vector<float>>> att;
    std::vector<Hypothesis> hyps = bahdanau_translate(m, d.src_vocab, srcs, 1, alpha, &att);
    std::vector<Buf> mats(items.size());
    std::vector<HeatmapPanel> panels;
    std::printf("\nalignments (greedy, test):\n");
    for (size_t k = 0; k < items.size(); k++) {
        HeatmapPanel p;
        for (const auto& w : split_ws(items[k].src)) p.col_labels.push_back(w);
        p.col_labels.push_back("<eos>");
        for (int tok : hyps[k].tokens) p.row_labels.push_back(d.tgt_vocab.token(tok));
        p.rows = (int)att[k].size(), p.cols = (int)p.col_labels.size();
        for (const auto& row : att[k]) mats[k].insert(mats[k].end(), row.begin(), row.end());
        p.values = mats[k].data();
        p.title = "src " + std::to_string(items[k].src_len) + " tokens";
        panels.push_back(p);
        std::printf("  [%zu] %s\n   -> %s\n", k, items[k].src.c_str(), hypothesis_text(hyps[k], d.tgt_vocab).c_str());
    }
    HeatmapOptions o;
    o.title = "ch02 additive attention: alignments (rows: output, columns: source)";
    o.xlabel = "source", o.ylabel = "output";
    o.vmin = 0, o.vmax = 1;
    save_heatmap_grid(path, panels, 2, o);
}

// Chapter 01's per-bucket BLEU from its metrics.json ("bleu_by_length": [{"lo", "hi", "n",
// "bleu_greedy", "bleu_beam"}...]). A minimal reader for that one file's layout, not a JSON parser.
struct Ch01Bucket {
    double lo = 0, hi = 0, greedy = 0, beam = -1;
};
static std::vector<Ch01Bucket> read_ch01_buckets(const std::string& path, const std::string& dataset) {
    std::ifstream in(path);
    if (!in) fail(path, "a readable chapter 01 metrics.json", "run build/bin/01_seq2seq first (same --data, --seed)");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string t = ss.str();
    auto string_field = [&](const std::string& key) {
        size_t k = t.find("\"" + key + "\"");
        if (k == std::string::npos) return std::string();
        size_t q1 = t.find('"', t.find(':', k) + 1), q2 = t.find('"', q1 + 1);
        return t.substr(q1 + 1, q2 - q1 - 1);
    };
    if (string_field("chapter") != "01_seq2seq") fail(path, "a metrics.json written by 01_seq2seq");
    if (string_field("dataset") != dataset)
        fail(path, "chapter 01 results on the same dataset (" + dataset + "), found " + string_field("dataset"),
             "run 01_seq2seq with the same --data");
    size_t at = t.find("\"bleu_by_length\"");
    if (at == std::string::npos) fail(path, "a \"bleu_by_length\" list");
    size_t end = t.find(']', at);
    std::vector<Ch01Bucket> out;
    auto number = [&](size_t obj, size_t obj_end, const char* key, double dflt) {
        size_t k = t.find(std::string("\"") + key + "\"", obj);
        if (k == std::string::npos || k > obj_end) return dflt;
        return std::strtod(t.c_str() + t.find(':', k) + 1, nullptr);
    };
    for (size_t o = t.find('{', at); o != std::string::npos && o < end; o = t.find('{', o + 1)) {
        size_t oe = t.find('}', o);
        out.push_back({number(o, oe, "lo", 0), number(o, oe, "hi", 0), number(o, oe, "bleu_greedy", 0),
                       number(o, oe, "bleu_beam", -1)});
    }
    if (out.empty()) fail(path, "at least one BLEU-by-length bucket");
    return out;
}

// This chapter's greedy and beam curves, and chapter 01's (dashed) when given.
static void save_bleu_vs_ch01(const std::string& path, const std::vector<TranslationEval>& evs,
                              const std::vector<Ch01Bucket>& ch01) {
    std::vector<Series> series;
    for (const auto& e : evs) {
        Series sr;
        sr.name = std::string("ch02 ") + (e.beam <= 1 ? "greedy" : "beam=" + std::to_string(e.beam));
        for (const auto& b : e.buckets) sr.x.push_back(0.5 * (b.lo + b.hi)), sr.y.push_back(b.bleu);
        series.push_back(sr);
    }
    if (!ch01.empty()) {
        Series g, bm;
        g.name = "ch01 greedy", bm.name = "ch01 beam", g.dashed = bm.dashed = true;
        for (const auto& b : ch01) {
            g.x.push_back(0.5 * (b.lo + b.hi)), g.y.push_back(b.greedy);
            if (b.beam >= 0) bm.x.push_back(0.5 * (b.lo + b.hi)), bm.y.push_back(b.beam);
        }
        series.push_back(g);
        if (!bm.x.empty()) series.push_back(bm);
    }
    PlotOptions o;
    o.title = ch01.empty() ? "ch02 additive attention: test BLEU by source length"
                           : "test BLEU by length: ch02 vs ch01 (dashed)";
    o.xlabel = "source length (tokens)", o.ylabel = "BLEU";
    o.ymin = 0, o.markers = true;
    save_line_plot(path, series, o);
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
    std::unique_ptr<Bahdanau> owned;
    int epochs_done = 0;
    if (!s.f.load.empty()) {
        LoadedBahdanau lm = bahdanau_load(s.f.load);
        d.src_vocab = lm.src_vocab, d.tgt_vocab = lm.tgt_vocab;
        encode_pairs(d);  // the loaded vocabularies decide the ids (unknown words -> <unk>)
        owned = std::move(lm.model), epochs_done = lm.epochs;
        std::printf("loaded %s (%d epochs trained); evaluating it, no training\n", s.f.load.c_str(), epochs_done);
    } else {
        BahdanauConfig cfg;
        cfg.Vs = d.src_vocab.size(), cfg.Vt = d.tgt_vocab.size(), cfg.E = s.E, cfg.H = s.H, cfg.A = s.A;
        owned = std::make_unique<Bahdanau>();
        bahdanau_build(*owned, cfg, rng);
    }
    Bahdanau& m = *owned;
    std::printf("vocabulary (train, min_freq %d): source %d, target %d tokens (incl. 4 specials)\n\n",
                s.data.min_freq, d.src_vocab.size(), d.tgt_vocab.size());
    print_summary("Bahdanau attention seq2seq (E=" + std::to_string(m.cfg.E) + ", H=" + std::to_string(m.cfg.H) +
                      ", A=" + std::to_string(m.cfg.A) + ", bidirectional encoder)",
                  summary_from_params(m.params));

    BahdanauActs acts;
    bahdanau_reserve_for(acts, m, d, s.f.batch);
    if (s.bucket <= 0) {
        int longest = 1;
        for (const auto& p : d.pairs.pairs) longest = std::max(longest, count_tokens(p.src));
        s.bucket = std::max(2, (longest + 7) / 8);
    }
    auto translate = [&](const std::vector<std::string>& srcs, int beam) {
        return bahdanau_translate(m, d.src_vocab, srcs, beam, s.alpha);
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
            EpochStats st = bahdanau_train_epoch(m, acts, opt, d, s.f.batch, rng, s.clip, &bar);
            double vl = bahdanau_evaluate_loss(m, acts, d, d.split.val, s.f.batch);
            double vb = evaluate_translations(val_bleu_items, translate, d.tgt_vocab, 1, s.bucket).corpus.bleu;
            bar.finish(metrics_str({{"loss", st.loss}}) + " | " +
                       metrics_str({{"val_loss", vl}, {"val_bleu", vb}}, 2));
            ep_x.push_back(e), train_loss.push_back(st.loss), val_loss.push_back(vl), val_bleu.push_back(vb);
        }
        epochs_done = s.f.epochs;
        if (!s.f.save.empty()) {
            bahdanau_save(s.f.save, m, opt, d.src_vocab, d.tgt_vocab, epochs_done);
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
    std::vector<std::string> figures;
    std::string fig = s.f.out + "/02_additive_attention_bleu_by_length.png";
    std::vector<Ch01Bucket> ch01;
    if (!s.compare.empty()) {
        ch01 = read_ch01_buckets(s.compare, d.dataset);
    } else {  // chapter 01's run beside this one's (runs/01_seq2seq next to runs/02_...), when it matches
        std::filesystem::path sib = std::filesystem::path(s.f.out).parent_path() / "01_seq2seq" / "metrics.json";
        if (std::filesystem::exists(sib)) try {
                ch01 = read_ch01_buckets(sib.string(), d.dataset);
                s.compare = sib.string();
            } catch (const attn::Error& e) {
                std::printf("not comparing with %s: %s\n", sib.string().c_str(), e.what());
            }
    }
    save_bleu_vs_ch01(fig, evs, ch01);
    std::printf("figure: %s%s\n", fig.c_str(),
                ch01.empty() ? " (chapter 02 alone; --compare runs/01_seq2seq/metrics.json draws chapter 01 beside it)"
                             : " (beside chapter 01's curve)");
    figures.push_back(fig);
    std::string af = s.f.out + "/02_additive_attention_alignments.png";
    save_alignments(af, m, d, test_items, s.alpha);
    std::printf("figure: %s\n", af.c_str());
    figures.push_back(af);
    if (!ep_x.empty()) {
        std::string lf = s.f.out + "/02_additive_attention_loss.png";
        PlotOptions o;
        o.title = "ch02 additive attention: loss per target token", o.xlabel = "epoch", o.ylabel = "loss";
        save_line_plot(lf, {{.name = "train", .x = ep_x, .y = train_loss}, {.name = "val", .x = ep_x, .y = val_loss, .dashed = true}}, o);
        std::printf("figure: %s\n", lf.c_str());
        figures.push_back(lf);
    }

    // ---- metrics.json ----
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    metrics.set("chapter", "02_additive_attention");
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
    metrics.set("figures", figures);
    if (!ch01.empty()) metrics.set("compared_with", s.compare);
    metrics.save(s.f.out + "/metrics.json");
    std::printf("metrics: %s/metrics.json (test BLEU %.2f, %s)\n", s.f.out.c_str(), evs.back().corpus.bleu,
                fmt_seconds(seconds).c_str());
    return 0;
} catch (const attn::Error& e) {
    std::fprintf(stderr, "02_additive_attention: error: %s\n", e.what());
    return 1;
}
