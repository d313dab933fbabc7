// train.hpp — chapter 00's training step and evaluation (main.cpp and the tests both use them).
// The batch gathering, the epoch's running totals and the evaluation loop are common/run/classifier.hpp;
// the step itself — forward, zero the gradients, backward, optimiser step — is written out here.
#pragma once
#include <string>
#include <vector>

#include "chapters/00_foundations/mlp.hpp"
#include "common/data/data_types.hpp"
#include "common/nn/optim.hpp"
#include "common/run/classifier.hpp"
#include "common/run/progress.hpp"
#include "common/run/training_state.hpp"

namespace ch00 {
using namespace attn;

// One pass over `train` in a fresh random order (drawn from rng). lr_at(step) gives the
// learning rate of each optimiser step (a schedule). bar may be nullptr (tests).
template <class LrFn>
EpochStats train_epoch(MLP& m, Adam& opt, const ImageSet& train, int batch, Rng& rng, LrFn lr_at,
                       ProgressBar* bar) {
    // BEGIN SOLUTION
    EpochMeter meter;
    const std::vector<int> order = shuffled_order(train.count, rng);
    MLPActs acts;
    acts.resize(batch, m.cfg);
    Buf x((size_t)batch * train.rows * train.cols);  // (B,D)
    std::vector<int> y(batch);       // (B)
    for (size_t i0 = 0; i0 < order.size(); i0 += batch) {
        const int B = batch_at(order.size(), i0, batch);
        gather_batch(x.data(), y.data(), train, order, i0, B);
        float loss = mlp_forward(m, acts, x.data(), y.data(), B, rng, /*training=*/true);
        m.params.zero_grad();
        mlp_backward(m, acts, x.data(), y.data(), B);
        opt.lr = lr_at(opt.t);
        opt.step(m.params);
        meter.add(loss, acts.probs.data(), y.data(), B, m.cfg.V);
        if (bar) bar->update(meter.seen, meter.progress());
    }
    return meter.stats();
    // END SOLUTION
}

// Mean loss and accuracy over a whole set, in batches, without dropout.
// predictions (optional) receives the predicted class of every sample.
inline EpochStats evaluate(MLP& m, const ImageSet& data, int batch, std::vector<int>* predictions = nullptr) {
    MLPActs acts;
    acts.resize(batch, m.cfg);
    Rng unused(0);  // evaluation draws no random numbers
    auto forward = [&](const float* x, const int* y, int B, double& loss_sum) {
        loss_sum += (double)mlp_forward(m, acts, x, y, B, unused, /*training=*/false) * B;
        return acts.probs.data();  // (B,V)
    };
    return evaluate_images(data, batch, m.cfg.V, forward, predictions);
}

// ---- checkpoints: everything needed to continue a run exactly where it stopped -----------------
// (common/run/training_state.hpp: weights, Adam's moments, the random stream and the epochs done).
inline std::string config_str(const MLPConfig& c) {
    return std::to_string(c.D) + " " + std::to_string(c.H) + " " + std::to_string(c.V);
}
inline void save_training_state(const std::string& path, const MLP& m, const Adam& opt, const Rng& rng,
                                int epochs_done) {
    attn::save_training_state(path, config_str(m.cfg), m.params, opt, rng, epochs_done);
}
// Returns the number of epochs already done; a checkpoint of another configuration is refused.
inline int load_training_state(const std::string& path, MLP& m, Adam& opt, Rng& rng) {
    return attn::load_training_state(path, config_str(m.cfg), "use the same --hidden as when saving", m.params, opt,
                                     rng);
}

}  // namespace ch00
