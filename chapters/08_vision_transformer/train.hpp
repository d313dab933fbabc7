// train.hpp — chapter 08's training steps, evaluation and checkpoints, for the ViT and its two baselines
// (chapter 00's MLP, included from chapters/00_foundations/mlp.hpp, and the CNN of cnn_baseline.hpp).
// The batch gathering, the epoch's running totals and the evaluation loop are common/run/classifier.hpp;
// each step — forward, zero the gradients, backward, clip, optimiser step — is written out here.
// All three models see the same images, the same shifts and the same schedule (main.cpp).
#pragma once
#include <algorithm>
#include <string>
#include <vector>

#include "chapters/00_foundations/mlp.hpp"
#include "chapters/08_vision_transformer/cnn_baseline.hpp"
#include "chapters/08_vision_transformer/vit_model.hpp"
#include "common/data/augment.hpp"
#include "common/data/data_types.hpp"
#include "common/nn/optim.hpp"
#include "common/run/classifier.hpp"
#include "common/run/progress.hpp"
#include "common/run/training_state.hpp"

namespace ch08 {
using namespace attn;

// What every model's epoch shares: the batch, the light augmentation and the gradient clipping.
struct StepOptions {
    int batch = 128;
    int shift = 0;        // each training image moved by (dx, dy) drawn from [−shift, shift]², zero filled
    float clip = 1.0f;    // max global gradient norm (0: no clipping)
    bool flip = false;    // mirror each training image left–right with probability ½ (clothes, not digits)
    float erase = 0.0f;   // random erasing: the probability that an image gets a box of noise (0: never)
};

// ---- light augmentation: random shifts ----------------------------------------------------------
// x (B,H,H) in place: image b moved by (dx, dy) pixels (right, down), what moves in is black (0).
// A ViT has no built-in translation invariance (a digit one patch to the right is a different
// sequence of tokens); shifted copies teach it some. The shifts come from rng, so they are the same
// on any thread count and after a resume.
inline void random_shift(float* x, int B, int H, int max_shift, Rng& rng, Buf& scratch) {
    if (max_shift <= 0) return;
    scratch.resize((size_t)H * H);
    for (int b = 0; b < B; b++) {
        const int dx = rng.randint(-max_shift, max_shift), dy = rng.randint(-max_shift, max_shift);
        float* img = x + (size_t)b * H * H;
        std::fill(scratch.begin(), scratch.end(), 0.0f);
        for (int r = 0; r < H; r++)
            for (int c = 0; c < H; c++) {
                const int r0 = r - dy, c0 = c - dx;  // out(r, c) = in(r − dy, c − dx)
                if (r0 >= 0 && r0 < H && c0 >= 0 && c0 < H) scratch[(size_t)r * H + c] = img[(size_t)r0 * H + c0];
            }
        std::copy(scratch.begin(), scratch.end(), img);
    }
}

// A gathered (shifted, mirrored) training batch: x (B,H·W), y (B).
struct Batch {
    Buf x, scratch;
    std::vector<int> y;
    int B = 0;
    void next(const ImageSet& train, const std::vector<int>& order, size_t i0, const StepOptions& so, Rng& rng) {
        B = batch_at(order.size(), i0, so.batch);
        x.resize((size_t)so.batch * train.rows * train.cols), y.resize(so.batch);
        gather_batch(x.data(), y.data(), train, order, i0, B);
        random_shift(x.data(), B, train.rows, so.shift, rng, scratch);
        augment_batch(x.data(), B, train.rows, 0, so.flip, rng, scratch);  // mirrors (common/data/augment.hpp)
        erase_batch(x.data(), B, train.rows, so.erase, rng);                // a box of noise (the same file)
    }
};

// ---- one epoch of each model: lr_at(step) is the schedule, bar may be nullptr (tests) ------------
template <class LrFn>
EpochStats train_epoch(ViT& m, Adam& opt, const ImageSet& train, const StepOptions& so, Rng& rng, LrFn lr_at,
                       ProgressBar* bar) {
    EpochMeter meter;
    const std::vector<int> order = shuffled_order(train.count, rng);
    ViTActs acts;
    Batch bt;
    for (size_t i0 = 0; i0 < order.size(); i0 += so.batch) {
        bt.next(train, order, i0, so, rng);
        float loss = vit_forward(m, acts, bt.x.data(), bt.y.data(), bt.B, rng, /*training=*/true);
        m.params.zero_grad();
        vit_backward(m, acts, bt.y.data(), bt.B);
        if (so.clip > 0) clip_grad_norm(m.params, so.clip);
        opt.lr = lr_at(opt.t);
        opt.step(m.params);
        meter.add(loss, acts.probs.data(), bt.y.data(), bt.B, m.cfg.V);
        if (bar) bar->update(meter.seen, meter.progress());
    }
    return meter.stats();
}

template <class LrFn>
EpochStats train_epoch(CNN& m, Adam& opt, const ImageSet& train, const StepOptions& so, Rng& rng, LrFn lr_at,
                       ProgressBar* bar) {
    EpochMeter meter;
    const std::vector<int> order = shuffled_order(train.count, rng);
    CNNActs acts;
    Batch bt;
    for (size_t i0 = 0; i0 < order.size(); i0 += so.batch) {
        bt.next(train, order, i0, so, rng);
        float loss = cnn_forward(m, acts, bt.x.data(), bt.y.data(), bt.B);
        m.params.zero_grad();
        cnn_backward(m, acts, bt.x.data(), bt.y.data(), bt.B);
        if (so.clip > 0) clip_grad_norm(m.params, so.clip);
        opt.lr = lr_at(opt.t);
        opt.step(m.params);
        meter.add(loss, acts.probs.data(), bt.y.data(), bt.B, m.cfg.V);
        if (bar) bar->update(meter.seen, meter.progress());
    }
    return meter.stats();
}

template <class LrFn>
EpochStats train_epoch(ch00::MLP& m, Adam& opt, const ImageSet& train, const StepOptions& so, Rng& rng, LrFn lr_at,
                       ProgressBar* bar) {
    EpochMeter meter;
    const std::vector<int> order = shuffled_order(train.count, rng);
    ch00::MLPActs acts;
    acts.resize(so.batch, m.cfg);
    Batch bt;
    for (size_t i0 = 0; i0 < order.size(); i0 += so.batch) {
        bt.next(train, order, i0, so, rng);
        float loss = ch00::mlp_forward(m, acts, bt.x.data(), bt.y.data(), bt.B, rng, /*training=*/true);
        m.params.zero_grad();
        ch00::mlp_backward(m, acts, bt.x.data(), bt.y.data(), bt.B);
        if (so.clip > 0) clip_grad_norm(m.params, so.clip);
        opt.lr = lr_at(opt.t);
        opt.step(m.params);
        meter.add(loss, acts.probs.data(), bt.y.data(), bt.B, m.cfg.V);
        if (bar) bar->update(meter.seen, meter.progress());
    }
    return meter.stats();
}

// ---- evaluation: mean loss and accuracy over a whole set, dropout off --------------------------
inline EpochStats evaluate(ViT& m, const ImageSet& data, int batch, std::vector<int>* predictions = nullptr) {
    ViTActs acts;
    Rng unused(0);  // evaluation draws no random numbers
    auto forward = [&](const float* x, const int* y, int B, double& loss_sum) {
        loss_sum += (double)vit_forward(m, acts, x, y, B, unused, /*training=*/false) * B;
        return acts.probs.data();
    };
    return evaluate_images(data, batch, m.cfg.V, forward, predictions);
}
inline EpochStats evaluate(CNN& m, const ImageSet& data, int batch, std::vector<int>* predictions = nullptr) {
    CNNActs acts;
    auto forward = [&](const float* x, const int* y, int B, double& loss_sum) {
        loss_sum += (double)cnn_forward(m, acts, x, y, B) * B;
        return acts.probs.data();
    };
    return evaluate_images(data, batch, m.cfg.V, forward, predictions);
}
inline EpochStats evaluate(ch00::MLP& m, const ImageSet& data, int batch, std::vector<int>* predictions = nullptr) {
    ch00::MLPActs acts;
    acts.resize(batch, m.cfg);
    Rng unused(0);
    auto forward = [&](const float* x, const int* y, int B, double& loss_sum) {
        loss_sum += (double)ch00::mlp_forward(m, acts, x, y, B, unused, /*training=*/false) * B;
        return acts.probs.data();
    };
    return evaluate_images(data, batch, m.cfg.V, forward, predictions);
}

// ---- checkpoints: weights, Adam's state, the random stream and the epochs done -----------------
// (common/run/training_state.hpp). The configuration string refuses a checkpoint of another model.
inline std::string config_str(const ViTConfig& c) {
    std::string s = "vit";
    for (int v : {c.H, c.P, c.C, c.L, c.NH, c.F, c.V}) s += " ", s += std::to_string(v);
    if (c.window() != c.P) s += " window " + std::to_string(c.window());  // overlapping patches
    if (c.S > 0) s += " stem " + std::to_string(c.S);                       // the hybrid
    return s;
}
inline std::string config_str(const CNNConfig& c) {
    std::string s = "cnn";
    for (int v : {c.H, c.C1, c.C2, c.FC, c.V}) s += " ", s += std::to_string(v);
    return s;
}
inline std::string config_str(const ch00::MLPConfig& c) {
    std::string s = "mlp";
    for (int v : {c.D, c.H, c.V}) s += " ", s += std::to_string(v);
    return s;
}
template <class Model>
void save_checkpoint(const std::string& path, const Model& m, const Adam& opt, const Rng& rng, int epochs_done) {
    save_training_state(path, config_str(m.cfg), m.params, opt, rng, epochs_done);
}
// Returns the epochs already done; a checkpoint of another model or configuration is refused.
template <class Model>
int load_checkpoint(const std::string& path, Model& m, Adam& opt, Rng& rng) {
    return load_training_state(path, config_str(m.cfg),
                               "use the same --model, --stem, --patch, --window, --dim, --depth, --heads, --ffn "
                               "(and baseline sizes) as when saving",
                               m.params, opt, rng);
}

}  // namespace ch08
