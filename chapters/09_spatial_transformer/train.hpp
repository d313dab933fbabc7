// train.hpp — chapter 09's training step, evaluation and checkpoints (main.cpp and the tests use them).
// The batch gathering, the epoch's running totals and the evaluation loop are common/run/classifier.hpp;
// the step itself — forward, zero the gradients, backward, optimiser step — is written out here.
#pragma once
#include <string>
#include <vector>

#include "chapters/09_spatial_transformer/stn_model.hpp"
#include "common/core/error.hpp"
#include "common/data/data_types.hpp"
#include "common/nn/optim.hpp"
#include "common/run/classifier.hpp"
#include "common/run/progress.hpp"
#include "common/run/training_state.hpp"

namespace ch09 {
using namespace attn;

// One Adam step in which the localisation net moves with loc_lr_scale times the classifier's
// learning rate (the paper trains it with a smaller one: θ that jumps around gives the classifier
// a different image every step). Adam's moments m, v do not depend on lr, so the step with lr·ρ is
// the full step scaled by ρ:   p_loc ← p_loc_old + ρ·(p_loc_new − p_loc_old).
// The localisation tensors come first in m.params (stn_init), so they are one prefix of the buffer;
// `old` is scratch for it.
inline void adam_step_scaled_loc(STN& m, Adam& opt, float loc_lr_scale, Buf& old) {
    const size_t n = m.loc_param_count();
    if (loc_lr_scale == 1.0f || n == 0) {
        opt.step(m.params);
        return;
    }
    float* p = m.params.value.data();
    if (m.l1_W.data != p) fail("adam_step_scaled_loc", "the localisation net first in m.params", "see stn_init");
    old.assign(p, p + n);
    opt.step(m.params);
    for (size_t i = 0; i < n; i++) p[i] = old[i] + loc_lr_scale * (p[i] - old[i]);
}

// One pass over `train` in a fresh random order (drawn from rng); lr_at(step) is the schedule and
// loc_lr_scale the localisation net's share of it. bar may be nullptr (tests).
template <class LrFn>
EpochStats train_epoch(STN& m, Adam& opt, const ImageSet& train, int batch, Rng& rng, LrFn lr_at, ProgressBar* bar,
                       float loc_lr_scale = 1.0f) {
    EpochMeter meter;
    const std::vector<int> order = shuffled_order(train.count, rng);
    STNActs acts;
    acts.resize(batch, m.cfg);
    Buf x((size_t)batch * train.rows * train.cols), loc_old;  // x (B,Hi,Hi)
    std::vector<int> y(batch);                                // (B)
    for (size_t i0 = 0; i0 < order.size(); i0 += batch) {
        const int B = batch_at(order.size(), i0, batch);
        gather_batch(x.data(), y.data(), train, order, i0, B);
        float loss = stn_forward(m, acts, x.data(), y.data(), B);
        m.params.zero_grad();
        stn_backward(m, acts, x.data(), y.data(), B);
        opt.lr = lr_at(opt.t);
        adam_step_scaled_loc(m, opt, loc_lr_scale, loc_old);
        meter.add(loss, acts.probs.data(), y.data(), B, m.cfg.V);
        if (bar) bar->update(meter.seen, meter.progress());
    }
    return meter.stats();
}

// Mean loss and accuracy over a whole set, in batches. predictions (optional) receives the
// predicted class of every sample.
inline EpochStats evaluate(STN& m, const ImageSet& data, int batch, std::vector<int>* predictions = nullptr) {
    STNActs acts;
    acts.resize(batch, m.cfg);
    auto forward = [&](const float* x, const int* y, int B, double& loss_sum) {
        loss_sum += (double)stn_forward(m, acts, x, y, B) * B;
        return acts.probs.data();  // (B,V)
    };
    return evaluate_images(data, batch, m.cfg.V, forward, predictions);
}

// The transformer's output for images idx of `data`: xs (n,Ho,Ho) and θ (n,6). Needs cfg.stn.
inline void rectify(STN& m, const ImageSet& data, const std::vector<int>& idx, Buf& xs, Buf& theta) {
    const int n = (int)idx.size(), D = data.rows * data.cols, P = m.cfg.H_out * m.cfg.H_out;
    STNActs acts;
    acts.resize(n, m.cfg);
    Buf x((size_t)n * D);
    std::vector<int> y(n);
    gather_batch(x.data(), y.data(), data, idx, 0, n);
    transformer_forward(m, acts, x.data(), n);
    xs.assign(acts.xs.begin(), acts.xs.begin() + (size_t)n * P);
    theta.assign(acts.theta.begin(), acts.theta.begin() + (size_t)n * 6);
}

// ---- checkpoints: weights, Adam's state, the random stream and the epochs done ------------------
inline std::string config_str(const STNConfig& c) {
    std::string s;
    for (int v : {c.H_in, c.H_out, (int)c.stn, (int)c.attention, c.loc_c1, c.loc_c2, c.loc_fc, c.cls_c1, c.cls_c2,
                  c.cls_fc, c.V})
        s += std::to_string(v) + " ";
    return s;
}
inline void save_training_state(const std::string& path, const STN& m, const Adam& opt, const Rng& rng,
                                int epochs_done) {
    attn::save_training_state(path, config_str(m.cfg), m.params, opt, rng, epochs_done);
}
// Returns the number of epochs already done; a model of another configuration refuses the file
// and is left untouched (common/run/training_state.hpp).
inline int load_training_state(const std::string& path, STN& m, Adam& opt, Rng& rng) {
    return attn::load_training_state(path, config_str(m.cfg), "use the same --setting, --transform and --model as when saving",
                                     m.params, opt, rng);
}

}  // namespace ch09
