// train.hpp — chapter 10's tasks (plain, translated and cluttered canvases), the training step,
// evaluation with Monte-Carlo averaging, the glimpse trace for the figure, and checkpoints.
// The batch gathering, the epoch's running totals and the evaluation loop are
// common/run/classifier.hpp; the step itself — forward, zero the gradients, backward, clip,
// optimiser step — is written out here.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include "chapters/10_recurrent_attention/ram_model.hpp"
#include "common/core/error.hpp"
#include "common/data/data_types.hpp"
#include "common/data/splits.hpp"
#include "common/data/synth_images.hpp"
#include "common/nn/optim.hpp"
#include "common/run/classifier.hpp"
#include "common/run/progress.hpp"
#include "common/run/training_state.hpp"

namespace ch10 {
using namespace attn;

// ---- tasks ------------------------------------------------------------------------------------
// The paper's image tasks, built from 28×28 digits (common/data/synth_images.hpp):
//   mnist28       the digit as it is
//   translated60  the digit at a random place of a 60×60 black canvas
//   cluttered60   the same plus 4 random 8×8 crops of other digits
//   cluttered100  100×100 with 8 crops
struct Task {
    std::string name = "translated60";
    int canvas = 60;   // 0: the 28×28 image as it is
    int pieces = 0;    // clutter pieces
    int piece = 8;     // their side
};
inline Task task_by_name(const std::string& name) {
    if (name == "mnist28") return {name, 0, 0, 8};
    if (name == "translated60") return {name, 60, 0, 8};
    if (name == "cluttered60") return {name, 60, 4, 8};
    if (name == "cluttered100") return {name, 100, 8, 8};
    fail("--task", "one of mnist28, translated60, cluttered60, cluttered100, got '" + name + "'");
}
inline int task_side(const Task& t, int src_side) { return t.canvas > 0 ? t.canvas : src_side; }

// The task's images made from src (deterministic by seed).
inline ImageSet task_images(const ImageSet& src, const Task& t, uint64_t seed) {
    if (t.canvas == 0) return src;
    if (t.pieces > 0) return make_cluttered(src, t.canvas, t.pieces, t.piece, seed);
    return make_translated(src, t.canvas, seed);
}

// ---- training ---------------------------------------------------------------------------------
struct TrainOptions {
    float w_policy = 1.0f;    // λ_policy: 0 = the no-REINFORCE ablation
    float w_baseline = 1.0f;  // λ_baseline
    float clip = 5.0f;        // gradient-norm clipping (0: none)
};

struct TrainStats : EpochStats {
    double ce = 0, policy = 0, baseline = 0;  // mean loss terms
};

// One pass over the clean images `clean` in a fresh random order (drawn from rng). Each batch's
// canvases are made on the fly from seed + batch number, so every epoch (new seed) sees the digits
// at fresh places, with fresh clutter drawn from the other digits of the batch. The policy noise ε
// is drawn from rng. lr_at(step) is the schedule; bar may be nullptr (tests).
template <class LrFn>
TrainStats train_epoch(RAM& m, Adam& opt, const ImageSet& clean, const Task& task, uint64_t seed, int batch,
                       Rng& rng, LrFn lr_at, const TrainOptions& o, ProgressBar* bar) {
    EpochMeter meter;  // accuracy and time; the three loss terms are summed below
    const std::vector<int> order = shuffled_order(clean.count, rng);
    const RAMConfig& cf = m.cfg;
    RAMActs acts;
    acts.resize(batch, cf);
    Buf x((size_t)batch * cf.H * cf.W), eps((size_t)cf.T * batch * 2);  // x (B,H,W), ε (T,B,2)
    std::vector<int> y(batch);                                           // (B)
    const std::vector<int> all = in_order(batch);
    double ce = 0, pol = 0, bas = 0;
    for (size_t i0 = 0; i0 < order.size(); i0 += batch) {
        const int B = batch_at(order.size(), i0, batch);
        ImageSet imgs = task_images(take_images(clean, {order.begin() + i0, order.begin() + i0 + B}), task, seed * 1000003u + i0 / batch);
        if (imgs.rows != cf.H || imgs.cols != cf.W) fail("train_epoch", "images of " + std::to_string(cf.H) + "x" + std::to_string(cf.W));
        gather_batch(x.data(), y.data(), imgs, all, 0, B);
        for (size_t i = 0; i < (size_t)cf.T * B * 2; i++) eps[i] = rng.normal();
        RAMLoss L = ram_forward(m, acts, x.data(), y.data(), B, eps.data());
        m.params.zero_grad();
        ram_backward(m, acts, y.data(), B, o.w_policy, o.w_baseline);
        if (o.clip > 0) clip_grad_norm(m.params, o.clip);
        opt.lr = lr_at(opt.t);
        opt.step(m.params);
        ce += (double)L.ce * B, pol += (double)L.policy * B, bas += (double)L.baseline * B;
        meter.add_predictions(acts.probs.data(), y.data(), B, cf.V);
        if (bar) {
            char b[96];
            std::snprintf(b, sizeof b, "loss=%.3f, acc=%.3f", (ce + o.w_policy * pol + o.w_baseline * bas) / meter.seen,
                          (double)meter.correct / meter.seen);
            bar->update(meter.seen, b);
        }
    }
    const EpochStats e = meter.stats();
    TrainStats st;
    st.acc = e.acc, st.seconds = e.seconds;
    const double n = (double)std::max<long>(meter.seen, 1);
    st.ce = ce / n, st.policy = pol / n, st.baseline = bas / n;
    st.loss = st.ce + o.w_policy * st.policy + o.w_baseline * st.baseline;
    return st;
}

// ---- evaluation -------------------------------------------------------------------------------
// Accuracy over `data` (already the task's images). mc = 0: one pass looking at the policy's MEANS
// (ε = 0, deterministic). mc = M ≥ 1: M sampled glimpse paths per image (noise from Rng(seed), the
// same for every call), the class log-probabilities averaged over them (paper, sec. 4.1: Monte Carlo).
// loss: the mean cross-entropy of the single passes. predictions (optional): the predicted classes.
inline EpochStats evaluate(RAM& m, const ImageSet& data, int batch, int mc, uint64_t seed,
                           std::vector<int>* predictions = nullptr) {
    const RAMConfig& cf = m.cfg;
    const int V = cf.V, passes = std::max(mc, 1);
    if (data.rows != cf.H || data.cols != cf.W) fail("evaluate", "images of " + std::to_string(cf.H) + "x" + std::to_string(cf.W));
    RAMActs acts;
    acts.resize(batch, cf);
    Buf eps((size_t)cf.T * batch * 2, 0.0f), avg((size_t)batch * V);  // ε (T,B,2), mean log p (B,V)
    Rng rng(seed);
    auto forward = [&](const float* x, const int* y, int B, double& loss_sum) {
        std::fill(avg.begin(), avg.end(), 0.0f);
        for (int p = 0; p < passes; p++) {
            if (mc > 0)
                for (size_t i = 0; i < (size_t)cf.T * B * 2; i++) eps[i] = rng.normal();
            loss_sum += (double)ram_forward(m, acts, x, y, B, eps.data()).ce * B / passes;
            for (size_t i = 0; i < (size_t)B * V; i++) avg[i] += std::log(std::max(acts.probs[i], 1e-30f)) / passes;
        }
        return avg.data();
    };
    return evaluate_images(data, batch, V, forward, predictions);
}

// Where the model looked on images idx of `data`, and what it saw: loc (T,n,2) clamped locations,
// rho (T,n,P) glimpses, probs (n,V). Uses the policy's means (mc = 0) or the first sampled path of
// evaluate's noise stream otherwise.
struct GlimpseTrace {
    int n = 0;
    Buf loc, rho, probs;
};
inline GlimpseTrace trace_glimpses(RAM& m, const ImageSet& data, const std::vector<int>& idx, int mc, uint64_t seed) {
    const RAMConfig& cf = m.cfg;
    GlimpseTrace tr;
    tr.n = (int)idx.size();
    RAMActs a;
    a.resize(tr.n, cf);
    Buf x((size_t)tr.n * cf.H * cf.W), eps((size_t)cf.T * tr.n * 2, 0.0f);
    std::vector<int> y(tr.n);
    gather_batch(x.data(), y.data(), data, idx, 0, tr.n);
    Rng rng(seed);
    if (mc > 0)
        for (float& e : eps) e = rng.normal();
    ram_forward(m, a, x.data(), y.data(), tr.n, eps.data());
    tr.loc.assign(a.loc.begin(), a.loc.begin() + (size_t)cf.T * tr.n * 2);
    tr.rho.assign(a.rho.begin(), a.rho.begin() + (size_t)cf.T * tr.n * cf.P());
    tr.probs.assign(a.probs.begin(), a.probs.begin() + (size_t)tr.n * cf.V);
    return tr;
}

// ---- checkpoints: weights, Adam's state, the random stream and the epochs done ------------------
inline std::string config_str(const RAMConfig& c) {
    std::string s;
    for (int v : {c.H, c.W, c.g, c.k, c.T, c.Dg, c.Dl, c.G, c.C, c.V, (int)c.lstm, c.Lh}) s += std::to_string(v) + " ";
    return s;
}
inline void save_training_state(const std::string& path, const RAM& m, const Adam& opt, const Rng& rng,
                                int epochs_done) {
    attn::save_training_state(path, config_str(m.cfg), m.params, opt, rng, epochs_done);
}
// Returns the number of epochs already done; a model of another configuration refuses the file
// and is left untouched (common/run/training_state.hpp).
inline int load_training_state(const std::string& path, RAM& m, Adam& opt, Rng& rng) {
    return attn::load_training_state(path, config_str(m.cfg),
                                     "use the same --task, --glimpses, --core and sizes as when saving", m.params, opt, rng);
}

}  // namespace ch10
