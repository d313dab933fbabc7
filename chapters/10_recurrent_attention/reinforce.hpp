// reinforce.hpp — learning where to look without a gradient: the Gaussian location policy,
// REINFORCE with a learned baseline, and the reward.
//
// The location l_t is SAMPLED, so the loss is not a differentiable function of where the model
// looked. REINFORCE (Williams 1992; the paper's eq. 1–2) still gives an unbiased gradient of the
// expected reward J = E_{l∼π}[R]:
//
//     ∇J = E[ Σ_t ∇ log π(l_t | μ_t) · (R − b_t) ]
//
// estimated with the one sampled path per image. b_t is a baseline: any quantity that does not
// depend on the sampled l_t leaves the expectation unchanged (E[∇ log π] = 0) but, when it is close
// to E[R], shrinks the variance. Ours is learnt, b_t = h_t w_bᵀ + c_b, by regression on R.
//
// The policy is a Gaussian with a FIXED standard deviation σ around the location network's mean:
//     l_t = μ_t + σ ε_t,  ε_t ∼ N(0, I₂)
//     log π(l | μ) = Σ_d [ −(l_d − μ_d)² / (2σ²) − log(σ √(2π)) ]
//     ∂ log π / ∂μ_d = (l_d − μ_d) / σ²
// The sample itself is the unclamped l_t; the sensor looks at clamp(l_t, −1, 1) (clamping is part
// of the "environment", so it does not change the score function).
//
// Losses, per batch of B images and T locations (our sign: minimised):
//     L_policy   = −(1/B) Σ_b Σ_t log π(l_bt | μ_bt) · A_bt,   A_bt = R_b − b_bt   (b treated as a constant)
//     L_baseline =  (1/(B·T)) Σ_b Σ_t (R_b − b_bt)²                              (h treated as a constant)
// and the model minimises L = L_ce + λ_policy · L_policy + λ_baseline · L_baseline ("hybrid loss").
//
// Shapes: N = T·B rows (step-major: row t·B + b), D = 2 location coordinates.
#pragma once
#include <algorithm>
#include <cmath>
#include <numbers>

namespace ch10 {

// R_b = 1 when the final prediction (argmax of probs) is the label, else 0. probs (B,V).
inline void reward_forward(float* R, const float* probs, const int* y, int B, int V) {
    for (int b = 0; b < B; b++) {
        const float* p = probs + (size_t)b * V;
        R[b] = (int)(std::max_element(p, p + V) - p) == y[b] ? 1.0f : 0.0f;
    }
}

// lraw = μ + σ ε, loc = clamp(lraw, −1, 1). All (N,2).
inline void gaussian_sample_forward(float* lraw, float* loc, const float* mu, const float* eps, float sigma, int N) {
    for (int i = 0; i < N * 2; i++) {
        lraw[i] = mu[i] + sigma * eps[i];
        loc[i] = std::clamp(lraw[i], -1.0f, 1.0f);
    }
}

// log π(l | μ) of each row: logp (N) from l, μ (N,2).
inline void gaussian_log_prob_forward(float* logp, const float* l, const float* mu, float sigma, int N) {
    const float norm = std::log(sigma * std::sqrt(2.0f * std::numbers::pi_v<float>));
    for (int i = 0; i < N; i++) {
        float s = 0.0f;
        for (int d = 0; d < 2; d++) {
            float z = (l[i * 2 + d] - mu[i * 2 + d]) / sigma;
            s += -0.5f * z * z - norm;
        }
        logp[i] = s;
    }
}

// L_policy = −(1/B) Σ_rows logp · adv. logp, adv (N = T·B).
inline float policy_loss_forward(const float* logp, const float* adv, int N, int B) {
    double s = 0;
    for (int i = 0; i < N; i++) s -= (double)logp[i] * adv[i];
    return (float)(s / B);
}
// dmu (N,2) += dloss · ∂L_policy/∂μ, the REINFORCE gradient with the advantage held constant:
//   L_policy = −(1/B) Σ log π(l | μ) · A    →   ∂/∂μ_d = −(1/B) · A · (l_d − μ_d)/σ²
inline void policy_loss_backward(float* dmu, const float* l, const float* mu, const float* adv, float sigma, int N,
                                 int B, float dloss) {
    // BEGIN SOLUTION
    const float c = -dloss / ((float)B * sigma * sigma);
    for (int i = 0; i < N; i++)
        for (int d = 0; d < 2; d++) dmu[i * 2 + d] += c * adv[i] * (l[i * 2 + d] - mu[i * 2 + d]);
    // END SOLUTION
}

// L_baseline = (1/N) Σ_rows (R_b − base)², with R (B) broadcast over the T steps; base (N = T·B).
inline float baseline_loss_forward(const float* base, const float* R, int N, int B) {
    double s = 0;
    for (int i = 0; i < N; i++) {
        double e = (double)R[i % B] - base[i];
        s += e * e;
    }
    return (float)(s / N);
}
// dbase (N) += dloss · ∂L_baseline/∂base = dloss · (−2/N)(R − base)
inline void baseline_loss_backward(float* dbase, const float* base, const float* R, int N, int B, float dloss) {
    for (int i = 0; i < N; i++) dbase[i] += dloss * (-2.0f / (float)N) * (R[i % B] - base[i]);
}

}  // namespace ch10
