// Chapter 08 — the Vision Transformer: an image as a sequence of patches, and chapter 06's encoder over it.
//
// What you learn here:
//   * an image becomes tokens by cutting it into P×P patches and embedding each with one linear map —
//     a stride-P convolution in disguise (patch_embedding.hpp);
//   * a learned class token collects the image's summary; learned position embeddings are the only
//     thing that tells the model where a patch was (patch_embedding.hpp, and their figure);
//   * after that it is chapter 06's pre-norm encoder layer, included, not copied (vit_model.hpp);
//   * where the class token looks, layer by layer and head by head: attention rollout (Abnar &
//     Zuidema 2020) and per-head maps (attention_rollout.hpp);
//   * how it compares, at the same budget, with chapter 00's MLP and a small CNN of about the same
//     parameter count — and what light augmentation (random shifts) does for a model with no built-in
//     translation invariance.
// Paper: Dosovitskiy et al., "An Image is Worth 16x16 Words: Transformers for Image Recognition at
// Scale", ICLR 2021.
//
// Run:   build/bin/08_vision_transformer --quick                 (well under a minute)
//        build/bin/08_vision_transformer                         (ViT, MLP and CNN on MNIST)
//        build/bin/08_vision_transformer --data fashion-mnist   (its own defaults: apply_data_defaults)
//        build/bin/08_vision_transformer --full                  (the long run)
//
// Shapes: B batch, H = W = 28 image side, P patch side, N patches, T = N + 1 tokens, C width,
// NH heads, V = 10 classes.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "chapters/08_vision_transformer/train.hpp"
#include "chapters/08_vision_transformer/vit_figures.hpp"
#include "common/core/error.hpp"
#include "common/core/thread_pool.hpp"
#include "common/nn/schedule.hpp"
#include "common/run/classifier.hpp"
#include "common/run/classifier_metrics.hpp"
#include "common/run/cli.hpp"
#include "common/run/figure_names.hpp"
#include "common/run/image_splits.hpp"
#include "common/run/main_guard.hpp"
#include "common/run/summary.hpp"

using namespace attn;
using namespace ch08;

static const char* kChapter = "08_vision_transformer";

// ---------------------------------------------------------------------------------------------
// Options: the common flags and this chapter's own.

struct Options {
    CommonFlags f;
    ViTConfig vit;
    CNNConfig cnn;
    ch00::MLPConfig mlp;
    StepOptions step;
    std::string which = "all";
    long warmup = 500;        // steps of linear warm-up before the cosine decay
    float weight_decay = 0.05f;  // AdamW's decoupled decay (every model)
    int val_count = 5000, max_train = 0, max_test = 0;
    int stop_after = 0;       // stop after this epoch of --epochs (0: all), to --save and resume with --load
    std::string flip = "auto";  // left–right mirroring: on for Fashion-MNIST (auto), off for digits
    bool full = false;
    std::vector<std::string> given;  // flags set on the command line (the data's defaults leave them alone)
    bool was_given(const std::string& n) const {
        return std::find(given.begin(), given.end(), n) != given.end();
    }
    bool trains(const std::string& model) const { return which == "all" || which == model; }
};

static Options parse_options(int argc, char** argv) {
    Options o;
    CommonFlags& f = o.f;
    f.epochs = 10, f.batch = 128, f.lr = 2e-3f, f.out = "runs/08_vision_transformer";  // the default run
    f.data_choices = {"auto", "mnist", "fashion-mnist", "synthetic"};
    o.mlp.H = 256;  // chapter 00's MLP at about the ViT's parameter count (its own default is 1024)
    Cli cli(kChapter,
            "Chapter 08: a Vision Transformer (patches, class token, position embeddings, chapter 06's encoder) on "
            "MNIST / Fashion-MNIST, beside chapter 00's MLP and a small CNN trained with the same budget. "
            "Fashion-MNIST has its own defaults: 16 epochs (every model), the hybrid ViT (--stem 16), dropout 0, "
            "label smoothing 0.1, left-right flips; --full without shifts, with random erasing 0.25.");
    add_common_flags(cli, f);
    cli.choice("model", &o.which, {"vit", "mlp", "cnn", "all"}, "train the ViT, a baseline, or all three (same budget)");
    cli.flag("patch", &o.vit.P, "patch side P (divides 28: 4, 7, 14)");
    cli.flag("window", &o.vit.K,
             "patch window side K >= --patch (0: the patch side): K > P cuts overlapping patches");
    cli.flag("stem", &o.vit.S,
             "the paper's hybrid: S maps of a 3x3 conv + ReLU under the patches (0: none, the pixels' patches)");
    cli.flag("dim", &o.vit.C, "ViT width C");
    cli.flag("depth", &o.vit.L, "ViT encoder layers");
    cli.flag("heads", &o.vit.NH, "attention heads (divide --dim)");
    cli.flag("ffn", &o.vit.F, "feed-forward width of each layer");
    cli.flag("dropout", &o.vit.dropout,
             "ViT dropout (embeddings and both branches of every layer); Fashion-MNIST's default: 0");
    cli.flag("smoothing", &o.vit.smoothing,
             "ViT label smoothing of the training loss (0: none); Fashion-MNIST's default: 0.1");
    cli.choice("flip", &o.flip, {"auto", "on", "off"},
               "augmentation: random left-right mirroring (auto: on for Fashion-MNIST only)");
    cli.flag("shift", &o.step.shift, "augmentation: move each training image by up to N pixels each way (0: none)");
    cli.flag("erase", &o.step.erase,
             "augmentation: random erasing, the probability that an image gets a box of noise (0: none)");
    cli.flag("warmup", &o.warmup, "steps of linear learning-rate warm-up before the cosine decay");
    cli.flag("wd", &o.weight_decay, "AdamW weight decay");
    cli.flag("clip", &o.step.clip, "clip the global gradient norm to this (0: no clipping)");
    cli.flag("mlp-hidden", &o.mlp.H, "baseline MLP: hidden units");
    cli.flag("cnn-c1", &o.cnn.C1, "baseline CNN: channels of the first conv");
    cli.flag("cnn-c2", &o.cnn.C2, "baseline CNN: channels of the second conv");
    cli.flag("cnn-fc", &o.cnn.FC, "baseline CNN: hidden units of its first fully connected layer");
    cli.flag("full", &o.full,
             "the long run: 30 epochs, shifts of up to 2 pixels (Fashion-MNIST: no shifts, random erasing 0.25)");
    cli.flag("stop-after", &o.stop_after, "stop after this epoch of the planned --epochs (0: run them all); with --save, resume later with --load");
    cli.flag("val", &o.val_count, "training images held out for validation");
    cli.flag("max-train", &o.max_train, "use at most this many training images (0: all)");
    cli.flag("max-test", &o.max_test, "use at most this many test images (0: all)");
    cli.range("window", 0, 28), cli.range("stem", 0, 256);
    for (const char* n : {"patch", "dim", "depth", "heads", "ffn", "mlp-hidden", "cnn-c1", "cnn-c2", "cnn-fc"})
        cli.range(n, 1, 4096);
    cli.range("dropout", 0, 0.9), cli.range("smoothing", 0, 0.9);
    cli.range("shift", 0, 13), cli.range("erase", 0, 1);
    cli.range("warmup", 0, 1e9), cli.range("wd", 0, 1), cli.range("clip", 0, 1e6);
    cli.range("stop-after", 0, 100000), cli.range("val", 0, 59000);
    cli.parse(argc, argv);
    for (const char* n : {"dropout", "smoothing", "epochs", "shift", "stem", "erase"})
        if (cli.was_set(n)) o.given.push_back(n);
    if (f.quick) {  // well under a minute: a slice of the data, a smaller ViT without dropout, three epochs of batches of 64
        if (!cli.was_set("epochs")) f.epochs = 3;
        if (!cli.was_set("batch")) f.batch = 64;
        if (!cli.was_set("max-train")) o.max_train = 10000;
        if (!cli.was_set("val")) o.val_count = 1000;
        if (!cli.was_set("max-test")) o.max_test = 2000;
        if (!cli.was_set("depth")) o.vit.L = 3;
        if (!cli.was_set("dropout")) o.vit.dropout = 0.0f;  // 471 steps underfit: dropout only slows them (README)
        if (!cli.was_set("warmup")) o.warmup = 100;
    }
    if (o.full && !cli.was_set("epochs")) f.epochs = 30;
    if (f.quick && o.full) fail("command line", "at most one of --quick and --full", "pick one");
    vit_check_config(o.vit);
    apply_common_flags(f);
    return o;
}

// Fashion-MNIST's own defaults (README, "Toward Fashion-MNIST >= 90 %"): the clothes are harder than
// the digits and the ViT fits them slowly, so it is the paper's hybrid (its patches cut from 16 maps of
// a 3x3 conv, --stem 16), trains without dropout, with label smoothing 0.1, on mirrored images (--flip
// auto), and — every model, the same budget — for 16 epochs instead of 10 (--full keeps its 30,
// without the shifts it gives the digits, with random erasing on a quarter of the images). A flag given
// on the command line wins (--stem 0: the pure ViT); --quick keeps its own small run.
static void apply_data_defaults(Options& o, const std::string& data_name) {
    o.step.flip = flip_wanted(o.flip, data_name);
    // --full: 30 epochs overfit the digits more, so shifts of up to 2 pixels; not the clothes, where
    // the shifts cost more than they give (README)
    if (o.full && !o.was_given("shift")) o.step.shift = data_name == "fashion-mnist" ? 0 : 2;
    if (data_name != "fashion-mnist" || o.f.quick) return;
    if (!o.was_given("stem")) o.vit.S = 16;  // the paper's hybrid: 16 conv maps under the patches
    if (!o.was_given("dropout")) o.vit.dropout = 0.0f;
    if (!o.was_given("smoothing")) o.vit.smoothing = 0.1f;
    if (!o.was_given("epochs") && !o.full) o.f.epochs = 16;
    if (o.full && !o.was_given("erase")) o.step.erase = 0.25f;  // 30 epochs overfit the clothes
}

// Output paths are checked before any training: a typo must not cost a ten-minute run.
static void make_out_dir(const std::string& out) {
    std::error_code ec;
    std::filesystem::create_directories(out, ec);
    if (ec || !std::filesystem::is_directory(out))
        fail("--out " + out, "expected a directory that can be created", "check the path and its permissions");
}

// The checkpoint of each model: --save/--load PATH for the one model trained, PATH, PATH.mlp and
// PATH.cnn with --model all (the ViT's is PATH itself).
static std::string ckpt_path(const Options& o, const std::string& base, const std::string& model) {
    if (base.empty() || o.which != "all" || model == "vit") return base;
    return base + "." + model;
}

static std::string fmt_g(float v) {
    char s[32];
    std::snprintf(s, sizeof s, "%g", v);
    return s;
}

// ---------------------------------------------------------------------------------------------
// Training one model for the run's budget: the same data, epochs, batch, shifts and schedule for
// each. A loaded checkpoint resumes after its epochs; one that has done them all is only evaluated.

template <class Model>
static void train_model(Model& m, const ImageSplits& d, const Options& o, const std::string& key, ModelResult& r) {
    const CommonFlags& f = o.f;
    Rng rng((uint64_t)f.seed + 7);  // the shuffles, the shifts and the dropout masks
    Adam opt = make_adamw(m.params, f.lr, o.weight_decay);
    const std::string save = ckpt_path(o, f.save, key), load = ckpt_path(o, f.load, key);
    int first_epoch = 1;
    if (!load.empty()) {
        first_epoch = load_checkpoint(load, m, opt, rng) + 1;
        std::printf("loaded %s (after epoch %d)\n", load.c_str(), first_epoch - 1);
    }
    const long steps_per_epoch = (d.train.count + f.batch - 1) / f.batch;
    const WarmupCosine sched{f.lr, 0.0f, o.warmup, steps_per_epoch * f.epochs};
    auto lr_at = [&](long step) { return sched.lr(step); };
    const int last = o.stop_after > 0 ? std::min(o.stop_after, f.epochs) : f.epochs;
    for (int epoch = first_epoch; epoch <= last; epoch++) {
        ProgressBar bar(epoch, f.epochs, d.train.count);
        EpochStats tr = train_epoch(m, opt, d.train, o.step, rng, lr_at, &bar);
        EpochStats va = evaluate(m, d.val, 500);
        r.add_epoch(tr, va, d.train.count);
        bar.finish(epoch_line(tr, va));
    }
    if (!save.empty()) {
        save_checkpoint(save, m, opt, rng, std::max(last, first_epoch - 1));
        std::printf("saved %s\n", save.c_str());
    }
    EpochStats te = evaluate(m, d.test, 500, &r.predictions);
    r.set_test(te, d.test.labels, m.cfg.V);
    r.print_test(r.name);
}

// The parameters themselves (ParamSet::count() also counts the alignment padding between tensors).
static long param_count(const ParamSet& ps) {
    long n = 0;
    for (const auto& e : ps.entries()) n += (long)e.size;
    return n;
}

static ModelResult named(const std::string& name, const std::string& key, const std::string& label) {
    ModelResult r;
    r.name = name, r.key = key, r.label = label;
    return r;
}

// ---------------------------------------------------------------------------------------------
// metrics.json: the classifiers' schema (common/run/classifier_metrics.hpp): the ViT's numbers at the
// top level, each model (vit, mlp, cnn) in an object of its own.

static void write_metrics(const Options& o, const ImageSplits& d, const std::vector<ModelResult>& results,
                          const std::vector<long>& params, double seconds, const std::vector<std::string>& figures) {
    const CommonFlags& f = o.f;
    JsonObject j = classifier_metrics({kChapter, d.test.name, d.train.source, d.train.count, d.val.count,
                                       d.test.count, f.epochs, f.seed, seconds});
    j.set("batch", (long)f.batch);
    j.set("lr", float_decimal(f.lr));  // 0.002, not the float's 0.0020000000949949026
    j.set("shift", (long)o.step.shift);
    j.set("flip", o.step.flip);
    j.set("erase", float_decimal(o.step.erase));
    JsonObject vit;
    for (const auto& [k, v] : std::vector<std::pair<std::string, int>>{
             {"patch", o.vit.P}, {"window", o.vit.window()}, {"stem", o.vit.S}, {"dim", o.vit.C},
             {"depth", o.vit.L}, {"heads", o.vit.NH}, {"ffn", o.vit.F}})
        vit.set(k, (long)v);
    vit.set("dropout", float_decimal(o.vit.dropout));  // 0.1, not 0.10000000149011612
    vit.set("smoothing", float_decimal(o.vit.smoothing));
    j.set("vit_config", vit);
    set_headline(j, results.front());  // the ViT when it was trained
    for (size_t i = 0; i < results.size(); i++) {
        JsonObject mo = model_metrics(results[i], d.test.class_names);
        mo.set("params", params[i]);
        j.set(results[i].key, mo);
    }
    if (!figures.empty()) j.set("figure", figures.front()), j.set("figures", figures);
    set_takeaway(j, results, d.name);
    save_metrics(j, f.out);
}

// ---------------------------------------------------------------------------------------------
// The run: options → data → the ViT (and its figures) → the MLP → the CNN → comparison → metrics.

static int run(int argc, char** argv) {
    Options o = parse_options(argc, argv);
    const CommonFlags& f = o.f;
    auto t_start = std::chrono::steady_clock::now();
    make_out_dir(f.out);  // (--save was checked when the flags were read: apply_common_flags)
    ImageSplits d = load_image_splits(f.data, f.data_dir, o.val_count, (uint64_t)f.seed, o.max_train, o.max_test);
    o.f.batch = o.step.batch = fit_batch(f.batch, d.train.count);  // step.batch sizes the batch buffers
    apply_data_defaults(o, d.name);
    if (d.test.rows != 28 || d.test.cols != 28) fail(d.test.source, "28x28 images");
    const std::string erase = o.step.erase > 0 ? ", random erasing p " + fmt_g(o.step.erase) : "";
    std::printf("training: %d epochs, batch %d, AdamW (lr %g, weight decay %g), %ld warm-up steps then cosine, "
                "shifts of up to %d pixels%s%s, gradient clipping at %g — the same for every model\n",
                f.epochs, f.batch, f.lr, o.weight_decay, o.warmup, o.step.shift, o.step.flip ? ", left-right flips" : "",
                erase.c_str(), o.step.clip);
    const FigureNames fig{f.out, kChapter, d.name, run_tag(f.quick, o.full)};
    std::vector<ModelResult> results;
    std::vector<long> params;
    std::vector<std::string> figures;

    if (o.trains("vit")) {
        ViTConfig c = o.vit;
        c.V = d.test.num_classes;
        ViT m;
        Rng init((uint64_t)f.seed);
        vit_init(m, c, init);
        const std::string win = c.window() != c.P ? " in " + std::to_string(c.window()) + "x" +
                                                        std::to_string(c.window()) + " windows" : "";
        const std::string stem = c.S > 0 ? "hybrid: " + std::to_string(c.S) + " 3x3 conv maps, " : "";
        print_summary("ViT (" + stem + "patch " + std::to_string(c.P) + win + ", " + std::to_string(c.N()) +
                          " patches + class token, dim " +
                          std::to_string(c.C) + ", depth " + std::to_string(c.L) + ", " + std::to_string(c.NH) + " heads, dropout " + fmt_g(c.dropout) +
                          (c.smoothing > 0 ? ", label smoothing " + fmt_g(c.smoothing) : "") + ")",
                      summary_from_params(m.params));
        results.push_back(named("ViT", "vit", "ViT"));
        train_model(m, d, o, "vit", results.back());
        params.push_back(param_count(m.params));
        figures = draw_vit_figures(m, d.test, results.back().predictions, fig);
    }
    if (o.trains("mlp")) {
        ch00::MLPConfig c = o.mlp;
        c.V = d.test.num_classes;
        ch00::MLP m;
        Rng init((uint64_t)f.seed);
        ch00::mlp_init(m, c, init);
        print_summary("MLP (chapter 00, hidden " + std::to_string(c.H) + ")", summary_from_params(m.params));
        results.push_back(named("MLP", "mlp", "MLP (chapter 00)"));
        train_model(m, d, o, "mlp", results.back());
        params.push_back(param_count(m.params));
    }
    if (o.trains("cnn")) {
        CNNConfig c = o.cnn;
        c.V = d.test.num_classes;
        CNN m;
        Rng init((uint64_t)f.seed);
        cnn_init(m, c, init);
        print_summary("CNN (2 conv 3x3 + pool, 2 fc)", summary_from_params(m.params));
        results.push_back(named("CNN", "cnn", "CNN (small)"));
        train_model(m, d, o, "cnn", results.back());
        params.push_back(param_count(m.params));
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    print_comparison(results, 20, seconds);
    for (const std::string& p : figures) std::printf("figure: %s\n", p.c_str());
    write_metrics(o, d, results, params, seconds, figures);
    return 0;
}

int main(int argc, char** argv) {
    return guarded_main(kChapter, [&] { return run(argc, argv); });
}
