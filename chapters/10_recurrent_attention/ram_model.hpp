// ram_model.hpp — chapter 10's model: the Recurrent Attention Model (RAM) of Mnih et al. 2014.
//
//            h_0 = 0
//   for t = 0 .. T−1:
//      μ_t = tanh(h_t W_μᵀ + b_μ)                 location network (the policy's mean; cfg.Lh > 0
//                                                 puts a relu hidden layer before it)
//      b_t = h_t w_bᵀ + c_b                       baseline network (h_t detached)
//      l_t = μ_t + σ ε_t      (sampled; clamp(l_t, −1, 1) is where the sensor looks; detached)
//      g_t = f_g(ρ(x, l_t), l_t)                  glimpse sensor + glimpse network (glimpse.hpp)
//      h_{t+1} = relu(h_t W_hᵀ + g_t W_iᵀ + b_h)  core RNN (or an LSTM cell: cfg.lstm)
//   logits = h_T W_aᵀ + b_a                       action network: classify after the last glimpse
//
//   x ──ρ(x,l_t)──▶ f_g ──g_t──▶ core ──h_{t+1}──▶ ... ──h_T──▶ action ──▶ softmax + CE
//        ▲                        │
//        └── l_t ∼ N(μ_t, σ²) ◀── location net          (REINFORCE, reinforce.hpp)
//                                 baseline net ──▶ b_t   (regression on the reward)
//
// The first location comes from h_0 = 0, so μ_0 = tanh(b_μ): a learnt starting point.
// Hybrid loss: L = CE + λ_policy·L_policy + λ_baseline·L_baseline (reinforce.hpp). With
// λ_policy = 0 ("no REINFORCE", the ablation) the location network gets no gradient at all and
// keeps its random initial weights: the model still learns to classify from wherever that random
// policy looks, which is the mistake of the PyTorch seed example.
//
// Shapes: B batch, T glimpses, H×W image, P = k·g·g sensor outputs, Dg, Dl glimpse features,
// G glimpse vector, C core hidden size, V classes. Per-step buffers are step-major, (T,B,·), so
// that all T steps of a layer can be processed as one (T·B)-row matrix in the backward pass.
#pragma once
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "chapters/10_recurrent_attention/glimpse.hpp"
#include "chapters/10_recurrent_attention/reinforce.hpp"
#include "common/nn/activations.hpp"
#include "common/core/buffer.hpp"
#include "common/nn/cross_entropy.hpp"
#include "common/nn/init.hpp"
#include "common/nn/lstm.hpp"
#include "common/core/matmul.hpp"
#include "common/core/params.hpp"
#include "common/core/rng.hpp"

namespace ch10 {
using namespace attn;

struct RAMConfig {
    int H = 60, W = 60;       // image side
    int g = 12, k = 3;        // glimpse: k scales of g×g
    int T = 6;                // glimpses
    int Dg = 128, Dl = 128;   // "what" and "where" features
    int G = 256, C = 256;     // glimpse vector, core hidden size
    int V = 10;               // classes
    float sigma = 0.2f;       // the location policy's standard deviation (in [−1,1] units)
    bool lstm = false;        // core: relu RNN (paper, MNIST tasks) or LSTM
    bool detach_loc = true;   // true: the policy gradient trains only the location net, not the core
    int Lh = 0;               // location net: 0 = μ = tanh(h W_μᵀ + b_μ); > 0 = a relu hidden layer of Lh first
    int P() const { return k * g * g; }
};

struct RAM {
    RAMConfig cfg;
    ParamSet params;
    Tensor W_what, b_what, W_where, b_where, W_g, W_l, b_g;  // glimpse network (see glimpse.hpp)
    Tensor W_h, W_i, b_h;                                    // relu core: (C,C), (C,G), (C)
    LSTMParams lstm;                                         // LSTM core: W_ih (4C,G), W_hh (4C,C), biases
    Tensor W_loc, b_loc;                                     // location net hidden layer (Lh > 0): (Lh,C), (Lh)
    Tensor W_mu, b_mu;                                       // location net: (2,C or Lh), (2)
    Tensor W_b, b_b;                                         // baseline net: (1,C), (1)
    Tensor W_a, b_a;                                         // action net: (V,C), (V)
};

inline GlimpseNetParams glimpse_params(const RAM& m) {
    return {m.W_what.data, m.b_what.data, m.W_where.data, m.b_where.data, m.W_g.data, m.W_l.data, m.b_g.data};
}
inline GlimpseNetGrads glimpse_grads(const RAM& m) {
    return {m.W_what.grad, m.b_what.grad, m.W_where.grad, m.b_where.grad, m.W_g.grad, m.W_l.grad, m.b_g.grad};
}

// PyTorch's nn.Linear initialisation, U(±1/√fan_in), for every layer (the usual choice of RAM
// implementations); the LSTM has its own (lstm_init).
inline void init_linear(Tensor& W, Tensor* b, int fan_in, Rng& rng) {
    init_kaiming_uniform(W, rng, fan_in, 1.0f / std::sqrt(3.0f));
    if (b) init_uniform(*b, rng, -1.0f / std::sqrt((float)fan_in), 1.0f / std::sqrt((float)fan_in));
}

inline void ram_init(RAM& m, const RAMConfig& c, Rng& rng) {
    m.cfg = c;
    ParamSet& p = m.params;
    p.add(m.W_what, "glimpse.what.weight", {c.Dg, c.P()}), p.add(m.b_what, "glimpse.what.bias", {c.Dg});
    p.add(m.W_where, "glimpse.where.weight", {c.Dl, 2}), p.add(m.b_where, "glimpse.where.bias", {c.Dl});
    p.add(m.W_g, "glimpse.out.weight_what", {c.G, c.Dg}), p.add(m.W_l, "glimpse.out.weight_where", {c.G, c.Dl});
    p.add(m.b_g, "glimpse.out.bias", {c.G});
    if (c.lstm) lstm_declare(p, m.lstm, "core.lstm", c.G, c.C);
    else {
        p.add(m.W_h, "core.rnn.weight_hh", {c.C, c.C}), p.add(m.W_i, "core.rnn.weight_ih", {c.C, c.G});
        p.add(m.b_h, "core.rnn.bias", {c.C});
    }
    if (c.Lh > 0) p.add(m.W_loc, "location.hidden.weight", {c.Lh, c.C}), p.add(m.b_loc, "location.hidden.bias", {c.Lh});
    p.add(m.W_mu, "location.mean.weight", {2, c.Lh > 0 ? c.Lh : c.C}), p.add(m.b_mu, "location.mean.bias", {2});
    p.add(m.W_b, "baseline.weight", {1, c.C}), p.add(m.b_b, "baseline.bias", {1});
    p.add(m.W_a, "action.weight", {c.V, c.C}), p.add(m.b_a, "action.bias", {c.V});
    p.allocate();
    init_linear(m.W_what, &m.b_what, c.P(), rng);
    init_linear(m.W_where, &m.b_where, 2, rng);
    init_linear(m.W_g, &m.b_g, c.Dg + c.Dl, rng);
    init_linear(m.W_l, nullptr, c.Dg + c.Dl, rng);
    if (c.lstm) lstm_init(m.lstm, rng, c.C);
    else {
        init_linear(m.W_h, &m.b_h, c.C + c.G, rng);
        init_linear(m.W_i, nullptr, c.C + c.G, rng);
    }
    if (c.Lh > 0) init_linear(m.W_loc, &m.b_loc, c.C, rng);
    init_linear(m.W_mu, &m.b_mu, c.Lh > 0 ? c.Lh : c.C, rng);
    init_linear(m.W_b, &m.b_b, c.C, rng);
    init_linear(m.W_a, &m.b_a, c.C, rng);
}

// Everything the forward pass keeps for the backward pass, allocated once for a batch size.
struct RAMActs {
    int B = 0;
    Buf mu, lraw, loc;                // (T,B,2) policy mean, the sample, where the sensor looked
    Buf lh_pre, lh;                   // (T,B,Lh) the location net's hidden layer (Lh > 0)
    Buf base, logp, adv;              // (T,B) baseline, log π(l|μ), advantage R − b
    Buf rho;                          // (T,B,P) what the sensor saw
    Buf hg_pre, hg, hl_pre, hl;       // (T,B,Dg), (T,B,Dg), (T,B,Dl), (T,B,Dl)
    Buf g_pre, g;                     // (T,B,G)
    Buf h;                            // (T+1,B,C) h_0 = 0 .. h_T
    Buf core_pre;                     // (T,B,C) relu core: the pre-activation
    Buf c, gates, tanh_c, scratch;    // LSTM core: (T+1,B,C), (T,B,4C), (T,B,C), cell scratch
    Buf logits, probs;                // (B,V)
    Buf R;                            // (B) reward
    // backward
    Buf dh, dcore, dmu, dlh, dbase, dg, dg_pre, dhg, dhl, dlogits, dc, dc2;
    void resize(int batch, const RAMConfig& cf) {
        B = batch;
        const size_t TB = (size_t)cf.T * B, C = cf.C;
        mu.resize(TB * 2), lraw.resize(TB * 2), loc.resize(TB * 2), dmu.resize(TB * 2);
        lh_pre.resize(TB * cf.Lh), lh.resize(TB * cf.Lh), dlh.resize(TB * cf.Lh);
        base.resize(TB), logp.resize(TB), adv.resize(TB), dbase.resize(TB);
        rho.resize(TB * cf.P());
        hg_pre.resize(TB * cf.Dg), hg.resize(TB * cf.Dg), dhg.resize(TB * cf.Dg);
        hl_pre.resize(TB * cf.Dl), hl.resize(TB * cf.Dl), dhl.resize(TB * cf.Dl);
        g_pre.resize(TB * cf.G), g.resize(TB * cf.G), dg.resize(TB * cf.G), dg_pre.resize(TB * cf.G);
        h.resize((TB + B) * C), dh.resize((TB + B) * C);
        core_pre.resize(TB * C), dcore.resize(TB * C);
        if (cf.lstm) {
            c.resize((TB + B) * C), gates.resize(TB * 4 * C), tanh_c.resize(TB * C);
            scratch.resize(lstm_cell_scratch_size(B, cf.C));
            dc.resize((size_t)B * C), dc2.resize((size_t)B * C);
        }
        logits.resize((size_t)B * cf.V), probs.resize((size_t)B * cf.V), dlogits.resize((size_t)B * cf.V);
        R.resize(B);
    }
};

struct RAMLoss {
    float ce = 0, policy = 0, baseline = 0;
    float total(float w_policy, float w_baseline) const { return ce + w_policy * policy + w_baseline * baseline; }
};

// ---- the core: one step ----------------------------------------------------------------------
// h_new (B,C) from h (B,C) and g (B,G). Relu core: pre (B,C) is cached. LSTM: c, c_new (B,C),
// gates (B,4C), tanh_c (B,C) as common/nn/lstm.hpp.
inline void core_step_forward(RAM& m, RAMActs& a, int t, int B) {
    const RAMConfig& cf = m.cfg;
    const size_t BC = (size_t)B * cf.C;
    const float* h = a.h.data() + t * BC;
    float* h_new = a.h.data() + (t + 1) * BC;
    const float* g = a.g.data() + (size_t)t * B * cf.G;
    if (cf.lstm) {
        lstm_cell_forward(h_new, a.c.data() + (t + 1) * BC, a.gates.data() + t * 4 * BC, a.tanh_c.data() + t * BC, g,
                          h, a.c.data() + t * BC, m.lstm, B, cf.G, cf.C, a.scratch.data());
        return;
    }
    float* pre = a.core_pre.data() + t * BC;
    linear_forward(pre, h, m.W_h.data, m.b_h.data, B, cf.C, cf.C);  // pre = h W_hᵀ + b_h
    matmul_nt(pre, g, m.W_i.data, B, cf.G, cf.C, /*accumulate=*/true);  //     + g W_iᵀ
    relu_forward(h_new, pre, (int)BC);                                 // h_new = relu(pre)
}

// The step's backward: dh_{t+1} (B,C) must be complete (from step t+1 and the location network)
// when step t is reached; adds into dh_t (B,C). The LSTM cell adds its weight gradients and dg_t
// here too, and carries the cell's gradient from dc_{t+1} (a.dc) to dc_t (left in a.dc for step
// t−1). The relu core keeps dpre_t (a.dcore) and leaves its weight gradients and dg_t to
// core_weights_backward, which does all T steps as one (T·B)-row product after the last step: the
// same sums in fewer, larger calls.
inline void core_step_backward(RAM& m, RAMActs& a, int t, int B) {
    // BEGIN SOLUTION
    const RAMConfig& cf = m.cfg;
    const size_t BC = (size_t)B * cf.C;
    if (cf.lstm) {
        std::fill(a.dc2.begin(), a.dc2.end(), 0.0f);
        lstm_cell_backward(a.dg.data() + (size_t)t * B * cf.G, a.dh.data() + t * BC, a.dc2.data(), m.lstm,
                           a.dh.data() + (t + 1) * BC, a.dc.data(), a.gates.data() + t * 4 * BC,
                           a.tanh_c.data() + t * BC, a.g.data() + (size_t)t * B * cf.G, a.h.data() + t * BC,
                           a.c.data() + t * BC, B, cf.G, cf.C, a.scratch.data());
        std::swap(a.dc, a.dc2);  // dc_t, for step t−1
        return;
    }
    // h_{t+1} = relu(pre_t)             →  dpre_t = dh_{t+1} ⊙ [pre_t > 0]
    float* dpre = a.dcore.data() + t * BC;
    const float* pre = a.core_pre.data() + t * BC;
    const float* dhn = a.dh.data() + (t + 1) * BC;
    for (size_t i = 0; i < BC; i++) dpre[i] = pre[i] > 0.0f ? dhn[i] : 0.0f;
    // pre_t = h_t W_hᵀ + g_t W_iᵀ + b_h  →  dh_t += dpre_t W_h
    matmul_nn(a.dh.data() + t * BC, dpre, m.W_h.data, B, cf.C, cf.C, /*accumulate=*/true);
    // END SOLUTION
}

// The relu core's weight gradients and dg_t, for all T steps at once (T·B rows), once
// core_step_backward has run for every step:
//   pre_t = h_t W_hᵀ + g_t W_iᵀ + b_h  →  dW_h += Σ_t dpre_tᵀ h_t,  db_h += Σ_t dpre_t,
//                                          dW_i += Σ_t dpre_tᵀ g_t,  dg_t += dpre_t W_i
// (the LSTM cell's came with each step).
inline void core_weights_backward(RAM& m, RAMActs& a, int B) {
    const RAMConfig& cf = m.cfg;
    if (cf.lstm) return;
    const int N = cf.T * B;
    linear_backward(nullptr, m.W_h.grad, m.b_h.grad, a.dcore.data(), a.h.data(), m.W_h.data, N, cf.C, cf.C);
    linear_backward(a.dg.data(), m.W_i.grad, nullptr, a.dcore.data(), a.g.data(), m.W_i.data, N, cf.G, cf.C);
}

// ---- the model -------------------------------------------------------------------------------

// x (B,H,W), y (B) labels, eps (T,B,2) standard normal noise (all zeros: look at the means).
// fixed_lraw (T,B,2), optional: replay these sampled locations instead of μ + σε (gradient checks).
// fixed_adv (T,B), optional: use this advantage instead of R − b (gradient checks: the advantage is a
// constant of the policy loss). Returns the three losses; a.probs, a.R, a.loc hold the rest.
inline RAMLoss ram_forward(RAM& m, RAMActs& a, const float* x, const int* y, int B, const float* eps,
                           const float* fixed_lraw = nullptr, const float* fixed_adv = nullptr) {
    const RAMConfig& cf = m.cfg;
    const int T = cf.T, C = cf.C, P = cf.P();
    std::fill(a.h.begin(), a.h.begin() + (size_t)B * C, 0.0f);  // h_0 = 0
    if (cf.lstm) std::fill(a.c.begin(), a.c.begin() + (size_t)B * C, 0.0f);
    const GlimpseNetParams gp = glimpse_params(m);
    for (int t = 0; t < T; t++) {
        const size_t r = (size_t)t * B;  // first row of step t
        const float* h = a.h.data() + r * C;
        float* mu = a.mu.data() + r * 2;
        if (cf.Lh > 0) {  // μ_t = tanh(relu(h_t W_locᵀ + b_loc) W_μᵀ + b_μ)
            float *pre = a.lh_pre.data() + r * cf.Lh, *lh = a.lh.data() + r * cf.Lh;
            linear_forward(pre, h, m.W_loc.data, m.b_loc.data, B, C, cf.Lh);
            relu_forward(lh, pre, B * cf.Lh);
            linear_forward(mu, lh, m.W_mu.data, m.b_mu.data, B, cf.Lh, 2);
        } else linear_forward(mu, h, m.W_mu.data, m.b_mu.data, B, C, 2);  // μ_t = tanh(h_t W_μᵀ + b_μ)
        tanh_forward(mu, mu, B * 2);
        linear_forward(a.base.data() + r, h, m.W_b.data, m.b_b.data, B, C, 1);  // b_t = h_t w_bᵀ + c_b
        if (fixed_lraw) {
            std::copy_n(fixed_lraw + r * 2, (size_t)B * 2, a.lraw.data() + r * 2);
            for (size_t i = r * 2; i < (r + B) * 2; i++) a.loc[i] = std::clamp(a.lraw[i], -1.0f, 1.0f);
        } else gaussian_sample_forward(a.lraw.data() + r * 2, a.loc.data() + r * 2, mu, eps + r * 2, cf.sigma, B);
        glimpse_sensor_forward(a.rho.data() + r * P, x, a.loc.data() + r * 2, B, cf.H, cf.W, cf.g, cf.k);
        glimpse_net_forward(a.g.data() + r * cf.G, a.g_pre.data() + r * cf.G, a.hg.data() + r * cf.Dg,
                            a.hg_pre.data() + r * cf.Dg, a.hl.data() + r * cf.Dl, a.hl_pre.data() + r * cf.Dl,
                            a.rho.data() + r * P, a.loc.data() + r * 2, gp, B, P, cf.Dg, cf.Dl, cf.G);
        core_step_forward(m, a, t, B);
    }
    const float* hT = a.h.data() + (size_t)T * B * C;
    linear_forward(a.logits.data(), hT, m.W_a.data, m.b_a.data, B, C, cf.V);  // logits = h_T W_aᵀ + b_a
    RAMLoss L;
    L.ce = cross_entropy_forward(a.probs.data(), nullptr, a.logits.data(), y, nullptr, B, cf.V, -1, 0.0f);
    reward_forward(a.R.data(), a.probs.data(), y, B, cf.V);
    const int N = T * B;
    for (int i = 0; i < N; i++) a.adv[i] = fixed_adv ? fixed_adv[i] : a.R[i % B] - a.base[i];
    gaussian_log_prob_forward(a.logp.data(), a.lraw.data(), a.mu.data(), cf.sigma, N);
    L.policy = policy_loss_forward(a.logp.data(), a.adv.data(), N, B);
    L.baseline = baseline_loss_forward(a.base.data(), a.R.data(), N, B);
    return L;
}

// The same arrows in reverse, for L = CE + w_policy·L_policy + w_baseline·L_baseline. Gradients are
// added into m.params.grad (zero it first). The sampled locations are constants (no gradient through
// l into the glimpse), the advantage is a constant of the policy term, and h is a constant of the
// baseline term.
inline void ram_backward(RAM& m, RAMActs& a, const int* y, int B, float w_policy, float w_baseline) {
    // BEGIN SOLUTION
    const RAMConfig& cf = m.cfg;
    const int T = cf.T, C = cf.C, N = T * B;
    const size_t BC = (size_t)B * C;
    std::fill(a.dh.begin(), a.dh.end(), 0.0f), std::fill(a.dlogits.begin(), a.dlogits.end(), 0.0f);
    std::fill(a.dmu.begin(), a.dmu.end(), 0.0f), std::fill(a.dbase.begin(), a.dbase.end(), 0.0f);
    std::fill(a.dg.begin(), a.dg.end(), 0.0f), std::fill(a.dc.begin(), a.dc.end(), 0.0f);
    // loss = CE(logits, y)                  →  dlogits = (softmax − onehot(y)) / B
    cross_entropy_backward(a.dlogits.data(), a.probs.data(), y, nullptr, B, cf.V, -1, 0.0f, 1.0f);
    // logits = h_T W_aᵀ + b_a               →  dh_T, dW_a, db_a
    linear_backward(a.dh.data() + T * BC, m.W_a.grad, m.b_a.grad, a.dlogits.data(), a.h.data() + T * BC, m.W_a.data,
                    B, C, cf.V);
    // L_policy = −(1/B) Σ log π(l|μ)·A      →  dμ = −(1/B)·A·(l − μ)/σ²    (reinforce.hpp)
    // μ = tanh(pre), pre = h W_μᵀ + b_μ    →  dpre = dμ ⊙ (1 − μ²), then dh_t (all T steps at once)
    if (w_policy != 0.0f) {
        policy_loss_backward(a.dmu.data(), a.lraw.data(), a.mu.data(), a.adv.data(), cf.sigma, N, B, w_policy);
        for (int i = 0; i < N * 2; i++) a.dmu[i] *= 1.0f - a.mu[i] * a.mu[i];
        float* dh = cf.detach_loc ? nullptr : a.dh.data();
        if (cf.Lh > 0) {  // (the hidden layer: pre = h W_locᵀ + b_loc, lh = relu(pre), μ-pre = lh W_μᵀ + b_μ)
            std::fill(a.dlh.begin(), a.dlh.end(), 0.0f);
            linear_backward(a.dlh.data(), m.W_mu.grad, m.b_mu.grad, a.dmu.data(), a.lh.data(), m.W_mu.data, N, cf.Lh, 2);
            for (size_t i = 0; i < (size_t)N * cf.Lh; i++) a.dlh[i] = a.lh_pre[i] > 0.0f ? a.dlh[i] : 0.0f;
            linear_backward(dh, m.W_loc.grad, m.b_loc.grad, a.dlh.data(), a.h.data(), m.W_loc.data, N, C, cf.Lh);
        } else linear_backward(dh, m.W_mu.grad, m.b_mu.grad, a.dmu.data(), a.h.data(), m.W_mu.data, N, C, 2);
    }
    // L_baseline = mean (R − b)²; b = h w_bᵀ + c_b  →  dw_b, dc_b (h detached: no dh)
    if (w_baseline != 0.0f) {
        baseline_loss_backward(a.dbase.data(), a.base.data(), a.R.data(), N, B, w_baseline);
        linear_backward(nullptr, m.W_b.grad, m.b_b.grad, a.dbase.data(), a.h.data(), m.W_b.data, N, C, 1);
    }
    // The core, back through time: dh_{t+1} is complete (from the step after it and the location net)
    // when step t is reached.
    for (int t = T - 1; t >= 0; t--) core_step_backward(m, a, t, B);
    core_weights_backward(m, a, B);
    // g_t = f_g(ρ_t, l_t), all steps at once  →  the glimpse network's gradients (none to ρ or l)
    glimpse_net_backward(glimpse_grads(m), a.dg_pre.data(), a.dhg.data(), a.dhl.data(), a.dg.data(), a.g_pre.data(),
                         a.hg.data(), a.hg_pre.data(), a.hl.data(), a.hl_pre.data(), a.rho.data(), a.loc.data(),
                         glimpse_params(m), N, cf.P(), cf.Dg, cf.Dl, cf.G);
    // END SOLUTION
}

}  // namespace ch10
