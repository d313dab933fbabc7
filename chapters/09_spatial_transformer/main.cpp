// Chapter 09 — Spatial Transformer Networks: attention as "where to look, and how to look".
//
// What you learn here:
//   * a localisation network predicts a transform θ from the image itself (stn_model.hpp);
//   * the grid generator turns θ into a sampling grid (affine_grid.hpp, paper eq. 1);
//   * the bilinear sampler reads the image at those points and passes gradients back to θ
//     (bilinear_sampler.hpp, eqs. 6–7) — so the network learns where to look from the class label
//     alone, with no supervision of the transform;
//   * a localisation net whose last layer starts at the identity transform (zero weights, identity
//     bias) starts as a no-op and then learns to undo the distortions.
// Paper: Jaderberg, Simonyan, Zisserman, Kavukcuoglu, "Spatial Transformer Networks", NeurIPS 2015.
//
// Run:   build/bin/09_spatial_transformer --quick                 (under a minute)
//        build/bin/09_spatial_transformer                          (setting "seed": ±60°, shift ±0.3, scale 0.4–1)
//        build/bin/09_spatial_transformer --setting rts            (the paper's rotated, translated, scaled MNIST)
//        build/bin/09_spatial_transformer --transform attention    (θ = scale + translation only)
// By default the STN and the baseline (the same classifier without the transformer) are both
// trained, with the same data, epochs and schedule (--model stn|cnn|both).
//
// Shapes: B batch, Hi input side (28 or 42), Ho = 28 the sampler's output side, V = 10 classes.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "chapters/09_spatial_transformer/stn_model.hpp"
#include "chapters/09_spatial_transformer/train.hpp"
#include "common/core/error.hpp"
#include "common/core/thread_pool.hpp"
#include "common/data/synth_images.hpp"
#include "common/figures/image_grid.hpp"
#include "common/nn/schedule.hpp"
#include "common/run/classifier.hpp"
#include "common/run/classifier_metrics.hpp"
#include "common/run/cli.hpp"
#include "common/run/figure_names.hpp"
#include "common/run/image_splits.hpp"
#include "common/run/main_guard.hpp"
#include "common/run/summary.hpp"

using namespace attn;
using namespace ch09;

static const char* kChapter = "09_spatial_transformer";

// The test (and validation) images are distorted ONCE from these fixed seeds, whatever --seed is,
// so that every run is scored on the very same images.
static const uint64_t kTestDistortSeed = 2015, kValDistortSeed = 2016;

// ---------------------------------------------------------------------------------------------
// Options: the common flags and this chapter's own.

// The schedule and the localisation net's learning rate (a fraction of the classifier's).
struct TrainOptions {
    long warmup = 300;           // steps of linear warm-up before the cosine decay: a third of an
                                 // epoch (Adam's first steps at 4e-3 are too big)
    float loc_lr_scale = 0.3f;   // ρ: the localisation net learns with ρ·lr (the paper, too, trains
                                 // the localisation net more slowly)
};

struct Options {
    CommonFlags f;
    std::string setting = "seed", transform = "affine", which = "both";
    int val_count = 5000, max_train = 0, max_test = 0, cls_c1 = 16, cls_c2 = 48, cls_fc = 128;
    int stop_after = 0;  // stop after this epoch of --epochs (0: all), to --save and resume with --load
    bool full = false;
    TrainOptions train;
};

static Options parse_options(int argc, char** argv) {
    Options o;
    CommonFlags& f = o.f;
    f.epochs = 20, f.batch = 64, f.lr = 4e-3f, f.out = "runs/09_spatial_transformer";  // the default run
    f.data_choices = {"auto", "mnist", "fashion-mnist", "synthetic"};
    Cli cli(kChapter,
            "Chapter 09: a spatial transformer (localisation net + affine grid + bilinear sampler) in front of a CNN, "
            "on distorted MNIST, beside the same CNN without it.");
    add_common_flags(cli, f);
    cli.choice("setting", &o.setting, {"seed", "rts"},
               "distortion: seed (±60°, shift ±0.3, scale 0.4–1.0, 28x28) or rts (the paper's: ±45°, scale "
               "0.7–1.2, placed in 42x42)");
    cli.choice("transform", &o.transform, {"affine", "attention"}, "θ: full affine (6) or scale + translation (3)");
    cli.choice("model", &o.which, {"stn", "cnn", "both"}, "train the STN, the baseline CNN, or both (same budget)");
    cli.flag("full", &o.full, "the long run: 50 epochs (MNIST: with --data auto it stops if MNIST is missing)");
    cli.flag("stop-after", &o.stop_after, "stop after this epoch of the planned --epochs (0: run them all); with --save, resume later with --load");
    cli.range("stop-after", 0, 100000);
    cli.flag("val", &o.val_count, "training images held out for validation");
    cli.flag("max-train", &o.max_train, "use at most this many training images (0: all)");
    cli.flag("max-test", &o.max_test, "use at most this many test images (0: all)");
    cli.flag("cls-c1", &o.cls_c1, "classifier: channels of the first conv");
    cli.flag("cls-c2", &o.cls_c2, "classifier: channels of the second conv");
    cli.flag("cls-fc", &o.cls_fc, "classifier: hidden units of the first fully connected layer");
    cli.flag("warmup", &o.train.warmup, "steps of linear learning-rate warm-up before the cosine decay");
    cli.flag("loc-lr", &o.train.loc_lr_scale, "the localisation net's learning rate, as a fraction of --lr");
    cli.range("warmup", 0, 1e9);
    cli.range("loc-lr", 0, 1);
    cli.parse(argc, argv);
    if (f.quick) {  // well under a minute: a slice of the data, two epochs of small batches (750 steps:
                    // the loss sits near log 10 for the first few hundred steps on these distortions)
        if (!cli.was_set("epochs")) f.epochs = 2;
        if (!cli.was_set("batch")) f.batch = 32;
        if (!cli.was_set("max-train")) o.max_train = 12000;
        if (!cli.was_set("val")) o.val_count = 1000;
        if (!cli.was_set("max-test")) o.max_test = 2000;
    }
    if (o.full && !cli.was_set("epochs")) f.epochs = 50;
    if (f.quick && o.full) fail("command line", "at most one of --quick and --full", "pick one");
    if (o.which == "both" && !f.load.empty())
        fail("--load", "one model to resume", "with --model both the checkpoints are PATH (stn) and PATH.cnn");
    apply_common_flags(f);
    return o;
}

// ---------------------------------------------------------------------------------------------
// Data: MNIST when found (--data-dir / ATTN_DATA), else Fashion-MNIST (Debian's package), else
// procedural digits (common/run/image_splits.hpp). The clean training images are kept; the
// distortions are applied on top.

struct Data {
    std::string name;            // "mnist", "fashion-mnist" or "synthetic"
    ImageSet train_clean;        // re-distorted every epoch (a fresh draw of the distortions)
    ImageSet val, test;          // distorted once
    DistortOptions distort;
};

static Data load_data(const Options& o) {
    const CommonFlags& f = o.f;
    // --full reproduces the paper's MNIST result: there --data auto means MNIST or an error, no fallback.
    const std::string which = o.full ? data_for_mnist_run(f.data, f.data_dir, "--full") : f.data;
    ImageSplits s = load_image_splits(which, f.data_dir, o.val_count, (uint64_t)f.seed, o.max_train, o.max_test);
    Data d;
    d.name = s.name;
    d.train_clean = std::move(s.train);
    d.distort = o.setting == "rts" ? distort_rts() : distort_seed_example();
    d.val = make_distorted(s.val, d.distort, kValDistortSeed);
    d.test = make_distorted(s.test, d.distort, kTestDistortSeed);
    const DistortOptions& t = d.distort;
    std::printf("distortion '%s': rotation ±%.0f°, scale %.2f–%.2f, shift ±%.2f of the side, %dx%d "
                "(train: redrawn every epoch; val/test: drawn once, fixed seeds)\n",
                o.setting.c_str(), t.rot_deg, t.scale_min, t.scale_max, t.translate, t.out_size, t.out_size);
    return d;
}

// The training images of one epoch: the same clean images under a fresh draw of distortions
// (seeded by the run's seed and the epoch, so a resumed run sees the same images).
static ImageSet train_set_of_epoch(const Data& d, long seed, int epoch) {
    return make_distorted(d.train_clean, d.distort, (uint64_t)seed * 1000003u + (uint64_t)epoch);
}

// ---------------------------------------------------------------------------------------------
// Training one model (the STN or the baseline) for the run's budget; the step is train_epoch
// (train.hpp).

// r arrives named (ModelResult::name, key, label) and leaves with its curves and test result.
static void train_model(STN& m, const Data& d, const Options& o, ModelResult& r, const std::string& save,
                        const std::string& load) {
    const CommonFlags& f = o.f;
    Rng rng((uint64_t)f.seed + 7);  // the shuffles
    Adam opt = make_adam(m.params, f.lr);
    int first_epoch = 1;
    if (!load.empty()) {
        first_epoch = load_training_state(load, m, opt, rng) + 1;
        std::printf("loaded %s (after epoch %d)\n", load.c_str(), first_epoch - 1);
    }
    long steps_per_epoch = (d.train_clean.count + f.batch - 1) / f.batch;
    WarmupCosine sched{f.lr, 0.0f, o.train.warmup, steps_per_epoch * f.epochs};
    auto lr_at = [&](long step) { return sched.lr(step); };
    const int last = o.stop_after > 0 ? std::min(o.stop_after, f.epochs) : f.epochs;
    for (int epoch = first_epoch; epoch <= last; epoch++) {
        ImageSet train = train_set_of_epoch(d, f.seed, epoch);
        ProgressBar bar(epoch, f.epochs, train.count);
        EpochStats tr = train_epoch(m, opt, train, f.batch, rng, lr_at, &bar, o.train.loc_lr_scale);
        EpochStats va = evaluate(m, d.val, 500);
        r.add_epoch(tr, va, train.count);
        bar.finish(epoch_line(tr, va));
    }
    if (!save.empty()) {
        save_training_state(save, m, opt, rng, std::max(last, first_epoch - 1));
        std::printf("saved %s\n", save.c_str());
    }
    EpochStats te = evaluate(m, d.test, 500, &r.predictions);
    r.set_test(te, d.test.labels, m.cfg.V);
    r.print_test(r.name);
}

// ---------------------------------------------------------------------------------------------
// Figure: distorted test inputs, what the transformer made of them at the start (the identity: the
// input itself, resampled to Ho×Ho) and at the end of training, with the STN's prediction and θ.

// θ as two rows of three, one decimal, in columns ("-0.0" written as "0.0"); the attention transform
// as its scale and translation. Each line fits under a 28-pixel image drawn at scale 4 (18 characters).
static std::string theta_caption(const float* th, bool attention) {
    auto v = [&](int i) { return std::fabs(th[i]) < 0.05f ? 0.0f : th[i]; };
    char b[96];
    if (attention) std::snprintf(b, sizeof b, "s=%.2f\nt=(%.2f,%.2f)", v(0), v(2), v(5));
    else std::snprintf(b, sizeof b, "[%4.1f %4.1f %4.1f]\n[%4.1f %4.1f %4.1f]", v(0), v(1), v(2), v(3), v(4), v(5));
    return b;
}

struct Rectified {  // the transformer's output for the figure's test images, before and after training
    std::vector<int> idx;
    Buf xs_start, xs_end, theta_start, theta_end;
};

static std::string draw_figure(const FigureNames& fig, const std::string& variant, const ImageSet& test,
                               const Rectified& rf, const std::vector<int>& pred, const STNConfig& c) {
    std::vector<ImagePanel> panels;
    const size_t P = (size_t)c.H_out * c.H_out;
    for (size_t k = 0; k < rf.idx.size(); k++) {
        const int i = rf.idx[k];
        ImagePanel in;
        in.image = test.image(i), in.rows = test.rows, in.cols = test.cols;
        in.caption = "input: " + std::to_string(test.labels[i]);
        ImagePanel s0;
        s0.image = rf.xs_start.data() + k * P, s0.rows = s0.cols = c.H_out;
        s0.caption = "start\n(identity)";
        ImagePanel s1;
        s1.image = rf.xs_end.data() + k * P, s1.rows = s1.cols = c.H_out;
        s1.caption = "end: " + std::to_string(pred[i]) + "\n" + theta_caption(rf.theta_end.data() + k * 6, c.attention);
        s1.caption_color = pred[i] == test.labels[i] ? kBlack : kRed;
        panels.push_back(in), panels.push_back(s0), panels.push_back(s1);
    }
    const std::string path = fig.path("rectified", variant);
    save_image_panels(path, panels, 9, 4,
                      "Spatial transformer (" + std::string(c.attention ? "attention" : "affine") +
                          "): distorted input | start | end (prediction, theta)");
    return path;
}

// The STN: trained, with the transformer's output on the figure's images before and after.
static ModelResult train_stn(const STNConfig& cfg, const Data& d, const Options& o, Rectified& rf) {
    STNConfig c = cfg;
    c.stn = true;
    STN m;
    Rng init_rng((uint64_t)o.f.seed);
    stn_init(m, c, init_rng);
    print_summary("STN (" + o.transform + ")", summary_from_params(m.params));
    rectify(m, d.test, rf.idx, rf.xs_start, rf.theta_start);
    ModelResult r;
    r.name = "STN", r.key = "stn", r.label = "STN (" + o.transform + ")";
    train_model(m, d, o, r, o.f.save, o.f.load);
    rectify(m, d.test, rf.idx, rf.xs_end, rf.theta_end);
    return r;
}

// The baseline: the same classifier with the same initial weights, without the transformer.
static ModelResult train_cnn(const STNConfig& cfg, const Data& d, const Options& o) {
    STNConfig c = cfg;
    c.stn = false;
    STN m;
    Rng init_rng((uint64_t)o.f.seed);  // the same classifier weights as the STN's
    stn_init(m, c, init_rng);
    print_summary("CNN baseline (no transformer)", summary_from_params(m.params));
    const std::string& save = o.f.save;
    ModelResult r;
    r.name = "CNN", r.key = "baseline_cnn", r.label = "CNN (baseline)";
    train_model(m, d, o, r, save.empty() ? "" : (o.which == "both" ? save + ".cnn" : save),
                o.which == "cnn" ? o.f.load : "");
    return r;
}

// ---------------------------------------------------------------------------------------------
// metrics.json: the classifiers' schema (common/run/classifier_metrics.hpp), one object per model.

static void write_metrics(const Options& o, const Data& d, const std::vector<ModelResult>& results, double seconds,
                          const std::string& fig_path) {
    const CommonFlags& f = o.f;
    JsonObject j = classifier_metrics({kChapter, d.test.name, d.train_clean.source, d.train_clean.count, d.val.count,
                                       d.test.count, f.epochs, f.seed, seconds});
    j.set("setting", o.setting);
    j.set("transform", o.transform);
    j.set("batch", (long)f.batch);
    set_headline(j, results.front());  // the STN when it was trained, else the baseline
    for (const ModelResult& r : results) j.set(r.key, model_metrics(r, d.test.class_names));
    if (!fig_path.empty()) j.set("figure", fig_path), j.set("figures", std::vector<std::string>{fig_path});
    set_takeaway(j, results, d.name + " distorted ('" + o.setting + "')");
    save_metrics(j, f.out);
}

// ---------------------------------------------------------------------------------------------
// The run: options → data → the STN (and its figure) → the baseline → comparison → metrics.

static int run(int argc, char** argv) {
    Options o = parse_options(argc, argv);
    auto t_start = std::chrono::steady_clock::now();
    Data d = load_data(o);
    o.f.batch = fit_batch(o.f.batch, d.train_clean.count);
    STNConfig cfg;
    cfg.H_in = d.test.rows;
    cfg.H_out = 28;
    cfg.attention = o.transform == "attention";
    cfg.V = d.test.num_classes;
    cfg.cls_c1 = o.cls_c1, cfg.cls_c2 = o.cls_c2, cfg.cls_fc = o.cls_fc;

    std::vector<ModelResult> results;
    std::string fig_path;
    if (o.which != "cnn") {
        Rectified rf;
        rf.idx = in_order(std::min(18, d.test.count));
        results.push_back(train_stn(cfg, d, o, rf));
        std::filesystem::create_directories(o.f.out);
        const FigureNames fig{o.f.out, kChapter, d.name, run_tag(o.f.quick, o.full)};
        STNConfig c = cfg;
        c.stn = true;
        fig_path = draw_figure(fig, o.setting + (c.attention ? "-attention" : ""), d.test, rf,
                               results.back().predictions, c);
    }
    if (o.which != "stn") results.push_back(train_cnn(cfg, d, o));

    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    print_comparison(results, 22, seconds);
    std::filesystem::create_directories(o.f.out);
    if (!fig_path.empty()) std::printf("figure: %s\n", fig_path.c_str());
    write_metrics(o, d, results, seconds, fig_path);
    return 0;
}

int main(int argc, char** argv) {
    return guarded_main(kChapter, [&] { return run(argc, argv); });
}
