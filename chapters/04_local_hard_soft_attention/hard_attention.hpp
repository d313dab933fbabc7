// hard_attention.hpp — hard (stochastic) attention trained with REINFORCE: Xu et al. (2015), "Show,
// Attend and Tell", section 4.1, on top of Williams (1992); the learned baseline as in Mnih et al.
// (2014), "Recurrent Models of Visual Attention".
//
// Soft attention feeds the decoder the AVERAGE c_t = Σ_s α_ts h_s. Hard attention feeds it ONE
// source state, c_t = h_{i_t}, with the position i_t drawn from the same weights:
//
//   training:  i_t ~ Categorical(α_t)          (α_t = masked softmax of the scores e_t, as before)
//   test:      i_t = argmax_s α_ts
//   context:   c_t = Σ_s onehot_ts h_s = h_{i_t}      (the one-hot row as attention weights)
//
// Sampling has no derivative, so the scores learn from the score-function (REINFORCE) estimator.
// Per row b (one decoder step of one sentence) we minimise the SURROGATE loss
//
//   L = Σ_b [ −A_b · log α_b[i_b]  −  β · H(α_b) ],     A_b = r_b − b̂_b  (the advantage),
//   H(α) = −Σ_s α_s log α_s                              (entropy in nats, padded positions excluded)
//
// Its gradient is an unbiased estimate: E_{i~α}[∂L/∂e] = −∂E_{i~α}[r_i]/∂e − β ∂H/∂e (b̂ fixed), so a
// gradient-descent step on L climbs the expected reward and the entropy. Per row:
//   ∂(−log α_i)/∂e_s = α_s − 1[s = i]                    (softmax + log: the cross-entropy gradient)
//   ∂(−H)/∂e_s       = α_s (log α_s + H)                 (so −∂ pushes α towards higher entropy)
// How the caller uses it:
//   * the reward r is the caller's: the per-step log-probability of the correct target word,
//     log p(y_t | …) (or the whole sentence's log-probability, the same r for every step);
//     it is a CONSTANT here — no gradient flows through it into the reward's own computation.
//   * the baseline b̂ is learned by MSE, ½ (b̂ − r)² (baseline_forward/backward below); subtracting it
//     leaves the expectation unchanged (E[∂ log α_i] = 0) but shrinks the variance.
//   * the rest of the network (decoder, output layer, values h_s) trains by ordinary backprop through
//     c_t = h_{i_t}: ∂h_{i_t} += ∂c_t. Do NOT push ∂c_t through the one-hot into α's softmax: the
//     scores learn only from hard_reinforce_backward.
//   * the loss is a SUM over rows; for a batch mean, pass advantage / B and β / B.
//
// Functions:
//   attention_entropy(alpha, len, B, S) -> mean entropy in nats (reported for every variant)
//   hard_sample_forward    (idx, onehot, alpha, len, rng, B, S)         rng = nullptr: argmax
//   hard_reinforce_backward(de, alpha, idx, advantage, entropy_beta, len, B, S)
//   baseline_forward       (bhat, h, w_b, bias, B, H)
//   baseline_backward      (dh, dw_b, dbias, bhat, r, h, w_b, B, H) -> ½ Σ_b (b̂_b − r_b)²
//
// Shape legend: B batch rows, S source positions (padded), H state size the baseline reads.
// len (B): number of real source positions of each row; positions s ≥ len_b are padding.
#pragma once
#include <cmath>
#include <cstddef>

#include "common/core/error.hpp"
#include "common/core/rng.hpp"
#include "common/nn/softmax.hpp"

namespace ch04 {
using namespace attn;

// ---- entropy of attention weights ---------------------------------------------------------------
// H(α) = −Σ_{s<n} α_s log α_s in nats, with 0 · log 0 = 0 (a weight that underflowed to 0 adds nothing)
inline double row_entropy(const float* alpha, int n) {
    double h = 0;
    for (int s = 0; s < n; s++)
        if (alpha[s] > 0) h -= (double)alpha[s] * std::log((double)alpha[s]);
    return h;
}
// alpha is (B,S): the mean over rows with len_b > 0 of H(α_b). 0 for soft attention on one word,
// log(len) for uniform weights, always 0 for hard attention's one-hot rows.
inline double attention_entropy(const float* alpha, const int* len, int B, int S) {
    double sum = 0;
    int rows = 0;
    for (int b = 0; b < B; b++)
        if (len[b] > 0) sum += row_entropy(alpha + (size_t)b * S, len[b]), rows++;
    return rows ? sum / rows : 0.0;
}

// ---- sampling one position -------------------------------------------------------------------
// alpha is (B,S) (the soft weights, 0 on padding), len is (B); idx is (B), onehot is (B,S).
// rng: i_t ~ Categorical(α_t) drawn from it (training); nullptr: i_t = argmax_s α_ts (test, search).
// A row with len_b = 0 has nothing to attend to: idx_b = −1 and an all-zero onehot row (as
// masked_softmax gives an all-zero α row); hard_reinforce_backward skips such rows.
inline void hard_sample_forward(int* idx, float* onehot, const float* alpha, const int* len, Rng* rng, int B, int S) {
    // BEGIN SOLUTION
    for (int b = 0; b < B; b++) {
        ATTN_CHECK(len[b] >= 0 && len[b] <= S, "hard_sample_forward", "0 <= len[b] <= S");
        const float* ab = alpha + (size_t)b * S;
        float* ob = onehot + (size_t)b * S;
        for (int s = 0; s < S; s++) ob[s] = 0.0f;
        if (len[b] == 0) {
            idx[b] = -1;
            continue;
        }
        // i_t ~ Categorical(α_t) while training, argmax_s α_ts at test time; only s < len_b can be drawn
        idx[b] = rng ? rng->categorical(ab, len[b]) : argmax_row(ab, len[b]);
        ob[idx[b]] = 1.0f;  // c_t = Σ_s onehot_ts h_s = h_{i_t}
    }
    // END SOLUTION
}
// The score-function gradient of the surrogate L (file header) w.r.t. the scores e, where
// α = masked_softmax(e). advantage (B) = r_b − b̂_b is the caller's; entropy_beta = β ≥ 0.
// de (B,S) +=; padded positions get exactly 0.
inline void hard_reinforce_backward(float* de, const float* alpha, const int* idx, const float* advantage,
                                    float entropy_beta, const int* len, int B, int S) {
    // BEGIN SOLUTION
    for (int b = 0; b < B; b++) {
        if (idx[b] < 0) continue;  // nothing was attended to
        const float* ab = alpha + (size_t)b * S;
        float* db = de + (size_t)b * S;
        const double A = advantage[b], H = row_entropy(ab, len[b]);
        for (int s = 0; s < len[b]; s++) {
            // −A · log α_i  ->  ∂e_s += A (α_s − 1[s = i])
            double g = A * ((double)ab[s] - (s == idx[b] ? 1.0 : 0.0));
            // −β H(α)  ->  ∂e_s += β α_s (log α_s + H)     (α_s = 0: the term is 0, as α log α -> 0)
            if (ab[s] > 0) g += (double)entropy_beta * ab[s] * (std::log((double)ab[s]) + H);
            db[s] += (float)g;
        }
    }
    // END SOLUTION
}

// ---- the learned baseline b̂ = w_bᵀ h + bias, trained by ½ (b̂ − r)² ----------------------------
// h is (B,H) (e.g. the decoder state the attention query came from), w_b is (H), bias is (1); bhat is (B)
inline void baseline_forward(float* bhat, const float* h, const float* w_b, const float* bias, int B, int H) {
    // BEGIN SOLUTION
    for (int b = 0; b < B; b++) {
        double u = bias[0];
        for (int k = 0; k < H; k++) u += (double)w_b[k] * h[(size_t)b * H + k];  // b̂_b = w_bᵀ h_b + bias
        bhat[b] = (float)u;
    }
    // END SOLUTION
}
// r (B) is the reward the baseline predicts. Adds the gradient of L_b = ½ Σ_b (b̂_b − r_b)² into
// dh (B,H), dw_b (H), dbias (1) (any may be nullptr; dh = nullptr is the usual choice: the baseline
// should not reshape the decoder state) and returns L_b. bhat is forward's output.
inline double baseline_backward(float* dh, float* dw_b, float* dbias, const float* bhat, const float* r,
                                const float* h, const float* w_b, int B, int H) {
    // BEGIN SOLUTION
    double loss = 0;
    for (int b = 0; b < B; b++) {
        const float g = bhat[b] - r[b];  // ½ (b̂ − r)²  ->  ∂b̂ = b̂ − r
        loss += 0.5 * (double)g * g;
        if (dbias) dbias[0] += g;  // b̂ = w_bᵀ h + bias -> ∂bias += ∂b̂, ∂w_b += ∂b̂ h, ∂h += ∂b̂ w_b
        for (int k = 0; k < H; k++) {
            if (dw_b) dw_b[k] += g * h[(size_t)b * H + k];
            if (dh) dh[(size_t)b * H + k] += g * w_b[k];
        }
    }
    return loss;
    // END SOLUTION
}

}  // namespace ch04
