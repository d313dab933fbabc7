// train.hpp — chapter 00's training loop and evaluation (main.cpp and the tests both use them).
#pragma once
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include "chapters/00_foundations/mlp.hpp"
#include "common/data/data_types.hpp"
#include "common/run/checkpoint.hpp"
#include "common/run/training_state.hpp"
#include "common/nn/optim.hpp"
#include "common/run/progress.hpp"

namespace ch00 {
using namespace attn;

inline std::string fmt3(double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.3f", v);
    return b;
}

struct EpochStats {
    double loss = 0, acc = 0;
    double seconds = 0;
};

// Copy the images and labels of samples idx[i0, i0+B) into contiguous batch buffers.
inline void gather_batch(float* x, int* y, const ImageSet& data, const std::vector<int>& idx, size_t i0, int B) {
    const size_t D = (size_t)data.rows * data.cols;
    for (int b = 0; b < B; b++) {
        int s = idx[i0 + b];
        std::copy(data.image(s), data.image(s) + D, x + b * D);
        y[b] = data.labels[s];
    }
}

inline int count_correct(const float* probs, const int* y, int B, int V) {
    int correct = 0;
    for (int b = 0; b < B; b++) {
        const float* p = probs + (size_t)b * V;
        correct += (int)(std::max_element(p, p + V) - p) == y[b];
    }
    return correct;
}

// One pass over `train` in a fresh random order (drawn from rng). lr_at(step) gives the
// learning rate of each optimiser step (a schedule). bar may be nullptr (tests).
template <class LrFn>
EpochStats train_epoch(MLP& m, Adam& opt, const ImageSet& train, int batch, Rng& rng, LrFn lr_at,
                       ProgressBar* bar) {
    auto t0 = std::chrono::steady_clock::now();
    std::vector<int> order(train.count);
    std::iota(order.begin(), order.end(), 0);
    rng.shuffle(order.begin(), order.end());

    const int D = train.rows * train.cols;
    MLPActs acts;
    acts.resize(batch, m.cfg);
    Buf x((size_t)batch * D);
    std::vector<int> y(batch);
    double loss_sum = 0;
    long correct = 0, seen = 0;
    for (size_t i0 = 0; i0 < order.size(); i0 += batch) {
        int B = (int)std::min<size_t>(batch, order.size() - i0);
        gather_batch(x.data(), y.data(), train, order, i0, B);
        float loss = mlp_forward(m, acts, x.data(), y.data(), B, rng, /*training=*/true);
        m.params.zero_grad();
        mlp_backward(m, acts, x.data(), y.data(), B);
        opt.lr = lr_at(opt.t);
        opt.step(m.params);
        loss_sum += (double)loss * B;
        correct += count_correct(acts.probs.data(), y.data(), B, m.cfg.V);
        seen += B;
        if (bar) bar->update(seen, "loss=" + fmt3(loss_sum / seen) + ", acc=" + fmt3((double)correct / seen));
    }
    EpochStats st;
    st.loss = loss_sum / seen, st.acc = (double)correct / seen;
    st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return st;
}

// Mean loss and accuracy over a whole set, in batches, without dropout.
// predictions (optional) receives the predicted class of every sample.
inline EpochStats evaluate(MLP& m, const ImageSet& data, int batch, std::vector<int>* predictions = nullptr) {
    std::vector<int> order(data.count);
    std::iota(order.begin(), order.end(), 0);
    const int D = data.rows * data.cols, V = m.cfg.V;
    MLPActs acts;
    acts.resize(batch, m.cfg);
    Buf x((size_t)batch * D);
    std::vector<int> y(batch);
    Rng unused(0);  // evaluation draws no random numbers
    double loss_sum = 0;
    long correct = 0;
    if (predictions) predictions->assign(data.count, 0);
    for (size_t i0 = 0; i0 < order.size(); i0 += batch) {
        int B = (int)std::min<size_t>(batch, order.size() - i0);
        gather_batch(x.data(), y.data(), data, order, i0, B);
        loss_sum += (double)mlp_forward(m, acts, x.data(), y.data(), B, unused, /*training=*/false) * B;
        correct += count_correct(acts.probs.data(), y.data(), B, V);
        if (predictions)
            for (int b = 0; b < B; b++) {
                const float* p = acts.probs.data() + (size_t)b * V;
                (*predictions)[i0 + b] = (int)(std::max_element(p, p + V) - p);
            }
    }
    EpochStats st;
    st.loss = loss_sum / std::max(data.count, 1);
    st.acc = (double)correct / std::max(data.count, 1);
    return st;
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
