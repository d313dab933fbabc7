// Chapter 00 — Foundations: tensors, manual backprop, gradient checking, a threaded matmul, an MLP.
//
// What you learn here, before any attention:
//   * a layer is a pair of plain functions, *_forward and *_backward, over flat float buffers;
//   * backprop is the chain rule applied by hand, arrow by arrow, in reverse (mlp.hpp);
//   * a backward pass is trusted only after a finite-difference gradient check (printed below);
//   * the matmul that does nearly all the work is split across threads by output rows, so the
//     result is bit-identical on 1 or 16 threads (common/core/matmul.cpp).
// Then we train the two-layer perceptron on MNIST (or Fashion-MNIST) and look at its mistakes.
//
// Run:   make run CHAPTER=00_foundations            (or build/bin/00_foundations --help)
//        build/bin/00_foundations --quick           (a run of a few seconds)
//
// Shapes: B batch, D = 784 pixels, H hidden units, V = 10 classes.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include "chapters/00_foundations/mlp.hpp"
#include "chapters/00_foundations/train.hpp"
#include "common/core/error.hpp"
#include "common/core/thread_pool.hpp"
#include "common/figures/image_grid.hpp"
#include "common/figures/plot.hpp"
#include "common/nn/gradcheck.hpp"
#include "common/nn/schedule.hpp"
#include "common/run/classifier.hpp"
#include "common/run/classifier_metrics.hpp"
#include "common/run/cli.hpp"
#include "common/run/figure_names.hpp"
#include "common/run/image_splits.hpp"
#include "common/run/main_guard.hpp"
#include "common/run/summary.hpp"

using namespace attn;
using namespace ch00;

static const char* kChapter = "00_foundations";

// ---------------------------------------------------------------------------------------------
// Options: the common flags and this chapter's own.

struct Options {
    CommonFlags f;
    MLPConfig cfg;
    int val_count = 5000, max_train = 0, stop_after = 0;
    int last_epoch() const { return stop_after > 0 ? std::min(stop_after, f.epochs) : f.epochs; }
};

static Options parse_options(int argc, char** argv) {
    Options o;
    CommonFlags& f = o.f;
    f.epochs = 12, f.batch = 128, f.lr = 1e-3f, f.out = "runs/00_foundations";  // the default run
    f.data_choices = {"auto", "mnist", "fashion-mnist", "synthetic"};
    Cli cli(kChapter, "Chapter 00: a two-layer MLP with hand-written backprop on MNIST / Fashion-MNIST.");
    add_common_flags(cli, f);
    cli.flag("hidden", &o.cfg.H, "hidden units");
    cli.flag("dropout", &o.cfg.dropout, "dropout probability on the hidden layer");
    cli.flag("val", &o.val_count, "training images held out for validation");
    cli.flag("max-train", &o.max_train, "use at most this many training images (0: all)");
    cli.flag("stop-after", &o.stop_after, "stop after this epoch of the planned --epochs (0: run them all); with --save, resume later with --load");
    cli.range("hidden", 1, 1000000), cli.range("dropout", 0, 0.99);
    cli.range("val", 0, 59000), cli.range("max-train", 0, 100000000), cli.range("stop-after", 0, 100000);
    cli.parse(argc, argv);
    if (f.quick) {  // a run of a few seconds: a slice of the data, two epochs
        if (!cli.was_set("epochs")) f.epochs = 2;
        if (!cli.was_set("max-train")) o.max_train = 10000;
        if (!cli.was_set("val")) o.val_count = 2000;
    }
    apply_common_flags(f);
    return o;
}

// ---------------------------------------------------------------------------------------------
// Gradient check of every parameter tensor on a small batch (no dropout: the loss must be a
// deterministic function of the weights). A perturbation that flips the sign of a hidden
// pre-activation crosses the ReLU kink; we report NaN for it and the checker skips it.

static bool print_gradient_check(MLP& m, const ImageSet& data) {
    const int B = 4, D = data.rows * data.cols;
    Buf x((size_t)B * D);
    std::vector<int> y(B), idx = {0, 1, 2, 3};
    gather_batch(x.data(), y.data(), data, idx, 0, B);
    MLPActs a;
    a.resize(B, m.cfg);
    Rng unused(0);
    mlp_forward(m, a, x.data(), y.data(), B, unused, false);
    std::vector<uint8_t> active(a.h1.size());
    for (size_t i = 0; i < a.h1.size(); i++) active[i] = a.h1[i] > 0;
    m.params.zero_grad();
    mlp_backward(m, a, x.data(), y.data(), B);
    Buf analytic = m.params.grad;  // copy: the loss function below must not disturb it

    auto loss = [&]() -> double {
        double L = mlp_forward(m, a, x.data(), y.data(), B, unused, false);
        for (size_t i = 0; i < a.h1.size(); i++)
            if ((a.h1[i] > 0) != (bool)active[i]) return NAN;  // crossed a ReLU kink: skip
        return L;
    };
    std::printf("gradient check (central differences, eps=1e-2, %d samples):\n", B);
    bool ok = true;
    for (const auto& e : m.params.entries()) {
        GradCheckOptions opt;
        opt.max_checks = 24;
        GradCheckResult r = gradcheck(loss, m.params.data(e), analytic.data() + e.offset, e.size, opt);
        bool pass = r.failed == 0 && r.max_abs_grad > 0;
        ok = ok && pass;
        std::printf("  %-12s %-12s %2zu checked, %zu skipped at a kink  rel err %.1e  max |num-ana| %.1e  %s\n",
                    e.name.c_str(), shape_str(e.shape).c_str(), r.checked, r.skipped, r.rel_error(), r.max_abs_err,
                    pass ? "ok" : "FAIL");
    }
    return ok;
}

// ---------------------------------------------------------------------------------------------
// How fast is our matmul on this machine? One layer-sized product, 1 thread vs all of them.

static double matmul_gflops(int M, int K, int N, int threads) {
    set_threads(threads);
    Buf A((size_t)M * K, 0.5f), Bw((size_t)N * K, 0.25f), C((size_t)M * N);
    matmul_nt(C.data(), A.data(), Bw.data(), M, K, N);  // warm up
    double best = 1e30;
    for (int rep = 0; rep < 5; rep++) {
        auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < 4; i++) matmul_nt(C.data(), A.data(), Bw.data(), M, K, N);
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / 4);
    }
    return 2.0 * M * K * N / best * 1e-9;
}

struct MatmulSpeed {
    double one = 0, all = 0;  // GFLOP/s on 1 thread, on all of them
};

static MatmulSpeed measure_matmul(int batch, const MLPConfig& cfg) {
    const int nt = num_threads();
    MatmulSpeed s;
    s.one = matmul_gflops(batch, cfg.D, cfg.H, 1), s.all = matmul_gflops(batch, cfg.D, cfg.H, nt);
    set_threads(nt);
    std::printf("matmul %dx%dx%d (fc1 forward): %.1f GFLOP/s on 1 thread, %.1f on %d\n", batch, cfg.D, cfg.H, s.one,
                s.all, nt);
    return s;
}

// The model summary: parameter counts per layer.
static void print_model(const MLP& m) {
    const MLPConfig& c = m.cfg;
    char p[32];
    std::snprintf(p, sizeof p, "%.3f", c.dropout);
    print_summary("MLP", {{"Linear(" + std::to_string(c.D) + ", " + std::to_string(c.H) + ")", (long)(m.W1.size + m.b1.size)},
                          {"ReLU, Dropout(" + std::string(p).substr(0, 3) + ")", 0},
                          {"Linear(" + std::to_string(c.H) + ", " + std::to_string(c.V) + ")", (long)(m.W2.size + m.b2.size)}});
}

// ---------------------------------------------------------------------------------------------
// Training: the epochs of the run (the step itself is train_epoch, train.hpp), then --save.

static ModelResult train(MLP& m, Adam& opt, Rng& rng, const ImageSplits& d, const Options& o, int first_epoch) {
    const CommonFlags& f = o.f;
    ModelResult r;
    r.name = "MLP", r.key = "mlp";
    // Cosine decay of the learning rate over all the optimiser steps of the run.
    long steps_per_epoch = (d.train.count + f.batch - 1) / f.batch;
    Cosine sched{f.lr, 0.0f, steps_per_epoch * f.epochs};
    auto lr_at = [&](long step) { return sched.lr(step); };
    for (int epoch = first_epoch; epoch <= o.last_epoch(); epoch++) {
        ProgressBar bar(epoch, f.epochs, d.train.count);
        EpochStats tr = train_epoch(m, opt, d.train, f.batch, rng, lr_at, &bar);
        EpochStats va = evaluate(m, d.val, 500);
        r.add_epoch(tr, va, d.train.count);
        bar.finish(epoch_line(tr, va));
    }
    if (!f.save.empty()) {
        save_training_state(f.save, m, opt, rng, std::max(o.last_epoch(), first_epoch - 1));
        std::printf("saved %s\n", f.save.c_str());
    }
    return r;
}

// ---------------------------------------------------------------------------------------------
// Figures: the loss curves, and the test images the model got wrong.

static std::vector<std::string> draw_figures(const FigureNames& fig, int first_epoch, const ModelResult& r,
                                             const ImageSet& test) {
    std::vector<double> ep(r.train_loss.size());
    std::iota(ep.begin(), ep.end(), (double)first_epoch);
    Series tr{"train loss", ep, r.train_loss};
    Series va{"val loss", ep, r.val_loss};
    PlotOptions po;
    po.title = "Two-layer MLP on " + test.name + ": cross-entropy per epoch";
    po.xlabel = "epoch";
    po.ylabel = "loss";
    const std::string loss_path = fig.path("loss"), wrong_path = fig.path("misclassified");
    save_line_plot(loss_path, {tr, va}, po);

    std::vector<const float*> imgs;
    std::vector<std::string> caps;
    for (int i = 0; i < test.count && imgs.size() < 40; i++)
        if (r.predictions[i] != test.labels[i]) {
            imgs.push_back(test.image(i));
            caps.push_back(std::to_string(test.labels[i]) + " as " + std::to_string(r.predictions[i]));
        }
    const long wrong = r.report.count - r.report.correct;
    const std::string title = "Two-layer MLP on " + test.name + ": " + std::to_string(imgs.size()) + " of its " +
                              std::to_string(wrong) + " test errors (label as prediction)";
    if (!imgs.empty()) save_image_grid(wrong_path, imgs, test.rows, test.cols, 10, caps, 3, {}, title);
    std::printf("figures: %s, %s\n", loss_path.c_str(), wrong_path.c_str());
    return {loss_path, wrong_path};
}

// ---------------------------------------------------------------------------------------------
// metrics.json: the classifiers' schema (common/run/classifier_metrics.hpp); one model, so its
// numbers are at the top level.

static void write_metrics(const Options& o, const ImageSplits& d, const MLP& m, const ModelResult& r,
                          const MatmulSpeed& speed, double seconds, const std::vector<std::string>& figures) {
    const CommonFlags& f = o.f;
    JsonObject j = classifier_metrics({kChapter, d.train.name, d.train.source, d.train.count, d.val.count,
                                       d.test.count, o.last_epoch(), f.seed, seconds});
    j.set("hidden", (long)m.cfg.H);
    j.set("params", (long)m.params.count());
    set_model_metrics(j, r);
    set_headline(j, r);
    j.set("matmul_gflops_1thread", speed.one);
    j.set("matmul_gflops_all", speed.all);
    j.set("figures", figures);
    set_takeaway(j, {r}, d.train.name + " (" + std::to_string(o.last_epoch()) + " epochs on " +
                             with_commas(d.train.count) + " images)");
    save_metrics(j, f.out);
}

// ---------------------------------------------------------------------------------------------
// The run: options → data → model (and its checks) → training → test → figures → metrics.

static int run(int argc, char** argv) {
    Options o = parse_options(argc, argv);
    const CommonFlags& f = o.f;
    auto t_start = std::chrono::steady_clock::now();
    Rng rng((uint64_t)f.seed);
    ImageSplits d = load_image_splits(f.data, f.data_dir, o.val_count, (uint64_t)f.seed, o.max_train);
    o.f.batch = fit_batch(f.batch, d.train.count);

    MLPConfig cfg = o.cfg;
    cfg.D = d.train.rows * d.train.cols;
    cfg.V = d.train.num_classes;
    MLP m;
    mlp_init(m, cfg, rng);
    Adam opt = make_adam(m.params, f.lr);
    int first_epoch = 1;
    if (!f.load.empty()) {  // resume: weights, optimiser moments, the rng stream, the epoch
        first_epoch = load_training_state(f.load, m, opt, rng) + 1;
        std::printf("loaded %s (after epoch %d)\n", f.load.c_str(), first_epoch - 1);
    }
    print_model(m);
    if (!print_gradient_check(m, d.val)) fail("gradient check", "every layer within tolerance");
    const MatmulSpeed speed = measure_matmul(std::min(f.batch, 512), cfg);  // never sized by a huge --batch

    ModelResult r = train(m, opt, rng, d, o, first_epoch);
    EpochStats te = evaluate(m, d.test, 500, &r.predictions);
    r.set_test(te, d.test.labels, cfg.V);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    std::printf("test: loss %.4f, accuracy %.4f (%d of %d wrong) — training %.1fs, total %.1fs on %s\n",
                te.loss, te.acc, (int)std::lround((1 - te.acc) * d.test.count), d.test.count, r.train_seconds,
                seconds, threads_text().c_str());

    std::filesystem::create_directories(f.out);
    std::vector<std::string> figures;
    if (!r.train_loss.empty())
        figures = draw_figures({f.out, kChapter, d.name, run_tag(f.quick, false)}, first_epoch, r, d.test);
    write_metrics(o, d, m, r, speed, seconds, figures);
    return 0;
}

int main(int argc, char** argv) {
    return guarded_main(kChapter, [&] { return run(argc, argv); });
}
