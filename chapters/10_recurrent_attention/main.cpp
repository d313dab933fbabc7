// Chapter 10 — the Recurrent Attention Model: hard attention, learnt by reinforcement.
//
// What you learn here:
//   * a glimpse sensor reads a few small, multi-resolution patches around a location instead of
//     the whole image (glimpse.hpp); the cost no longer depends on the image size;
//   * a recurrent core accumulates what the glimpses saw, and a location network decides where to
//     look next (ram_model.hpp);
//   * the location is SAMPLED — not differentiable — so the location network is trained by
//     REINFORCE with a learned baseline, on the reward "was the final answer right?", while the rest
//     is trained by backprop on the cross-entropy: the hybrid loss (reinforce.hpp);
//   * what happens without REINFORCE: the same model, whose location network never learns (the
//     ablation, trained beside it with the same budget).
// Paper: Mnih, Heess, Graves, Kavukcuoglu, "Recurrent Models of Visual Attention", NeurIPS 2014.
//
// Run:   build/bin/10_recurrent_attention --quick                   (under a minute: the 28×28 digits, 10 epochs)
//        build/bin/10_recurrent_attention                           (60×60 translated MNIST, both models)
//        build/bin/10_recurrent_attention --task cluttered60        (plus 4 pieces of clutter)
//        build/bin/10_recurrent_attention --task mnist28            (the plain 28×28 digits)
// By default the RAM and the ablation are both trained, with the same data, epochs and schedule
// (--model ram|no-reinforce|both).
//
// Shapes: B batch, T glimpses, H×W image (28 or 60 or 100), g patch side, k scales, V = 10 classes.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "chapters/10_recurrent_attention/ram_model.hpp"
#include "chapters/10_recurrent_attention/train.hpp"
#include "common/core/error.hpp"
#include "common/core/thread_pool.hpp"
#include "common/figures/colormap.hpp"
#include "common/figures/image_grid.hpp"
#include "common/figures/plot.hpp"
#include "common/nn/schedule.hpp"
#include "common/run/classifier.hpp"
#include "common/run/classifier_metrics.hpp"
#include "common/run/cli.hpp"
#include "common/run/figure_names.hpp"
#include "common/run/image_splits.hpp"
#include "common/run/main_guard.hpp"
#include "common/run/summary.hpp"

using namespace attn;
using namespace ch10;

static const char* kChapter = "10_recurrent_attention";

// The test and validation canvases are made ONCE from these fixed seeds, whatever --seed is, so
// every run is scored on the very same images. Evaluation noise (--mc) has its own fixed seed too.
static const uint64_t kTestSeed = 2014, kValSeed = 2015, kEvalNoiseSeed = 406;

// ---------------------------------------------------------------------------------------------
// Options: the common flags and this chapter's own.

struct Options {
    CommonFlags f;
    std::string task = "translated60", which = "both", core = "rnn";
    int val_count = 5000, max_train = 0, max_test = 0, glimpses = 0, scales = 0, patch = 0, hidden = 256, mc = 0,
        loc_hidden = 0;
    float sigma = 0.2f, clip = 5.0f;
    int stop_after = 0;  // stop after this epoch of --epochs (0: all), to --save and resume with --load
    bool full = false, policy_to_core = false;
};

static void declare_flags(Cli& cli, Options& o) {
    add_common_flags(cli, o.f);
    cli.choice("task", &o.task, {"mnist28", "translated60", "cluttered60", "cluttered100"},
               "mnist28 (28x28), translated60 (the digit somewhere on 60x60), cluttered60 (plus 4 8x8 pieces of "
               "other digits), cluttered100 (100x100, 8 pieces)");
    cli.choice("model", &o.which, {"ram", "no-reinforce", "both"},
               "train the RAM, the ablation without REINFORCE, or both (same budget)");
    cli.flag("glimpses", &o.glimpses, "glimpses per image, T (0: the task's paper setting: 6, or 8 for cluttered100)");
    cli.flag("scales", &o.scales, "scales per glimpse, k (0: 1 for mnist28, 3 for 60x60, 4 for 100x100)");
    cli.flag("patch", &o.patch, "glimpse patch side, g (0: 8 for mnist28, 12 otherwise)");
    cli.flag("hidden", &o.hidden, "core hidden size (the glimpse vector has the same size)");
    cli.choice("core", &o.core, {"rnn", "lstm"}, "core network: relu RNN (paper) or LSTM");
    cli.flag("loc-hidden", &o.loc_hidden, "location network: a relu hidden layer of this size before the mean (0: none)");
    cli.flag("sigma", &o.sigma, "standard deviation of the location policy, in [-1,1] image units");
    cli.flag("clip", &o.clip, "clip the gradient norm at this value (0: no clipping)");
    cli.flag("mc", &o.mc, "evaluation: 0 = look at the policy means; M >= 1 = average M sampled glimpse paths");
    cli.flag("policy-to-core", &o.policy_to_core,
             "let the REINFORCE gradient flow from the location network into the core and glimpse network");
    cli.flag("full", &o.full, "the long run: 300 epochs, the RAM alone unless --model says otherwise (MNIST: with --data auto it stops if MNIST is missing)");
    cli.flag("stop-after", &o.stop_after, "stop after this epoch of the planned --epochs (0: run them all); with --save, resume later with --load");
    cli.range("stop-after", 0, 100000);
    cli.flag("val", &o.val_count, "training images held out for validation");
    cli.flag("max-train", &o.max_train, "use at most this many training images (0: all)");
    cli.flag("max-test", &o.max_test, "use at most this many test images (0: all)");
    cli.range("sigma", 1e-3, 2.0);
    cli.range("mc", 0, 1000);
    cli.range("glimpses", 0, 64);
    cli.range("scales", 0, 6);
    cli.range("patch", 0, 64);
    cli.range("hidden", 1, 4096);
    cli.range("loc-hidden", 0, 4096);
    cli.range("clip", 0, 1e9);
}

static Options parse_options(int argc, char** argv) {
    Options o;
    CommonFlags& f = o.f;
    f.epochs = 20, f.batch = 64, f.lr = 1e-3f, f.out = "runs/10_recurrent_attention";  // the default run
    f.data_choices = {"auto", "mnist", "fashion-mnist", "synthetic"};
    Cli cli(kChapter,
            "Chapter 10: the Recurrent Attention Model (glimpse sensor, core RNN, Gaussian location policy trained "
            "by REINFORCE) on translated or cluttered MNIST, beside the same model without REINFORCE.");
    declare_flags(cli, o);
    cli.parse(argc, argv);
    if (f.quick) {  // well under a minute, and long enough for the learnt policy to pay off: the plain
                    // 28×28 digits (one 8×8 scale: where to look matters most), 10 epochs of 12,000 in
                    // batches of 64 at lr 2e-3. On translated60 a run this short is a coin toss between the
                    // RAM and its ablation (README, "--quick").
        if (!cli.was_set("task")) o.task = "mnist28";
        if (!cli.was_set("epochs")) f.epochs = 10;
        if (!cli.was_set("lr")) f.lr = 2e-3f;
        if (!cli.was_set("max-train")) o.max_train = 12000;
        if (!cli.was_set("val")) o.val_count = 1000;
        if (!cli.was_set("max-test")) o.max_test = 2000;
    }
    if (o.full && !cli.was_set("epochs")) f.epochs = 300;
    if (o.full && !cli.was_set("model")) o.which = "ram";  // the ablation is the default run's story
    if (f.quick && o.full) fail("command line", "at most one of --quick and --full", "pick one");
    if (o.which == "both" && !f.load.empty())
        fail("--load", "one model to resume", "with --model both the checkpoints are PATH (ram) and PATH.noreinforce");
    apply_common_flags(f);
    return o;
}

// ---------------------------------------------------------------------------------------------
// Data: MNIST when found (--data-dir / ATTN_DATA), else Fashion-MNIST, else procedural digits
// (common/run/image_splits.hpp). The clean training digits are kept; each batch's canvases are made
// on the fly (train.hpp).

struct Data {
    std::string name;      // the task's images by name, for the figures: "translated60" (MNIST), "fashion-mnist-translated60"
    ImageSet train_clean;  // 28×28; placed on fresh canvases every epoch
    ImageSet val, test;    // the task's images, made once
    Task task;
};

static Data load_data(const Options& o, const Task& task) {
    const CommonFlags& f = o.f;
    // --full reproduces the paper's MNIST result: there --data auto means MNIST or an error, no fallback.
    const std::string which = o.full ? data_for_mnist_run(f.data, f.data_dir, "--full") : f.data;
    ImageSplits s = load_image_splits(which, f.data_dir, o.val_count, (uint64_t)f.seed, o.max_train, o.max_test);
    Data d;
    d.name = s.name == "mnist"         ? task.name           // mnist28, translated60, ...
             : task.name == "mnist28" ? s.name + "28"       // fashion-mnist28
                                      : s.name + "-" + task.name;
    d.task = task;
    d.train_clean = std::move(s.train);
    d.val = task_images(s.val, task, kValSeed);
    d.test = task_images(s.test, task, kTestSeed);
    if (task.canvas > 0)
        std::printf("task %s: the 28x28 image at a random place of a %dx%d canvas%s (train: fresh places every "
                    "epoch; val/test: made once, fixed seeds)\n",
                    task.name.c_str(), task.canvas, task.canvas,
                    task.pieces ? (", " + std::to_string(task.pieces) + " clutter pieces of " +
                                   std::to_string(task.piece) + "x" + std::to_string(task.piece))
                                      .c_str()
                                : "");
    else std::printf("task %s: the 28x28 images as they are\n", task.name.c_str());
    return d;
}

// The model's sizes: the task's paper setting unless the flags say otherwise.
static RAMConfig model_config(const Options& o, const Data& d) {
    const Task& task = d.task;
    RAMConfig cfg;
    cfg.H = d.test.rows, cfg.W = d.test.cols, cfg.V = d.test.num_classes;
    cfg.g = o.patch > 0 ? o.patch : (task.canvas == 0 ? 8 : 12);
    cfg.k = o.scales > 0 ? o.scales : (task.canvas == 0 ? 1 : task.canvas >= 100 ? 4 : 3);
    cfg.T = o.glimpses > 0 ? o.glimpses : (task.canvas >= 100 ? 8 : 6);
    cfg.C = cfg.G = o.hidden;
    cfg.sigma = o.sigma, cfg.lstm = o.core == "lstm", cfg.detach_loc = !o.policy_to_core, cfg.Lh = o.loc_hidden;
    std::printf("glimpses: T=%d, %d scale%s of %dx%d (largest %dx%d), sigma %.2f, core %s, eval %s\n", cfg.T, cfg.k,
                cfg.k > 1 ? "s" : "", cfg.g, cfg.g, cfg.g << (cfg.k - 1), cfg.g << (cfg.k - 1), cfg.sigma,
                o.core.c_str(), o.mc == 0 ? "at the policy means" : ("averaging " + std::to_string(o.mc) + " sampled paths").c_str());
    return cfg;
}

// ---------------------------------------------------------------------------------------------
// Training one model (the RAM or the ablation) for the run's budget; the step is train_epoch
// (train.hpp). r arrives named (ModelResult::name, key) and leaves with its curves and test result.

static void train_model(RAM& m, const Data& d, const Options& o, const TrainOptions& t, ModelResult& r,
                        const std::string& save, const std::string& load) {
    const CommonFlags& f = o.f;
    Rng rng((uint64_t)f.seed + 7);  // shuffles and the policy's noise
    Adam opt = make_adam(m.params, f.lr);
    int first_epoch = 1;
    if (!load.empty()) {
        first_epoch = load_training_state(load, m, opt, rng) + 1;
        std::printf("loaded %s (after epoch %d)\n", load.c_str(), first_epoch - 1);
    }
    long steps_per_epoch = (d.train_clean.count + f.batch - 1) / f.batch;
    Cosine sched{f.lr, 0.0f, steps_per_epoch * f.epochs};
    auto lr_at = [&](long step) { return sched.lr(step); };
    const int last = o.stop_after > 0 ? std::min(o.stop_after, f.epochs) : f.epochs;
    for (int epoch = first_epoch; epoch <= last; epoch++) {
        ProgressBar bar(epoch, f.epochs, d.train_clean.count);
        TrainStats tr = train_epoch(m, opt, d.train_clean, d.task, (uint64_t)f.seed * 7919u + (uint64_t)epoch, f.batch,
                                    rng, lr_at, t, &bar);
        EpochStats va = evaluate(m, d.val, 500, o.mc, kEvalNoiseSeed);
        r.add_epoch(tr, va, d.train_clean.count);
        char line[160];
        std::snprintf(line, sizeof line, "loss=%.3f (ce %.3f, policy %.3f, baseline %.3f), acc=%.3f | val_acc=%.3f",
                      tr.loss, tr.ce, tr.policy, tr.baseline, tr.acc, va.acc);
        bar.finish(line);
    }
    if (!save.empty()) {
        save_training_state(save, m, opt, rng, std::max(last, first_epoch - 1));
        std::printf("saved %s\n", save.c_str());
    }
    EpochStats te = evaluate(m, d.test, 500, o.mc, kEvalNoiseSeed, &r.predictions);
    r.set_test(te, d.test.labels, m.cfg.V);
    std::printf("%s test: accuracy %.4f, error %.2f%% (%d of %d wrong; %s) — training %.1fs, %.0f images/s\n",
                r.name.c_str(), te.acc, 100 * (1 - te.acc), (int)std::lround((1 - te.acc) * d.test.count),
                d.test.count, o.mc == 0 ? "policy means" : (std::to_string(o.mc) + " sampled paths averaged").c_str(),
                r.train_seconds, r.images_per_second());
}

// ---------------------------------------------------------------------------------------------
// Figures: test images with the glimpse path over them (one rectangle per scale per step, the
// centres joined and numbered), and below each the glimpses themselves (columns: steps 1..T,
// rows: scales, finest on top); and the validation error per epoch of both models.

static std::string draw_glimpses(const FigureNames& fig, const Data& d, const std::vector<int>& idx,
                                 const GlimpseTrace& tr, const RAMConfig& c, const std::string& title) {
    const int n = tr.n, per_row = 5, gap = 1;
    const int sr = c.k * c.g + (c.k - 1) * gap, sc = c.T * c.g + (c.T - 1) * gap;  // the strip's size
    std::vector<Buf> strips(n, Buf((size_t)sr * sc, 0.35f));                     // grey between glimpses
    std::vector<ImagePanel> images(n), below(n);
    for (int e = 0; e < n; e++) {
        const int i = idx[e];
        ImagePanel& p = images[e];
        p.image = d.test.image(i), p.rows = d.test.rows, p.cols = d.test.cols;
        const float* q = tr.probs.data() + (size_t)e * c.V;
        const int pred = (int)(std::max_element(q, q + c.V) - q);
        p.caption = "label " + std::to_string(d.test.labels[i]) + ", pred " + std::to_string(pred);
        p.caption_color = pred == d.test.labels[i] ? kBlack : kRed;
        for (int t = 0; t < c.T; t++) {
            const float lx = tr.loc[((size_t)t * n + e) * 2], ly = tr.loc[((size_t)t * n + e) * 2 + 1];
            p.path.push_back({(lx + 1) * 0.5f * c.W, (ly + 1) * 0.5f * c.H});
            for (int s = 0; s < c.k; s++) {
                const int S = c.g << s, x0 = glimpse_origin(lx, c.W, S), y0 = glimpse_origin(ly, c.H, S);
                const int xa = std::max(x0, 0), ya = std::max(y0, 0);  // the part inside the image
                const int xb = std::min(x0 + S, c.W), yb = std::min(y0 + S, c.H);
                if (xb > xa && yb > ya)
                    p.boxes.push_back({(float)xa, (float)ya, (float)(xb - xa), (float)(yb - ya), palette_color(t)});
            }
            for (int s = 0; s < c.k; s++) {  // glimpse t, scale s → block (s, t) of the strip
                const float* gl = tr.rho.data() + ((size_t)t * n + e) * c.P() + (size_t)s * c.g * c.g;
                for (int r = 0; r < c.g; r++)
                    std::copy_n(gl + r * c.g, c.g, strips[e].data() + (size_t)(s * (c.g + gap) + r) * sc + t * (c.g + gap));
            }
        }
        p.path_color = kOrange;
        below[e].image = strips[e].data(), below[e].rows = sr, below[e].cols = sc;
        below[e].caption = "glimpses 1-" + std::to_string(c.T);
    }
    std::vector<ImagePanel> panels;  // rows of images, each followed by the row of their strips
    for (int r0 = 0; r0 < n; r0 += per_row) {
        for (int e = r0; e < r0 + per_row; e++)
            if (e < n) panels.push_back(images[e]);
            else panels.push_back(ImagePanel{strips[0].data(), 1, 1});  // a blank filler (1 px) for a short row
        for (int e = r0; e < std::min(n, r0 + per_row); e++) panels.push_back(below[e]);
    }
    const std::string path = fig.path("glimpses");
    save_image_panels(path, panels, per_row, c.H <= 32 ? 5 : c.H > 80 ? 2 : 3, title);  // captions fit under 28×28
    return path;
}

static std::string draw_curves(const FigureNames& fig, const std::vector<ModelResult>& results, const std::string& task) {
    std::vector<Series> series;
    for (const ModelResult& r : results) {
        Series s;
        s.name = r.name;
        for (size_t e = 0; e < r.val_accuracy.size(); e++)
            s.x.push_back((double)e + 1), s.y.push_back(100 * (1 - r.val_accuracy[e]));
        series.push_back(s);
    }
    const std::string path = fig.path("curves");
    PlotOptions po;
    po.title = "Validation error, " + task;
    po.xlabel = "epoch", po.ylabel = "error (%)", po.markers = true, po.ymin = 0;
    save_line_plot(path, series, po);
    return path;
}

// ---------------------------------------------------------------------------------------------
// One model of the comparison: "ram" (REINFORCE) or "no-reinforce" (the ablation), from the same
// initial weights. Draws the glimpse figure when it is the model to show (the RAM, or the only one).

static ModelResult train_kind(const std::string& kind, const RAMConfig& cfg, const Data& d, const Options& o,
                              const FigureNames& fig, std::string& fig_path) {
    const bool rl = kind == "ram";
    RAM m;
    Rng init_rng((uint64_t)o.f.seed);  // the same initial weights for both models
    ram_init(m, cfg, init_rng);
    print_summary(rl ? "RAM (REINFORCE)" : "RAM without REINFORCE (ablation)", summary_from_params(m.params));
    TrainOptions t;
    t.clip = o.clip;
    t.w_policy = rl ? 1.0f : 0.0f;
    ModelResult r;
    r.name = rl ? "RAM" : "no-REINFORCE", r.key = rl ? "ram" : "no_reinforce";
    const std::string& save = o.f.save;
    train_model(m, d, o, t, r, save.empty() ? "" : (o.which == "both" && !rl ? save + ".noreinforce" : save),
                o.f.load);
    if (rl || o.which != "both") {
        const std::vector<int> idx = in_order(std::min(10, d.test.count));
        GlimpseTrace tr = trace_glimpses(m, d.test, idx, o.mc, kEvalNoiseSeed);
        fig_path = draw_glimpses(fig, d, idx, tr, cfg,
                                 std::string(rl ? "RAM" : "no REINFORCE") + " on " + d.task.name +
                                     ": glimpse path (colour = step) and the glimpses");
    }
    return r;
}

// ---------------------------------------------------------------------------------------------
// metrics.json: the classifiers' schema (common/run/classifier_metrics.hpp), one object per model.

static void write_metrics(const Options& o, const Data& d, const RAMConfig& cfg, const std::vector<ModelResult>& results,
                          double seconds, const std::vector<std::string>& figures) {
    const CommonFlags& f = o.f;
    JsonObject j = classifier_metrics({kChapter, d.test.name, d.train_clean.source, d.train_clean.count, d.val.count,
                                       d.test.count, f.epochs, f.seed, seconds});
    j.set("task", d.task.name);
    j.set("batch", (long)f.batch);
    j.set("glimpses", (long)cfg.T);
    j.set("scales", (long)cfg.k);
    j.set("patch", (long)cfg.g);
    j.set("sigma", float_decimal(cfg.sigma));  // 0.2, not 0.200000003
    j.set("core", o.core);
    j.set("mc", (long)o.mc);
    set_headline(j, results.front());  // the RAM when it was trained, else the ablation
    for (const ModelResult& r : results) {
        JsonObject obj = model_metrics(r, d.test.class_names);
        std::vector<double> val_err;
        for (double acc : r.val_accuracy) val_err.push_back(100 * (1 - acc));
        obj.set("val_error_percent", val_err);
        j.set(r.key, obj);
    }
    if (figures.size() > 1) j.set("figure", figures.front());
    j.set("figure_curves", figures.back());
    j.set("figures", figures);
    set_takeaway(j, results, d.name);
    save_metrics(j, f.out);
}

// ---------------------------------------------------------------------------------------------
// The run: options → data → the RAM (and its figure) → the ablation → comparison → figures → metrics.

static int run(int argc, char** argv) {
    Options o = parse_options(argc, argv);
    auto t_start = std::chrono::steady_clock::now();
    const Data d = load_data(o, task_by_name(o.task));
    o.f.batch = fit_batch(o.f.batch, d.train_clean.count);
    const RAMConfig cfg = model_config(o, d);
    std::filesystem::create_directories(o.f.out);
    const FigureNames fig{o.f.out, kChapter, d.name, run_tag(o.f.quick, o.full)};

    std::vector<ModelResult> results;
    std::string fig_path;
    for (const char* kind : {"ram", "no-reinforce"})
        if (o.which == "both" || o.which == kind) results.push_back(train_kind(kind, cfg, d, o, fig, fig_path));

    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    print_comparison(results, 24, seconds);
    std::vector<std::string> figures;
    if (!fig_path.empty()) figures.push_back(fig_path), std::printf("figure: %s\n", fig_path.c_str());
    figures.push_back(draw_curves(fig, results, d.task.name));
    std::printf("figure: %s\n", figures.back().c_str());
    write_metrics(o, d, cfg, results, seconds, figures);
    return 0;
}

int main(int argc, char** argv) {
    return guarded_main(kChapter, [&] { return run(argc, argv); });
}
