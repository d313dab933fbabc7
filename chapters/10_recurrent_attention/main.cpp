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
// Run:   build/bin/10_recurrent_attention --quick                   (under a minute)
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
#include "common/run/cli.hpp"
#include "common/figures/colormap.hpp"
#include "common/core/error.hpp"
#include "common/data/image_data.hpp"
#include "common/figures/image_grid.hpp"
#include "common/run/metrics_json.hpp"
#include "common/figures/plot.hpp"
#include "common/nn/schedule.hpp"
#include "common/data/splits.hpp"
#include "common/run/summary.hpp"
#include "common/core/thread_pool.hpp"

using namespace attn;
using namespace ch10;

// The test and validation canvases are made ONCE from these fixed seeds, whatever --seed is, so
// every run is scored on the very same images. Evaluation noise (--mc) has its own fixed seed too.
static const uint64_t kTestSeed = 2014, kValSeed = 2015, kEvalNoiseSeed = 406;

// ---------------------------------------------------------------------------------------------
// Data: MNIST when found (--data-dir / ATTN_DATA), else Fashion-MNIST, else procedural digits.
// The clean training digits are kept; each batch's canvases are made on the fly (train.hpp).

struct Data {
    ImageSet train_clean;  // 28×28; placed on fresh canvases every epoch
    ImageSet val, test;    // the task's images, made once
    Task task;
};

static Data load_data(const CommonFlags& f, const Task& task, int val_count, int max_train, int max_test) {
    Data d;
    d.task = task;
    ImageData all = load_image_data(f.data, f.data_dir, (uint64_t)f.seed);
    SplitIdx s = split_indices(all.train.count, (float)val_count / all.train.count, 0.0f, (uint64_t)f.seed);
    if (max_train > 0 && (int)s.train.size() > max_train) s.train.resize(max_train);
    d.train_clean = take_images(all.train, s.train);
    ImageSet test_clean = std::move(all.test);
    if (max_test > 0 && max_test < test_clean.count) {
        std::vector<int> first(max_test);
        for (int i = 0; i < max_test; i++) first[i] = i;
        test_clean = take_images(test_clean, first);
    }
    d.val = task_images(take_images(all.train, s.val), task, kValSeed);
    d.test = task_images(test_clean, task, kTestSeed);
    std::printf("data: %s from %s (train %s / val %s / test %s)\n", all.name.c_str(), all.train.source.c_str(),
                with_commas(d.train_clean.count).c_str(), with_commas(d.val.count).c_str(),
                with_commas(d.test.count).c_str());
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

// ---------------------------------------------------------------------------------------------
// Training one model (the RAM or the ablation) for the run's budget.

struct RunResult {
    std::string name;
    double test_acc = 0, test_loss = 0, train_seconds = 0, images_per_second = 0;
    std::vector<double> train_loss, val_err;
    std::vector<int> pred;
};

static RunResult train_model(RAM& m, const Data& d, const CommonFlags& f, const TrainOptions& o, int mc,
                             const std::string& name, const std::string& save, const std::string& load) {
    Rng rng((uint64_t)f.seed + 7);  // shuffles and the policy's noise
    Adam opt = make_adam(m.params, f.lr);
    int first_epoch = 1;
    if (!load.empty()) {
        first_epoch = load_training_state(load, m, opt, rng) + 1;
        std::printf("loaded %s (after epoch %d)\n", load.c_str(), first_epoch - 1);
    }
    RunResult r;
    r.name = name;
    long steps_per_epoch = (d.train_clean.count + f.batch - 1) / f.batch;
    Cosine sched{f.lr, 0.0f, steps_per_epoch * f.epochs};
    auto lr_at = [&](long step) { return sched.lr(step); };
    long images = 0;
    for (int epoch = first_epoch; epoch <= f.epochs; epoch++) {
        ProgressBar bar(epoch, f.epochs, d.train_clean.count);
        TrainStats tr = train_epoch(m, opt, d.train_clean, d.task, (uint64_t)f.seed * 7919u + (uint64_t)epoch, f.batch,
                                    rng, lr_at, o, &bar);
        EpochStats va = evaluate(m, d.val, 500, mc, kEvalNoiseSeed);
        r.train_seconds += tr.seconds, images += d.train_clean.count;
        r.train_loss.push_back(tr.loss), r.val_err.push_back(100 * (1 - va.acc));
        bar.finish("loss=" + fmt3(tr.loss) + " (ce " + fmt3(tr.ce) + ", policy " + fmt3(tr.policy) + ", baseline " +
                   fmt3(tr.baseline) + "), acc=" + fmt3(tr.acc) + " | val_acc=" + fmt3(va.acc));
    }
    if (!save.empty()) {
        save_training_state(save, m, opt, rng, f.epochs);
        std::printf("saved %s\n", save.c_str());
    }
    EpochStats te = evaluate(m, d.test, 500, mc, kEvalNoiseSeed, &r.pred);
    r.test_acc = te.acc, r.test_loss = te.loss;
    r.images_per_second = r.train_seconds > 0 ? images / r.train_seconds : 0;
    std::printf("%s test: accuracy %.4f, error %.2f%% (%d of %d wrong; %s) — training %.1fs, %.0f images/s\n",
                name.c_str(), te.acc, 100 * (1 - te.acc), (int)std::lround((1 - te.acc) * d.test.count), d.test.count,
                mc == 0 ? "policy means" : (std::to_string(mc) + " sampled paths averaged").c_str(), r.train_seconds,
                r.images_per_second);
    return r;
}

// ---------------------------------------------------------------------------------------------
// Figures: test images with the glimpse path over them (one rectangle per scale per step, the
// centres joined and numbered), and below each the glimpses themselves (columns: steps 1..T,
// rows: scales, finest on top); and the validation error per epoch of both models.

static std::string draw_glimpses(const std::string& out, const Data& d, const std::vector<int>& idx,
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
    std::string path = out + "/10_recurrent_attention_glimpses.png";
    save_image_panels(path, panels, per_row, c.H <= 32 ? 5 : c.H > 80 ? 2 : 3, title);  // captions fit under 28×28
    return path;
}

static std::string draw_curves(const std::string& out, const std::vector<RunResult>& results, const std::string& task) {
    std::vector<Series> series;
    for (const RunResult& r : results) {
        Series s;
        s.name = r.name;
        for (size_t e = 0; e < r.val_err.size(); e++) s.x.push_back((double)e + 1), s.y.push_back(r.val_err[e]);
        series.push_back(s);
    }
    std::string path = out + "/10_recurrent_attention_curves.png";
    PlotOptions po;
    po.title = "Validation error, " + task;
    po.xlabel = "epoch", po.ylabel = "error (%)", po.markers = true, po.ymin = 0;
    save_line_plot(path, series, po);
    return path;
}

// ---------------------------------------------------------------------------------------------

static int run(int argc, char** argv) {
    CommonFlags f;
    f.epochs = 20;
    f.batch = 64;
    f.lr = 1e-3f;
    f.out = "runs/10_recurrent_attention";
    f.data_choices = {"auto", "mnist", "fashion-mnist", "synthetic"};
    std::string task_name = "translated60", which = "both", core = "rnn";
    int val_count = 5000, max_train = 0, max_test = 0, glimpses = 0, scales = 0, patch = 0, hidden = 256, mc = 0,
        loc_hidden = 0;
    float sigma = 0.2f, clip = 5.0f;
    bool full = false, policy_to_core = false;
    Cli cli("10_recurrent_attention",
            "Chapter 10: the Recurrent Attention Model (glimpse sensor, core RNN, Gaussian location policy trained "
            "by REINFORCE) on translated or cluttered MNIST, beside the same model without REINFORCE.");
    add_common_flags(cli, f);
    cli.choice("task", &task_name, {"mnist28", "translated60", "cluttered60", "cluttered100"},
               "mnist28 (28x28), translated60 (the digit somewhere on 60x60), cluttered60 (plus 4 8x8 pieces of "
               "other digits), cluttered100 (100x100, 8 pieces)");
    cli.choice("model", &which, {"ram", "no-reinforce", "both"},
               "train the RAM, the ablation without REINFORCE, or both (same budget)");
    cli.flag("glimpses", &glimpses, "glimpses per image, T (0: the task's paper setting: 6, or 8 for cluttered100)");
    cli.flag("scales", &scales, "scales per glimpse, k (0: 1 for mnist28, 3 for 60x60, 4 for 100x100)");
    cli.flag("patch", &patch, "glimpse patch side, g (0: 8 for mnist28, 12 otherwise)");
    cli.flag("hidden", &hidden, "core hidden size (the glimpse vector has the same size)");
    cli.choice("core", &core, {"rnn", "lstm"}, "core network: relu RNN (paper) or LSTM");
    cli.flag("loc-hidden", &loc_hidden, "location network: a relu hidden layer of this size before the mean (0: none)");
    cli.flag("sigma", &sigma, "standard deviation of the location policy, in [-1,1] image units");
    cli.flag("clip", &clip, "clip the gradient norm at this value (0: no clipping)");
    cli.flag("mc", &mc, "evaluation: 0 = look at the policy means; M >= 1 = average M sampled glimpse paths");
    cli.flag("policy-to-core", &policy_to_core,
             "let the REINFORCE gradient flow from the location network into the core and glimpse network");
    cli.flag("full", &full, "the long run: 300 epochs, the RAM alone unless --model says otherwise");
    cli.flag("val", &val_count, "training images held out for validation");
    cli.flag("max-train", &max_train, "use at most this many training images (0: all)");
    cli.flag("max-test", &max_test, "use at most this many test images (0: all)");
    cli.range("sigma", 1e-3, 2.0);
    cli.range("mc", 0, 1000);
    cli.range("glimpses", 0, 64);
    cli.range("scales", 0, 6);
    cli.range("patch", 0, 64);
    cli.range("hidden", 1, 4096);
    cli.range("loc-hidden", 0, 4096);
    cli.range("clip", 0, 1e9);
    cli.parse(argc, argv);
    if (f.quick) {  // well under a minute: a slice of the data, two epochs of small batches
        if (!cli.was_set("epochs")) f.epochs = 2;
        if (!cli.was_set("batch")) f.batch = 32;
        if (!cli.was_set("max-train")) max_train = 12000;
        if (!cli.was_set("val")) val_count = 1000;
        if (!cli.was_set("max-test")) max_test = 2000;
    }
    if (full && !cli.was_set("epochs")) f.epochs = 300;
    if (full && !cli.was_set("model")) which = "ram";  // the ablation is the default run's story
    if (f.quick && full) fail("command line", "at most one of --quick and --full", "pick one");
    if (which == "both" && !f.load.empty())
        fail("--load", "one model to resume", "with --model both the checkpoints are PATH (ram) and PATH.noreinforce");
    apply_common_flags(f);
    auto t_start = std::chrono::steady_clock::now();

    const Task task = task_by_name(task_name);
    Data d = load_data(f, task, val_count, max_train, max_test);
    RAMConfig cfg;
    cfg.H = d.test.rows, cfg.W = d.test.cols, cfg.V = d.test.num_classes;
    cfg.g = patch > 0 ? patch : (task.canvas == 0 ? 8 : 12);
    cfg.k = scales > 0 ? scales : (task.canvas == 0 ? 1 : task.canvas >= 100 ? 4 : 3);
    cfg.T = glimpses > 0 ? glimpses : (task.canvas >= 100 ? 8 : 6);
    cfg.C = cfg.G = hidden;
    cfg.sigma = sigma, cfg.lstm = core == "lstm", cfg.detach_loc = !policy_to_core, cfg.Lh = loc_hidden;
    std::printf("glimpses: T=%d, %d scale%s of %dx%d (largest %dx%d), sigma %.2f, core %s, eval %s\n", cfg.T, cfg.k,
                cfg.k > 1 ? "s" : "", cfg.g, cfg.g, cfg.g << (cfg.k - 1), cfg.g << (cfg.k - 1), cfg.sigma, core.c_str(),
                mc == 0 ? "at the policy means" : ("averaging " + std::to_string(mc) + " sampled paths").c_str());
    std::vector<int> fig_idx;
    for (int i = 0; i < std::min(10, d.test.count); i++) fig_idx.push_back(i);
    std::filesystem::create_directories(f.out);

    std::vector<RunResult> results;
    std::string fig_path;
    for (const char* kind : {"ram", "no-reinforce"}) {
        if (which != "both" && which != kind) continue;
        const bool rl = std::string(kind) == "ram";
        RAM m;
        Rng init_rng((uint64_t)f.seed);  // the same initial weights for both models
        ram_init(m, cfg, init_rng);
        print_summary(rl ? "RAM (REINFORCE)" : "RAM without REINFORCE (ablation)", summary_from_params(m.params));
        TrainOptions o;
        o.clip = clip;
        o.w_policy = rl ? 1.0f : 0.0f;
        std::string save = f.save.empty() ? "" : (which == "both" && !rl ? f.save + ".noreinforce" : f.save);
        results.push_back(train_model(m, d, f, o, mc, rl ? "RAM" : "no-REINFORCE", save, f.load));
        if (rl || which != "both") {
            GlimpseTrace tr = trace_glimpses(m, d.test, fig_idx, mc, kEvalNoiseSeed);
            fig_path = draw_glimpses(f.out, d, fig_idx, tr, cfg,
                                     std::string(rl ? "RAM" : "no REINFORCE") + " on " + task.name +
                                         ": glimpse path (colour = step) and the glimpses");
        }
    }

    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    std::printf("\n%-24s %9s %8s %10s %9s\n", "model", "accuracy", "error", "train (s)", "images/s");
    for (const RunResult& r : results)
        std::printf("%-24s %9.4f %7.2f%% %10.1f %9.0f\n", r.name.c_str(), r.test_acc, 100 * (1 - r.test_acc),
                    r.train_seconds, r.images_per_second);
    std::printf("total %.1fs on %d threads\n", seconds, num_threads());

    std::string curve_path = draw_curves(f.out, results, task.name);
    if (!fig_path.empty()) std::printf("figure: %s\n", fig_path.c_str());
    std::printf("figure: %s\n", curve_path.c_str());
    JsonObject j;
    j.set("chapter", std::string("10_recurrent_attention"));
    j.set("dataset", d.test.name);
    j.set("source", d.train_clean.source);
    j.set("task", task.name);
    j.set("train", (long)d.train_clean.count);
    j.set("val", (long)d.val.count);
    j.set("test", (long)d.test.count);
    j.set("epochs", (long)f.epochs);
    j.set("batch", (long)f.batch);
    j.set("glimpses", (long)cfg.T);
    j.set("scales", (long)cfg.k);
    j.set("patch", (long)cfg.g);
    j.set("sigma", std::round((double)cfg.sigma * 1e6) / 1e6);  // 0.2, not 0.200000003
    j.set("core", core);
    j.set("mc", (long)mc);
    j.set("threads", (long)num_threads());
    j.set("seed", f.seed);
    j.set("seconds", seconds);
    const RunResult& main_r = results.front();  // the RAM when it was trained, else the ablation
    j.set("model", main_r.name);
    j.set("test_accuracy", main_r.test_acc);
    j.set("test_error_percent", 100 * (1 - main_r.test_acc));
    j.set("metric", std::string("test_accuracy"));
    for (const RunResult& r : results) {
        JsonObject o;
        o.set("test_accuracy", r.test_acc);
        o.set("test_error_percent", 100 * (1 - r.test_acc));
        o.set("test_loss", r.test_loss);
        o.set("train_seconds", r.train_seconds);
        o.set("images_per_second", r.images_per_second);
        o.set("train_loss", r.train_loss);
        o.set("val_error_percent", r.val_err);
        j.set(r.name == "RAM" ? "ram" : "no_reinforce", o);
    }
    if (!fig_path.empty()) j.set("figure", fig_path);
    j.set("figure_curves", curve_path);
    j.save(f.out + "/metrics.json");
    std::printf("metrics: %s/metrics.json\n", f.out.c_str());
    return 0;
}

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const Error& e) {
        std::fprintf(stderr, "10_recurrent_attention: error: %s\n", e.what());
        return 1;
    }
}
