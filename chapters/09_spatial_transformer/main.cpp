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
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "chapters/09_spatial_transformer/stn_model.hpp"
#include "chapters/09_spatial_transformer/train.hpp"
#include "common/run/cli.hpp"
#include "common/core/error.hpp"
#include "common/data/image_data.hpp"
#include "common/figures/image_grid.hpp"
#include "common/run/metrics_json.hpp"
#include "common/nn/schedule.hpp"
#include "common/data/splits.hpp"
#include "common/run/summary.hpp"
#include "common/data/synth_images.hpp"
#include "common/core/thread_pool.hpp"

using namespace attn;
using namespace ch09;

// The test (and validation) images are distorted ONCE from these fixed seeds, whatever --seed is,
// so that every run is scored on the very same images.
static const uint64_t kTestDistortSeed = 2015, kValDistortSeed = 2016;

// ---------------------------------------------------------------------------------------------
// Data: MNIST when found (--data-dir / ATTN_DATA), else Fashion-MNIST (Debian's package), else
// procedural digits. The clean images are kept; the distortions are applied on top.

struct Data {
    ImageSet train_clean;        // re-distorted every epoch (a fresh draw of the distortions)
    ImageSet val, test;          // distorted once
    DistortOptions distort;
};

static Data load_data(const std::string& which, const std::string& data_dir, const std::string& setting,
                      int val_count, long seed, int max_train, int max_test) {
    Data d;
    ImageSet full_train, test_clean;
    ImageData all = load_image_data(which, data_dir, (uint64_t)seed);
    const std::string& name = all.name;
    full_train = std::move(all.train);
    test_clean = std::move(all.test);
    SplitIdx s = split_indices(full_train.count, (float)val_count / full_train.count, 0.0f, (uint64_t)seed);
    if (max_train > 0 && (int)s.train.size() > max_train) s.train.resize(max_train);
    d.train_clean = take_images(full_train, s.train);
    if (max_test > 0 && max_test < test_clean.count) {
        std::vector<int> first(max_test);
        for (int i = 0; i < max_test; i++) first[i] = i;
        test_clean = take_images(test_clean, first);
    }
    d.distort = setting == "rts" ? distort_rts() : distort_seed_example();
    d.val = make_distorted(take_images(full_train, s.val), d.distort, kValDistortSeed);
    d.test = make_distorted(test_clean, d.distort, kTestDistortSeed);
    const DistortOptions& o = d.distort;
    std::printf("data: %s from %s (train %s / val %s / test %s)\n", name.c_str(), full_train.source.c_str(),
                with_commas(d.train_clean.count).c_str(), with_commas(d.val.count).c_str(),
                with_commas(d.test.count).c_str());
    std::printf("distortion '%s': rotation ±%.0f°, scale %.2f–%.2f, shift ±%.2f of the side, %dx%d "
                "(train: redrawn every epoch; val/test: drawn once, fixed seeds)\n",
                setting.c_str(), o.rot_deg, o.scale_min, o.scale_max, o.translate, o.out_size, o.out_size);
    return d;
}

// The training images of one epoch: the same clean images under a fresh draw of distortions
// (seeded by the run's seed and the epoch, so a resumed run sees the same images).
static ImageSet train_set_of_epoch(const Data& d, long seed, int epoch) {
    return make_distorted(d.train_clean, d.distort, (uint64_t)seed * 1000003u + (uint64_t)epoch);
}

// ---------------------------------------------------------------------------------------------
// Training one model (the STN or the baseline) for the run's budget.

struct RunResult {
    std::string name;
    double test_acc = 0, test_loss = 0, train_seconds = 0, images_per_second = 0;
    std::vector<double> train_loss, val_acc;
    std::vector<int> pred;
};

// The schedule and the localisation net's learning rate (a fraction of the classifier's).
struct TrainOptions {
    long warmup = 0;             // steps of linear warm-up before the cosine decay
    float loc_lr_scale = 1.0f;   // ρ: the localisation net learns with ρ·lr
};

static RunResult train_model(STN& m, const Data& d, const CommonFlags& f, const TrainOptions& o,
                             const std::string& name, const std::string& save, const std::string& load) {
    Rng rng((uint64_t)f.seed + 7);  // the shuffles
    Adam opt = make_adam(m.params, f.lr);
    int first_epoch = 1;
    if (!load.empty()) {
        first_epoch = load_training_state(load, m, opt, rng) + 1;
        std::printf("loaded %s (after epoch %d)\n", load.c_str(), first_epoch - 1);
    }
    RunResult r;
    r.name = name;
    long steps_per_epoch = (d.train_clean.count + f.batch - 1) / f.batch;
    WarmupCosine sched{f.lr, 0.0f, o.warmup, steps_per_epoch * f.epochs};
    auto lr_at = [&](long step) { return sched.lr(step); };
    long images = 0;
    for (int epoch = first_epoch; epoch <= f.epochs; epoch++) {
        ImageSet train = train_set_of_epoch(d, f.seed, epoch);
        ProgressBar bar(epoch, f.epochs, train.count);
        EpochStats tr = train_epoch(m, opt, train, f.batch, rng, lr_at, &bar, o.loc_lr_scale);
        EpochStats va = evaluate(m, d.val, 500);
        r.train_seconds += tr.seconds, images += train.count;
        r.train_loss.push_back(tr.loss), r.val_acc.push_back(va.acc);
        bar.finish("loss=" + fmt3(tr.loss) + ", acc=" + fmt3(tr.acc) + " | val_loss=" + fmt3(va.loss) +
                   ", val_acc=" + fmt3(va.acc));
    }
    if (!save.empty()) {
        save_training_state(save, m, opt, rng, f.epochs);
        std::printf("saved %s\n", save.c_str());
    }
    EpochStats te = evaluate(m, d.test, 500, &r.pred);
    r.test_acc = te.acc, r.test_loss = te.loss;
    r.images_per_second = r.train_seconds > 0 ? images / r.train_seconds : 0;
    std::printf("%s test: loss %.4f, accuracy %.4f, error %.2f%% (%d of %d wrong) — training %.1fs, %.0f images/s\n",
                name.c_str(), te.loss, te.acc, 100 * (1 - te.acc), (int)std::lround((1 - te.acc) * d.test.count),
                d.test.count, r.train_seconds, r.images_per_second);
    return r;
}

// ---------------------------------------------------------------------------------------------
// Figure: distorted test inputs, what the transformer made of them at the start (the identity: the
// input itself, resampled to Ho×Ho) and at the end of training, with the STN's prediction.

static std::string theta_caption(const float* th, bool attention) {
    char b[96];
    if (attention) std::snprintf(b, sizeof b, "s=%.2f t=(%.2f,%.2f)", th[0], th[2], th[5]);
    else std::snprintf(b, sizeof b, "[%.1f %.1f %.1f;\n %.1f %.1f %.1f]", th[0], th[1], th[2], th[3], th[4], th[5]);
    return b;
}

static std::string draw_figure(const std::string& out, const std::string& setting, const ImageSet& test,
                               const std::vector<int>& idx, const Buf& xs_start, const Buf& xs_end,
                               const Buf& theta_end, const std::vector<int>& pred, const STNConfig& c) {
    std::vector<ImagePanel> panels;
    const size_t P = (size_t)c.H_out * c.H_out;
    for (size_t k = 0; k < idx.size(); k++) {
        int i = idx[k];
        ImagePanel in;
        in.image = test.image(i), in.rows = test.rows, in.cols = test.cols;
        in.caption = "input: " + std::to_string(test.labels[i]);
        ImagePanel s0;
        s0.image = xs_start.data() + k * P, s0.rows = s0.cols = c.H_out;
        s0.caption = "start\n(identity)";
        ImagePanel s1;
        s1.image = xs_end.data() + k * P, s1.rows = s1.cols = c.H_out;
        s1.caption = "end: " + std::to_string(pred[i]) + "\n" + theta_caption(theta_end.data() + k * 6, c.attention);
        s1.caption_color = pred[i] == test.labels[i] ? kBlack : kRed;
        panels.push_back(in), panels.push_back(s0), panels.push_back(s1);
    }
    std::string path = out + "/09_rectified_" + setting + ".png";
    save_image_panels(path, panels, 9, 3,
                      "Spatial transformer (" + std::string(c.attention ? "attention" : "affine") +
                          "): distorted input | start | end");
    return path;
}

// ---------------------------------------------------------------------------------------------

static int run(int argc, char** argv) {
    CommonFlags f;
    f.epochs = 20;
    f.batch = 64;
    f.lr = 4e-3f;
    f.out = "runs/09_spatial_transformer";
    f.data_choices = {"auto", "mnist", "fashion-mnist", "synthetic"};
    std::string setting = "seed", transform = "affine", which = "both";
    int val_count = 5000, max_train = 0, max_test = 0, cls_c1 = 16, cls_c2 = 48, cls_fc = 128;
    bool full = false;
    TrainOptions topt;
    topt.warmup = 300;         // a third of an epoch: Adam's first steps at 4e-3 are too big
    topt.loc_lr_scale = 0.3f;  // the paper, too, trains the localisation net more slowly
    Cli cli("09_spatial_transformer",
            "Chapter 09: a spatial transformer (localisation net + affine grid + bilinear sampler) in front of a CNN, "
            "on distorted MNIST, beside the same CNN without it.");
    add_common_flags(cli, f);
    cli.choice("setting", &setting, {"seed", "rts"},
               "distortion: seed (±60°, shift ±0.3, scale 0.4–1.0, 28x28) or rts (the paper's: ±45°, scale "
               "0.7–1.2, placed in 42x42)");
    cli.choice("transform", &transform, {"affine", "attention"}, "θ: full affine (6) or scale + translation (3)");
    cli.choice("model", &which, {"stn", "cnn", "both"}, "train the STN, the baseline CNN, or both (same budget)");
    cli.flag("full", &full, "the long run: 50 epochs");
    cli.flag("val", &val_count, "training images held out for validation");
    cli.flag("max-train", &max_train, "use at most this many training images (0: all)");
    cli.flag("max-test", &max_test, "use at most this many test images (0: all)");
    cli.flag("cls-c1", &cls_c1, "classifier: channels of the first conv");
    cli.flag("cls-c2", &cls_c2, "classifier: channels of the second conv");
    cli.flag("cls-fc", &cls_fc, "classifier: hidden units of the first fully connected layer");
    cli.flag("warmup", &topt.warmup, "steps of linear learning-rate warm-up before the cosine decay");
    cli.flag("loc-lr", &topt.loc_lr_scale, "the localisation net's learning rate, as a fraction of --lr");
    cli.range("warmup", 0, 1e9);
    cli.range("loc-lr", 0, 1);
    cli.parse(argc, argv);
    if (f.quick) {  // well under a minute: a slice of the data, two epochs of small batches (750 steps:
                    // the loss sits near log 10 for the first few hundred steps on these distortions)
        if (!cli.was_set("epochs")) f.epochs = 2;
        if (!cli.was_set("batch")) f.batch = 32;
        if (!cli.was_set("max-train")) max_train = 12000;
        if (!cli.was_set("val")) val_count = 1000;
        if (!cli.was_set("max-test")) max_test = 2000;
    }
    if (full && !cli.was_set("epochs")) f.epochs = 50;
    if (f.quick && full) fail("command line", "at most one of --quick and --full", "pick one");
    if (which == "both" && !f.load.empty())
        fail("--load", "one model to resume", "with --model both the checkpoints are PATH (stn) and PATH.cnn");
    apply_common_flags(f);
    auto t_start = std::chrono::steady_clock::now();

    Data d = load_data(f.data, f.data_dir, setting, val_count, f.seed, max_train, max_test);
    STNConfig cfg;
    cfg.H_in = d.test.rows;
    cfg.H_out = 28;
    cfg.attention = transform == "attention";
    cfg.V = d.test.num_classes;
    cfg.cls_c1 = cls_c1, cfg.cls_c2 = cls_c2, cfg.cls_fc = cls_fc;
    std::vector<int> fig_idx;
    for (int i = 0; i < std::min(18, d.test.count); i++) fig_idx.push_back(i);

    std::vector<RunResult> results;
    std::string fig_path;
    if (which != "cnn") {
        STNConfig c = cfg;
        c.stn = true;
        STN m;
        Rng init_rng((uint64_t)f.seed);
        stn_init(m, c, init_rng);
        print_summary("STN (" + transform + ")", summary_from_params(m.params));
        Buf xs_start, xs_end, th_start, th_end;
        rectify(m, d.test, fig_idx, xs_start, th_start);
        results.push_back(train_model(m, d, f, topt, "STN", f.save, f.load));
        rectify(m, d.test, fig_idx, xs_end, th_end);
        std::filesystem::create_directories(f.out);
        fig_path = draw_figure(f.out, setting, d.test, fig_idx, xs_start, xs_end, th_end, results.back().pred, c);
    }
    if (which != "stn") {
        STNConfig c = cfg;
        c.stn = false;
        STN m;
        Rng init_rng((uint64_t)f.seed);  // the same classifier weights as the STN's
        stn_init(m, c, init_rng);
        print_summary("CNN baseline (no transformer)", summary_from_params(m.params));
        std::string save = f.save.empty() ? "" : (which == "both" ? f.save + ".cnn" : f.save);
        results.push_back(train_model(m, d, f, topt, "CNN", save, which == "cnn" ? f.load : ""));
    }

    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    std::printf("\n%-22s %9s %8s %10s %9s\n", "model", "accuracy", "error", "train (s)", "images/s");
    for (const RunResult& r : results)
        std::printf("%-22s %9.4f %7.2f%% %10.1f %9.0f\n", (r.name == "STN" ? "STN (" + transform + ")" : "CNN (baseline)").c_str(),
                    r.test_acc, 100 * (1 - r.test_acc), r.train_seconds, r.images_per_second);
    std::printf("total %.1fs on %d threads\n", seconds, num_threads());

    std::filesystem::create_directories(f.out);
    if (!fig_path.empty()) std::printf("figure: %s\n", fig_path.c_str());
    JsonObject j;
    j.set("chapter", std::string("09_spatial_transformer"));
    j.set("dataset", d.test.name);
    j.set("source", d.train_clean.source);
    j.set("setting", setting);
    j.set("transform", transform);
    j.set("train", (long)d.train_clean.count);
    j.set("val", (long)d.val.count);
    j.set("test", (long)d.test.count);
    j.set("epochs", (long)f.epochs);
    j.set("batch", (long)f.batch);
    j.set("threads", (long)num_threads());
    j.set("seed", f.seed);
    j.set("seconds", seconds);
    const RunResult& main_r = results.front();  // the STN when it was trained, else the baseline
    j.set("model", main_r.name);
    j.set("test_accuracy", main_r.test_acc);
    j.set("test_error_percent", 100 * (1 - main_r.test_acc));
    j.set("metric", std::string("test_accuracy"));
    for (const RunResult& r : results) {
        JsonObject o;
        o.set("test_accuracy", r.test_acc);
        o.set("test_loss", r.test_loss);
        o.set("train_seconds", r.train_seconds);
        o.set("images_per_second", r.images_per_second);
        o.set("train_loss", r.train_loss);
        o.set("val_accuracy", r.val_acc);
        j.set(r.name == "STN" ? "stn" : "baseline_cnn", o);
    }
    if (!fig_path.empty()) j.set("figure", fig_path);
    j.save(f.out + "/metrics.json");
    std::printf("metrics: %s/metrics.json\n", f.out.c_str());
    return 0;
}

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const Error& e) {
        std::fprintf(stderr, "09_spatial_transformer: error: %s\n", e.what());
        return 1;
    }
}
