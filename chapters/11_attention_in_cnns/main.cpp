// Chapter 11 — Attention inside convolutional networks: squeeze-and-excitation and CBAM.
//
// What you learn here:
//   * a CNN can attend to its own features: SE re-weights the CHANNELS of a feature map from a
//     global summary of it (squeeze_excitation.hpp; Hu, Shen, Sun, CVPR 2018);
//   * CBAM does that with two summaries through one shared MLP, then re-weights the PIXELS from a
//     7×7 conv over the channels' mean and max (cbam.hpp; Woo, Park, Lee, Kweon, ECCV 2018);
//   * both are small modules dropped into an ordinary CNN (conv_block.hpp: conv → batch norm →
//     relu), and whether they pay is an empirical question: we train the plain CNN, the CNN + SE and
//     the CNN + CBAM with the same data, epochs, schedule and seed, and compare.
//
// Run:   build/bin/11_attention_in_cnns --quick             (under a minute)
//        build/bin/11_attention_in_cnns                     (Fashion-MNIST, the three models once)
//        build/bin/11_attention_in_cnns --seeds 3           (each model with 3 seeds: mean ± sd)
//        build/bin/11_attention_in_cnns --model cbam --save runs/cbam.ckpt, then --load it: test
//
// Shapes: B batch, H = 28 the image side, Cs the channels of stage s, V = 10 classes.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "chapters/11_attention_in_cnns/cnn_model.hpp"
#include "chapters/11_attention_in_cnns/figures.hpp"
#include "chapters/11_attention_in_cnns/train.hpp"
#include "common/core/error.hpp"
#include "common/core/thread_pool.hpp"
#include "common/data/data_find.hpp"
#include "common/nn/schedule.hpp"
#include "common/run/classifier.hpp"
#include "common/run/classifier_metrics.hpp"
#include "common/run/cli.hpp"
#include "common/run/figure_names.hpp"
#include "common/run/image_splits.hpp"
#include "common/run/main_guard.hpp"
#include "common/run/summary.hpp"

using namespace attn;
using namespace ch11;

static const char* kChapter = "11_attention_in_cnns";

// ---------------------------------------------------------------------------------------------
// Options: the common flags and this chapter's own.

struct Options {
    CommonFlags f;
    std::string which = "all", widths = "24,48,96", head = "flatten";
    int convs = 1, reduction = 8, seeds = 1;
    int val_count = 5000, max_train = 0, max_test = 0;
    int stop_after = 0;       // stop after this epoch (0: all), to --save and resume with --load
    long warmup = 200;        // steps of linear warm-up before the cosine decay
    float weight_decay = 0.05f, clip = 5.0f;  // AdamW's decay (5e-4 overfitted more: README, "Results")
    float smoothing = 0.0f;   // label smoothing ε of the training loss (the test loss stays the plain one)
    int shift = 0;            // augmentation: random shifts of up to this many pixels (±2 with flips
                              // underfitted in 6 epochs: the plain CNN reached 91.52 %, README)
    float erase = 0.0f;       // augmentation: random erasing's probability per image (0: none)
    std::string flip = "auto";// left–right mirroring: on for Fashion-MNIST (auto), off for digits
    bool full = false, no_figures = false;
};

static Options parse_options(int argc, char** argv) {
    Options o;
    CommonFlags& f = o.f;
    // the default run: 9 epochs, the three models in 9 minutes on 2 cores (README)
    f.epochs = 9, f.batch = 128, f.lr = 3e-3f, f.out = "runs/11_attention_in_cnns";
    f.data_choices = {"auto", "fashion-mnist", "mnist", "synthetic"};
    Cli cli(kChapter,
            "Chapter 11: a small CNN (conv-BN-relu stages), the same CNN with squeeze-and-excitation blocks and "
            "with CBAM, trained with the same budget on Fashion-MNIST (auto: Fashion-MNIST when found, else "
            "MNIST, else synthetic digits).");
    add_common_flags(cli, f);
    cli.choice("model", &o.which, {"plain", "se", "cbam", "all"}, "train one model, or all three (same budget)");
    cli.flag("seeds", &o.seeds, "train each model with this many seeds (--seed, --seed+1, ...): mean ± sd");
    cli.range("seeds", 1, 20);
    cli.flag("full", &o.full, "the long run: 20 epochs");
    cli.flag("stop-after", &o.stop_after, "stop after this epoch of the planned --epochs (0: run them all); with --save, resume later with --load");
    cli.range("stop-after", 0, 100000);
    cli.flag("widths", &o.widths, "channels of the three stages, e.g. 24,48,96");
    cli.flag("convs", &o.convs, "conv blocks per stage (1 or 2)");
    cli.choice("head", &o.head, {"flatten", "gap"}, "the classifier's input: the last map flattened, or its global average");
    cli.range("convs", 1, 2);
    cli.flag("reduction", &o.reduction, "SE / CBAM bottleneck: C / reduction hidden units");
    cli.range("reduction", 1, 1024);
    cli.flag("warmup", &o.warmup, "steps of linear learning-rate warm-up before the cosine decay");
    cli.range("warmup", 0, 1e9);
    cli.flag("wd", &o.weight_decay, "AdamW's decoupled weight decay");
    cli.range("wd", 0, 1);
    cli.flag("smoothing", &o.smoothing, "label smoothing of the training loss (0: none); the reported losses stay plain");
    cli.range("smoothing", 0, 0.9);
    cli.flag("clip", &o.clip, "clip the gradient norm to this (0: no clipping)");
    cli.range("clip", 0, 1e9);
    cli.flag("shift", &o.shift, "augmentation: random shifts of up to this many pixels (0: none)");
    cli.range("shift", 0, 8);
    cli.flag("erase", &o.erase, "augmentation: random erasing, the probability that an image gets a box of noise (0: none)");
    cli.range("erase", 0, 1);
    cli.choice("flip", &o.flip, {"auto", "on", "off"}, "augmentation: random left-right mirroring (auto: on for Fashion-MNIST only)");
    cli.flag("val", &o.val_count, "training images held out for validation");
    cli.flag("max-train", &o.max_train, "use at most this many training images (0: all)");
    cli.flag("max-test", &o.max_test, "use at most this many test images (0: all)");
    cli.flag("no-figures", &o.no_figures, "skip the figures");
    cli.parse(argc, argv);
    if (f.quick) {  // well under a minute: a slice of the data, narrower stages, two epochs
        if (!cli.was_set("epochs")) f.epochs = 2;
        if (!cli.was_set("max-train")) o.max_train = 6000;
        if (!cli.was_set("val")) o.val_count = 1000;
        if (!cli.was_set("max-test")) o.max_test = 2000;
        if (!cli.was_set("widths")) o.widths = "16,32,64";
        if (!cli.was_set("warmup")) o.warmup = 20;
    }
    if (o.full && !cli.was_set("epochs")) f.epochs = 20;
    if (f.quick && o.full) fail("command line", "at most one of --quick and --full", "pick one");
    if (o.which == "all" && !f.load.empty())
        fail("--load", "one model to resume or evaluate", "add --model plain, se or cbam");
    if (o.which == "all" && !f.save.empty())
        fail("--save", "one model to save", "add --model plain, se or cbam");
    if (o.seeds > 1 && (!f.save.empty() || !f.load.empty()))
        fail("--seeds", "one seed with --save / --load", "drop --seeds, or --save / --load");
    apply_common_flags(f);
    return o;
}

// "32,64,128" -> the three widths, or an error naming the flag.
static void parse_widths(const std::string& s, int (&w)[kStages]) {
    int n = 0;
    size_t pos = 0;
    while (pos <= s.size() && n < kStages + 1) {
        size_t end = s.find(',', pos);
        if (end == std::string::npos) end = s.size();
        const std::string part = s.substr(pos, end - pos);
        char* stop = nullptr;
        long v = std::strtol(part.c_str(), &stop, 10);
        if (part.empty() || *stop != '\0' || v < 1 || v > 1024)
            fail("--widths", "three positive channel counts separated by commas, got '" + s + "'", "e.g. --widths 24,48,96");
        if (n < kStages) w[n] = (int)v;
        n++;
        pos = end + 1;
    }
    if (n != kStages)
        fail("--widths", "three positive channel counts separated by commas, got '" + s + "'", "e.g. --widths 24,48,96");
}

// ---------------------------------------------------------------------------------------------
// Data: Fashion-MNIST when found (Debian's package, or --data-dir / ATTN_DATA), else MNIST, else the
// procedural digits (common/run/image_splits.hpp).

static ImageSplits load_data(const Options& o) {
    const CommonFlags& f = o.f;
    std::string which = f.data;
    if (which == "auto" && !find_dataset("fashion-mnist", f.data_dir).empty()) which = "fashion-mnist";
    return load_image_splits(which, f.data_dir, o.val_count, (uint64_t)f.seed, o.max_train, o.max_test);
}

static Augment augment_of(const Options& o, const std::string& data_name) {
    Augment a;
    a.shift = o.shift;
    a.flip = flip_wanted(o.flip, data_name);
    a.erase = o.erase;
    return a;
}

// --out and --save are checked before any training: a typo must not cost a finished run.
static void check_output_paths(const Options& o) {
    std::error_code ec;
    std::filesystem::create_directories(o.f.out, ec);
    if (ec || !std::filesystem::is_directory(o.f.out))
        fail("--out", "a directory we can create, got '" + o.f.out + "'", "is the parent writable?");
    // (--save was checked when the flags were read: apply_common_flags)
}

// ---------------------------------------------------------------------------------------------
// Training one model with one seed for the run's budget; the step is train_epoch (train.hpp).

struct Trained {
    CNN m;
    ModelResult r;
};

static void train_model(Trained& t, const ImageSplits& d, const Options& o, uint64_t seed) {
    const CommonFlags& f = o.f;
    CNN& m = t.m;
    ModelResult& r = t.r;
    Rng rng(seed + 7);  // the shuffles and the augmentation
    Adam opt = make_adamw(m.params, f.lr, o.weight_decay);
    int first_epoch = 1;
    if (!f.load.empty()) {
        first_epoch = load_training_state(f.load, m, opt, rng) + 1;
        std::printf("loaded %s (after epoch %d)\n", f.load.c_str(), first_epoch - 1);
    }
    const long steps_per_epoch = (d.train.count + f.batch - 1) / f.batch;
    WarmupCosine sched{f.lr, 0.0f, o.warmup, steps_per_epoch * f.epochs};
    auto lr_at = [&](long step) { return sched.lr(step); };
    const Augment aug = augment_of(o, d.name);
    const int last = o.stop_after > 0 ? std::min(o.stop_after, f.epochs) : f.epochs;
    for (int epoch = first_epoch; epoch <= last; epoch++) {
        ProgressBar bar(epoch, f.epochs, d.train.count);
        EpochStats tr = train_epoch(m, opt, d.train, f.batch, aug, o.clip, rng, lr_at, &bar);
        EpochStats va = evaluate(m, d.val, 100);
        r.add_epoch(tr, va, d.train.count);
        bar.finish(epoch_line(tr, va));
    }
    if (!f.save.empty()) {
        save_training_state(f.save, m, opt, rng, std::max(last, first_epoch - 1));
        std::printf("saved %s\n", f.save.c_str());
    }
    EpochStats te = evaluate(m, d.test, 100, &r.predictions);
    r.set_test(te, d.test.labels, m.cfg.V);
    r.print_test(r.label);
}

static const char* model_label(Attention a) {
    return a == Attention::SE ? "CNN + SE" : a == Attention::CBAM ? "CNN + CBAM" : "CNN (plain)";
}

// One model kind over the run's seeds: results[k] is seed --seed + k. The first seed's model draws
// the kind's figure (CBAM: spatial maps; SE: channel weights per class).
static std::vector<ModelResult> train_kind(Attention kind, const CNNConfig& base, const ImageSplits& d,
                                           const Options& o, const FigureNames& fig, std::vector<std::string>& figs) {
    std::vector<ModelResult> results;
    for (int k = 0; k < o.seeds; k++) {
        const uint64_t seed = (uint64_t)o.f.seed + (uint64_t)k;
        Trained t;
        CNNConfig c = base;
        c.attention = kind;
        Rng init_rng(seed);
        cnn_init(t.m, c, init_rng);
        if (k == 0) print_summary(model_label(kind), summary_from_params(t.m.params));
        if (o.seeds > 1) std::printf("%s, seed %llu (%d of %d)\n", model_label(kind), (unsigned long long)seed, k + 1, o.seeds);
        t.r.name = model_label(kind), t.r.key = attention_key(kind), t.r.label = model_label(kind);
        train_model(t, d, o, seed);
        if (k == 0 && !o.no_figures) {
            if (kind == Attention::CBAM) figs.push_back(draw_spatial_maps(fig, t.m, d.test, t.r.predictions));
            if (kind == Attention::SE) figs.push_back(draw_channel_weights(fig, t.m, d.test, "se"));
            if (kind == Attention::CBAM) figs.push_back(draw_channel_weights(fig, t.m, d.test, "cbam"));
        }
        results.push_back(std::move(t.r));
    }
    return results;
}

// ---------------------------------------------------------------------------------------------
// The comparison: each model's test accuracy (mean ± sd over the seeds), parameters and time.

struct KindResult {
    Attention kind = Attention::None;
    size_t params = 0;
    std::vector<ModelResult> runs;  // one per seed
    double mean() const {
        double s = 0;
        for (const ModelResult& r : runs) s += r.test.acc;
        return s / runs.size();
    }
    double sd() const {  // the sample standard deviation (n − 1); 0 for one seed
        if (runs.size() < 2) return 0;
        double m = mean(), s = 0;
        for (const ModelResult& r : runs) s += (r.test.acc - m) * (r.test.acc - m);
        return std::sqrt(s / (runs.size() - 1));
    }
    double seconds() const {  // mean training time per seed
        double s = 0;
        for (const ModelResult& r : runs) s += r.train_seconds;
        return s / runs.size();
    }
};

static void print_kinds(const std::vector<KindResult>& kinds, int seeds, double total_seconds) {
    std::printf("\n%-14s %9s  %s  %10s  %9s\n", "model", "params", seeds > 1 ? "test accuracy (mean ± sd)" : "test accuracy",
                "train (s)", "images/s");
    for (const KindResult& k : kinds) {
        char acc[64];
        if (seeds > 1) std::snprintf(acc, sizeof acc, "%.2f %% ± %.2f (%d seeds)", 100 * k.mean(), 100 * k.sd(), seeds);
        else std::snprintf(acc, sizeof acc, "%.2f %%", 100 * k.mean());
        double ips = 0;
        for (const ModelResult& r : k.runs) ips += r.images_per_second() / k.runs.size();
        std::printf("%-14s %9zu  %-*s  %10.1f  %9.0f\n", model_label(k.kind), k.params, seeds > 1 ? 25 : 13, acc,
                    k.seconds(), ips);
    }
    std::printf("whole run: %.1f s\n", total_seconds);
}

// The headline: the best attention model by mean test accuracy (the plain CNN when it ran alone).
static const KindResult& headline_of(const std::vector<KindResult>& kinds) {
    const KindResult* best = &kinds.front();
    for (const KindResult& k : kinds)
        if (k.kind != Attention::None && (best->kind == Attention::None || k.mean() > best->mean())) best = &k;
    return *best;
}

// "CNN + CBAM: 93.10 % vs CNN (plain) 92.80 % (+0.30 points; one seed) ..." printed and kept in j.
static void set_takeaway(JsonObject& j, const std::vector<KindResult>& kinds, int seeds, const std::string& data) {
    const KindResult& h = headline_of(kinds);
    std::string s = std::string(model_label(h.kind)) + ": test accuracy ";
    char b[160];
    std::snprintf(b, sizeof b, "%.2f %% on %s", 100 * h.mean(), data.c_str());
    s += b;
    for (const KindResult& k : kinds) {
        if (&k == &h) continue;
        std::snprintf(b, sizeof b, ", vs %.2f %% for %s (%+.2f points)", 100 * k.mean(), model_label(k.kind),
                      100 * (h.mean() - k.mean()));
        s += b;
    }
    if (seeds > 1) {
        std::snprintf(b, sizeof b, "; means over %d seeds, sd %.2f points for %s", seeds, 100 * h.sd(), model_label(h.kind));
        s += b;
    } else if (kinds.size() > 1) {
        s += "; one seed each: run --seeds 3 to see how much of that is seed noise";
    }
    j.set("takeaway", s);
    std::printf("what this run shows: %s\n", s.c_str());
}

// ---------------------------------------------------------------------------------------------
// metrics.json: the classifiers' schema (common/run/classifier_metrics.hpp), one object per model.

static void write_metrics(const Options& o, const CNNConfig& c, const ImageSplits& d, const std::vector<KindResult>& kinds,
                          double seconds, const std::vector<std::string>& figs) {
    const CommonFlags& f = o.f;
    JsonObject j = classifier_metrics({kChapter, d.test.name, d.train.source, d.train.count, d.val.count,
                                       d.test.count, f.epochs, f.seed, seconds});
    j.set("batch", (long)f.batch);
    j.set("widths", o.widths);
    j.set("convs", (long)c.convs);
    j.set("head", o.head);
    j.set("reduction", (long)c.reduction);
    j.set("smoothing", float_decimal(c.smoothing));
    j.set("erase", float_decimal(o.erase));
    j.set("seeds", (long)o.seeds);
    const KindResult& h = headline_of(kinds);
    set_headline(j, h.runs.front());
    for (const KindResult& k : kinds) {
        JsonObject mo = model_metrics(k.runs.front(), d.test.class_names);  // curves and report: the first seed
        mo.set("params", (long)k.params);
        mo.set("test_accuracy", k.mean());
        mo.set("train_seconds", k.seconds());
        if (o.seeds > 1) {  // accuracy and error: the mean over the seeds; the rest is the first seed's
            std::vector<double> accs;
            for (const ModelResult& r : k.runs) accs.push_back(r.test.acc);
            mo.set("test_error_percent", 100 * (1 - k.mean()));
            mo.set("test_accuracy_sd", k.sd());
            mo.set("test_accuracies", accs);
            mo.set("report_seed", (long)f.seed);
        }
        j.set(attention_key(k.kind), mo);
    }
    j.set("test_accuracy", h.mean());
    if (o.seeds > 1) {
        j.set("test_error_percent", 100 * (1 - h.mean()));
        j.set("test_accuracy_sd", h.sd());
        j.set("report_seed", (long)f.seed);  // the F1s (and each model's curves and report): this seed's
    }
    if (!figs.empty()) j.set("figure", figs.front()), j.set("figures", figs);
    set_takeaway(j, kinds, o.seeds, d.name);
    save_metrics(j, f.out);
}

// ---------------------------------------------------------------------------------------------
// The run: options → data → each model (plain, SE, CBAM) with the same budget → comparison → metrics.

static int run(int argc, char** argv) {
    Options o = parse_options(argc, argv);
    check_output_paths(o);
    CNNConfig cfg;
    parse_widths(o.widths, cfg.width);  // before the data: a typo is reported at once
    auto t_start = std::chrono::steady_clock::now();
    ImageSplits d = load_data(o);
    o.f.batch = fit_batch(o.f.batch, d.train.count);
    cfg.H = d.test.rows;
    cfg.convs = o.convs, cfg.reduction = o.reduction, cfg.V = d.test.num_classes, cfg.gap_head = o.head == "gap";
    cfg.smoothing = o.smoothing;
    const Augment aug = augment_of(o, d.name);
    char erase_s[48] = "";
    if (aug.erase > 0) std::snprintf(erase_s, sizeof erase_s, ", random erasing p %g", aug.erase);
    std::printf("budget for each model: %d epochs of %d images, batch %d, AdamW lr %g (warm-up %ld steps, cosine), "
                "weight decay %g, label smoothing %g; augmentation: shifts ±%d px%s%s; %d seed%s\n",
                o.f.epochs, d.train.count, o.f.batch, o.f.lr, o.warmup, o.weight_decay, o.smoothing, aug.shift,
                aug.flip ? ", left-right flips" : "", erase_s, o.seeds, o.seeds > 1 ? "s" : "");
    const FigureNames fig{o.f.out, kChapter, d.name, run_tag(o.f.quick, o.full)};
    std::vector<KindResult> kinds;
    std::vector<std::string> figs;
    for (Attention kind : {Attention::None, Attention::SE, Attention::CBAM}) {
        if (o.which != "all" && o.which != attention_key(kind)) continue;
        KindResult k;
        k.kind = kind;
        k.runs = train_kind(kind, cfg, d, o, fig, figs);
        CNN probe;  // its parameter count
        CNNConfig c = cfg;
        c.attention = kind;
        Rng r0(0);
        cnn_init(probe, c, r0);
        for (const auto& e : probe.params.entries()) k.params += e.size;
        kinds.push_back(std::move(k));
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    print_kinds(kinds, o.seeds, seconds);
    for (const std::string& p : figs) std::printf("figure: %s\n", p.c_str());
    write_metrics(o, cfg, d, kinds, seconds, figs);
    return 0;
}

int main(int argc, char** argv) {
    return guarded_main(kChapter, [&] { return run(argc, argv); });
}
