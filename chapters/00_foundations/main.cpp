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
#include "common/run/cli.hpp"
#include "common/core/error.hpp"
#include "common/nn/gradcheck.hpp"
#include "common/data/image_data.hpp"
#include "common/figures/image_grid.hpp"
#include "common/run/metrics_json.hpp"
#include "common/figures/plot.hpp"
#include "common/nn/schedule.hpp"
#include "common/data/splits.hpp"
#include "common/run/summary.hpp"
#include "common/core/thread_pool.hpp"

using namespace attn;
using namespace ch00;

// ---------------------------------------------------------------------------------------------
// Data: MNIST when found (--data-dir / ATTN_DATA), else Fashion-MNIST (Debian's package), else
// the procedural digits, so that a fresh clone always runs.

struct Data {
    ImageSet train, val, test;
};

static Data load_data(const std::string& which, const std::string& data_dir, int val_count, long seed,
                      int max_train) {
    Data d;
    ImageData all = load_image_data(which, data_dir, (uint64_t)seed);
    const std::string& name = all.name;
    ImageSet& full_train = all.train;
    d.test = std::move(all.test);
    // A validation set held out from the training images, chosen by the seed.
    SplitIdx s = split_indices(full_train.count, (float)val_count / full_train.count, 0.0f, (uint64_t)seed);
    if (max_train > 0 && (int)s.train.size() > max_train) s.train.resize(max_train);
    d.train = take_images(full_train, s.train);
    d.val = take_images(full_train, s.val);
    std::printf("data: %s from %s (train %s / val %s / test %s)\n", name.c_str(), full_train.source.c_str(),
                with_commas(d.train.count).c_str(), with_commas(d.val.count).c_str(),
                with_commas(d.test.count).c_str());
    return d;
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

// ---------------------------------------------------------------------------------------------
// Figures: the loss curves, and the test digits the model got wrong.

static void draw_figures(const std::string& out, int first_epoch, const std::vector<double>& train_loss,
                         const std::vector<double>& val_loss, const ImageSet& test,
                         const std::vector<int>& pred, const std::string& dataset) {
    std::vector<double> ep(train_loss.size());
    std::iota(ep.begin(), ep.end(), (double)first_epoch);
    Series tr{"train loss", ep, train_loss};
    Series va{"val loss", ep, val_loss};
    PlotOptions po;
    po.title = "Two-layer MLP on " + dataset + ": cross-entropy per epoch";
    po.xlabel = "epoch";
    po.ylabel = "loss";
    save_line_plot(out + "/00_loss_curves.png", {tr, va}, po);

    std::vector<const float*> imgs;
    std::vector<std::string> caps;
    for (int i = 0; i < test.count && imgs.size() < 40; i++)
        if (pred[i] != test.labels[i]) {
            imgs.push_back(test.image(i));
            caps.push_back(std::to_string(test.labels[i]) + " as " + std::to_string(pred[i]));
        }
    if (!imgs.empty()) save_image_grid(out + "/00_misclassified.png", imgs, test.rows, test.cols, 10, caps, 3);
    std::printf("figures: %s/00_loss_curves.png, %s/00_misclassified.png\n", out.c_str(), out.c_str());
}

// ---------------------------------------------------------------------------------------------

static int run(int argc, char** argv) {
    CommonFlags f;
    f.epochs = 12;
    f.batch = 128;
    f.lr = 1e-3f;
    f.out = "runs/00_foundations";
    MLPConfig cfg;
    int val_count = 5000, max_train = 0, stop_after = 0;
    Cli cli("00_foundations", "Chapter 00: a two-layer MLP with hand-written backprop on MNIST / Fashion-MNIST.");
    add_common_flags(cli, f);
    cli.flag("hidden", &cfg.H, "hidden units");
    cli.flag("dropout", &cfg.dropout, "dropout probability on the hidden layer");
    cli.flag("val", &val_count, "training images held out for validation");
    cli.flag("max-train", &max_train, "use at most this many training images (0: all)");
    cli.flag("stop-after", &stop_after, "stop after this epoch of the planned --epochs (0: run them all); with --save, resume later with --load");
    cli.parse(argc, argv);
    if (f.quick) {  // a run of a few seconds: a slice of the data, two epochs
        if (!cli.was_set("epochs")) f.epochs = 2;
        if (!cli.was_set("max-train")) max_train = 10000;
        if (!cli.was_set("val")) val_count = 2000;
    }
    apply_common_flags(f);
    auto t_start = std::chrono::steady_clock::now();
    Rng rng((uint64_t)f.seed);

    Data d = load_data(f.data, f.data_dir, val_count, f.seed, max_train);
    cfg.D = d.train.rows * d.train.cols;
    cfg.V = d.train.num_classes;

    MLP m;
    mlp_init(m, cfg, rng);
    Adam opt = make_adam(m.params, f.lr);
    int first_epoch = 1;
    std::vector<double> train_loss, val_loss;
    if (!f.load.empty()) {  // resume: weights, optimiser moments, the rng stream, the epoch
        first_epoch = load_training_state(f.load, m, opt, rng) + 1;
        std::printf("loaded %s (after epoch %d)\n", f.load.c_str(), first_epoch - 1);
    }
    print_summary("MLP", {{"Linear(" + std::to_string(cfg.D) + ", " + std::to_string(cfg.H) + ")",
                           (long)(m.W1.size + m.b1.size)},
                          {"ReLU, Dropout(" + fmt3(cfg.dropout).substr(0, 3) + ")", 0},
                          {"Linear(" + std::to_string(cfg.H) + ", " + std::to_string(cfg.V) + ")",
                           (long)(m.W2.size + m.b2.size)}});
    if (!print_gradient_check(m, d.val)) fail("gradient check", "every layer within tolerance");

    int nt = num_threads();
    double g1 = matmul_gflops(f.batch, cfg.D, cfg.H, 1), gn = matmul_gflops(f.batch, cfg.D, cfg.H, nt);
    set_threads(nt);
    std::printf("matmul %dx%dx%d (fc1 forward): %.1f GFLOP/s on 1 thread, %.1f on %d\n", f.batch, cfg.D, cfg.H,
                g1, gn, nt);

    // Cosine decay of the learning rate over all the optimiser steps of the run.
    long steps_per_epoch = (d.train.count + f.batch - 1) / f.batch;
    Cosine sched{f.lr, 0.0f, steps_per_epoch * f.epochs};
    auto lr_at = [&](long step) { return sched.lr(step); };
    double train_seconds = 0;
    int last_epoch = stop_after > 0 ? std::min(stop_after, f.epochs) : f.epochs;
    for (int epoch = first_epoch; epoch <= last_epoch; epoch++) {
        ProgressBar bar(epoch, f.epochs, d.train.count);
        EpochStats tr = train_epoch(m, opt, d.train, f.batch, rng, lr_at, &bar);
        EpochStats va = evaluate(m, d.val, 500);
        train_seconds += tr.seconds;
        train_loss.push_back(tr.loss), val_loss.push_back(va.loss);
        bar.finish("loss=" + fmt3(tr.loss) + ", acc=" + fmt3(tr.acc) + " | val_loss=" + fmt3(va.loss) +
                   ", val_acc=" + fmt3(va.acc));
    }
    if (!f.save.empty()) {
        save_training_state(f.save, m, opt, rng, std::max(last_epoch, first_epoch - 1));
        std::printf("saved %s\n", f.save.c_str());
    }

    std::vector<int> pred;
    EpochStats te = evaluate(m, d.test, 500, &pred);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    std::printf("test: loss %.4f, accuracy %.4f (%d of %d wrong) — training %.1fs, total %.1fs on %d threads\n",
                te.loss, te.acc, (int)std::lround((1 - te.acc) * d.test.count), d.test.count, train_seconds,
                seconds, nt);

    std::filesystem::create_directories(f.out);
    if (!train_loss.empty()) draw_figures(f.out, first_epoch, train_loss, val_loss, d.test, pred, d.train.name);
    JsonObject j;
    j.set("chapter", std::string("00_foundations"));
    j.set("dataset", d.train.name);
    j.set("source", d.train.source);
    j.set("train", (long)d.train.count);
    j.set("val", (long)d.val.count);
    j.set("test", (long)d.test.count);
    j.set("epochs", (long)last_epoch);
    j.set("hidden", (long)cfg.H);
    j.set("params", (long)m.params.count());
    j.set("threads", (long)nt);
    j.set("seed", f.seed);
    j.set("train_seconds", train_seconds);
    j.set("seconds", seconds);
    j.set("test_accuracy", te.acc);
    j.set("test_loss", te.loss);
    j.set("metric", std::string("test_accuracy"));
    j.set("matmul_gflops_1thread", g1);
    j.set("matmul_gflops_all", gn);
    j.set("train_loss", train_loss);
    j.set("val_loss", val_loss);
    j.save(f.out + "/metrics.json");
    std::printf("metrics: %s/metrics.json\n", f.out.c_str());
    return 0;
}

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const Error& e) {
        std::fprintf(stderr, "00_foundations: error: %s\n", e.what());
        return 1;
    }
}
