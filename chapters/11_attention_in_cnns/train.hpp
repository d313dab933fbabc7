// train.hpp — chapter 11's training step, augmentation, evaluation and checkpoints (main.cpp and the
// tests use them). Batches, the epoch's running totals and the evaluation loop are
// common/run/classifier.hpp; the step itself — forward, zero the gradients, backward, clip, optimiser
// step — is written out here.
#pragma once
#include <string>
#include <vector>

#include "chapters/11_attention_in_cnns/cnn_model.hpp"
#include "common/core/error.hpp"
#include "common/data/augment.hpp"
#include "common/data/data_types.hpp"
#include "common/nn/optim.hpp"
#include "common/run/checkpoint.hpp"
#include "common/run/training_state.hpp"  // kMaxEpochs
#include "common/run/classifier.hpp"
#include "common/run/progress.hpp"

namespace ch11 {
using namespace attn;

// Light augmentation (random shifts, left–right mirroring): augment_batch in common/data/augment.hpp.
struct Augment {
    int shift = 0;      // pixels
    bool flip = false;  // left–right mirror
    float erase = 0;    // random erasing: the probability that an image gets a box of noise (0: never)
};

// One pass over `train` in a fresh random order (drawn from rng); lr_at(step) is the schedule.
// bar may be nullptr (tests).
template <class LrFn>
EpochStats train_epoch(CNN& m, Adam& opt, const ImageSet& train, int batch, const Augment& aug, float clip, Rng& rng,
                       LrFn lr_at, ProgressBar* bar) {
    EpochMeter meter;
    const std::vector<int> order = shuffled_order(train.count, rng);
    CNNActs acts;
    acts.resize(batch, m.cfg);
    Buf x((size_t)batch * train.rows * train.cols), scratch;  // x (B,1,H,H)
    std::vector<int> y(batch);                                // (B)
    for (size_t i0 = 0; i0 < order.size(); i0 += batch) {
        const int B = batch_at(order.size(), i0, batch);
        gather_batch(x.data(), y.data(), train, order, i0, B);
        augment_batch(x.data(), B, train.rows, aug.shift, aug.flip, rng, scratch);
        erase_batch(x.data(), B, train.rows, aug.erase, rng);
        float loss = cnn_forward(m, acts, x.data(), y.data(), B, /*train=*/true);
        m.params.zero_grad();
        cnn_backward(m, acts, x.data(), y.data(), B);
        if (clip > 0) clip_grad_norm(m.params, clip);
        opt.lr = lr_at(opt.t);
        opt.step(m.params);
        meter.add(loss, acts.probs.data(), y.data(), B, m.cfg.V);
        if (bar) bar->update(meter.seen, meter.progress());
    }
    return meter.stats();
}

// Mean loss and accuracy over a whole set (batch norm in evaluation mode), in batches.
// predictions (optional) receives the predicted class of every sample.
inline EpochStats evaluate(CNN& m, const ImageSet& data, int batch, std::vector<int>* predictions = nullptr) {
    CNNActs acts;
    acts.resize(batch, m.cfg);
    auto forward = [&](const float* x, const int* y, int B, double& loss_sum) {
        loss_sum += (double)cnn_forward(m, acts, x, y, B, /*train=*/false) * B;
        return acts.probs.data();  // (B,V)
    };
    return evaluate_images(data, batch, m.cfg.V, forward, predictions);
}

// ---- checkpoints: weights, batch norm's running statistics, Adam's state, the random stream and
// the epochs done (as common/run/training_state.hpp, plus the statistics) -------------------------
inline std::string config_str(const CNNConfig& c) {
    std::string s = attention_key(c.attention);
    for (int v : {c.H, c.width[0], c.width[1], c.width[2], c.convs, c.reduction, c.spatial_k, c.V, (int)c.gap_head}) {
        s += " ";
        s += std::to_string(v);
    }
    return s;
}
inline void save_training_state(const std::string& path, const CNN& m, const Adam& opt, const Rng& rng,
                                int epochs_done) {
    Checkpoint ck;
    ck.add_bytes("config", config_str(m.cfg));
    ck.add_params(m.params);
    ck.add_params(m.stats, "stats/");
    ck.add_adam(opt);
    ck.add_rng(rng);
    ck.add_bytes("epoch", std::to_string(epochs_done));
    ck.save(path);
}
// Returns the number of epochs already done; a checkpoint of another configuration is refused
// (nothing is changed).
inline int load_training_state(const std::string& path, CNN& m, Adam& opt, Rng& rng) {
    Checkpoint ck = Checkpoint::load(path);
    const std::string want = config_str(m.cfg);
    if (!ck.has("config") || ck.bytes("config") != want)
        fail(path, "a checkpoint of this model (" + want + "), found '" +
                       (ck.has("config") ? ck.bytes("config") : std::string("(none)")) + "'",
             "use the same --model, --widths, --convs, --reduction and --head as when saving");
    const int epochs_done = (int)ck.integer("epoch", 0, kMaxEpochs);  // checked before anything is changed
    ck.restore_params(m.params);
    ck.restore_params(m.stats, "stats/");
    ck.restore_adam(opt);
    ck.restore_rng(rng);
    return epochs_done;
}

}  // namespace ch11
