// cross_entropy.cpp — softmax cross-entropy with ignore_index, label smoothing and sample
// weights (equations in cross_entropy.hpp).
#include "common/nn/cross_entropy.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "common/core/error.hpp"
#include "common/core/reduce.hpp"
#include "common/core/vmath.hpp"  // vexp, vtanh, vsigmoid on VL floats
#include "common/core/thread_pool.hpp"

namespace attn {

namespace {
constexpr int kMinWork = 1 << 14;  // elements per thread before splitting rows is worth it

bool counts(const int* targets, int i, int ignore_index) { return !(ignore_index >= 0 && targets[i] == ignore_index); }

// Σ_i w_i over the rows that count (the denominator of the mean)
double weight_total(const int* targets, const float* weights, int rows, int ignore_index) {
    double total = 0.0;
    for (int i = 0; i < rows; i++)
        if (counts(targets, i, ignore_index)) total += weights ? weights[i] : 1.0f;
    return total;
}

// Rows [i, i + G) of the forward: probs, and loss[r] of each row that counts. A row's two sums (in
// double, in order) are chains of dependent additions, each waiting for the last (about 4 cycles a
// term, 4,244 terms a row of chapter 02's vocabulary): G rows run their chains side by side, each in
// its own order, so every row gets the numbers it gets alone (G = 1), several times faster.
constexpr int kRowsTogether = 4;
template <int G>
void loss_rows(float* probs, double* loss, const float* logits, const int* targets, int i, int V, int ignore_index,
               float eps) {
    const float* x = logits + (size_t)i * V;  // row i + g at x + g·V, p + g·V
    float* p = probs + (size_t)i * V;
    float m[G];
    for (int g = 0; g < G; g++) {
        // log p_j = x_j − lse,  lse = m + log Σ_k e^{x_k − m}   (computed from the logits, not
        // as log(p_j): a probability that underflowed to 0 would make the loss inf)
        m[g] = max_lanes(x + (size_t)g * V, V);  // m = max_j x_j
        // e^{x_j − m}, then the sums. Two loops, the same numbers: a sum carried through a loop that
        // calls exp() is stored and reloaded around every call.
        for (int j = 0; j < V; j += vm::VL) {  // VL at a time (vmath.hpp)
            const int n = std::min(vm::VL, V - j);
            vm::store_n(p + (size_t)g * V + j, vm::vexp(vm::load_n(x + (size_t)g * V + j, n) - m[g]), n);
        }
    }
    double sum[G] = {}, sum_x[G] = {};  // Σ_j e^{x_j − m} and Σ_j x_j, in double, in order
    for (int j = 0; j < V; j++)
        for (int g = 0; g < G; g++) {
            sum[g] += p[(size_t)g * V + j];
            sum_x[g] += x[(size_t)g * V + j];
        }
    for (int g = 0; g < G; g++) {
        float inv = (float)(1.0 / sum[g]);
        for (int j = 0; j < V; j++) p[(size_t)g * V + j] *= inv;
        if (!counts(targets, i + g, ignore_index)) continue;  // padding: probs still filled, loss 0
        double lse = m[g] + std::log(sum[g]);
        double logp_t = x[(size_t)g * V + targets[i + g]] - lse;
        double sum_logp = sum_x[g] - V * lse;  // Σ_j log p_j = Σ_j x_j − V·lse
        // loss_i = −(1 − ε) log p_t − (ε/V) Σ_j log p_j
        loss[i + g] = -(1.0 - eps) * logp_t - (eps / V) * sum_logp;
    }
}
}  // namespace

// logits, probs are (rows, V); targets, weights, losses are (rows)
float cross_entropy_forward(float* probs, float* losses, const float* logits, const int* targets,
                            const float* weights, int rows, int V, int ignore_index, float label_smoothing) {
    // validate first, on this thread: an exception must not escape a worker
    if (!(label_smoothing >= 0.0f && label_smoothing <= 1.0f))  // written this way so NaN fails too
        fail("cross_entropy_forward", "expected label_smoothing in [0, 1], found " + std::to_string(label_smoothing),
             "0.1 is the usual value (Vaswani et al. 2017)");
    for (int i = 0; i < rows; i++)
        if (counts(targets, i, ignore_index) && (targets[i] < 0 || targets[i] >= V))
            fail("cross_entropy_forward",
                 "expected target[" + std::to_string(i) + "] in [0, " + std::to_string(V) + ")" +
                     (ignore_index >= 0 ? " or == ignore_index " + std::to_string(ignore_index) : std::string()) +
                     ", found " + std::to_string(targets[i]),
                 "do the targets and the output layer use the same vocabulary?");
    const float eps = label_smoothing;
    std::vector<double> row_loss(rows, 0.0);  // per-row losses, summed below in a fixed order
    parallel_for(rows, [&](int r0, int r1) {
        int i = r0;
        for (; i + kRowsTogether <= r1; i += kRowsTogether)
            loss_rows<kRowsTogether>(probs, row_loss.data(), logits, targets, i, V, ignore_index, eps);
        for (; i < r1; i++) loss_rows<1>(probs, row_loss.data(), logits, targets, i, V, ignore_index, eps);
    }, std::max(1, kMinWork / std::max(V, 1)));

    // L = Σ_i w_i loss_i / Σ_i w_i, summed serially in row order: the same for any thread count
    double num = 0.0;
    for (int i = 0; i < rows; i++) {
        if (losses) losses[i] = (float)row_loss[i];
        if (counts(targets, i, ignore_index)) num += (weights ? weights[i] : 1.0f) * row_loss[i];
    }
    double den = weight_total(targets, weights, rows, ignore_index);
    return den != 0.0 ? (float)(num / den) : 0.0f;
}
// forward: L = Σ_i w_i loss_i / W,  loss_i = −Σ_j q_ij log p_ij,  W = Σ_i w_i.
//   ∂loss_i/∂x_ij = Σ_k q_ik (p_ij − δ_kj) = p_ij − q_ij    (Σ_k q_ik = 1)
//   dx_ij += dloss · (w_i / W) · (p_ij − q_ij),  q_ij = (1 − ε)[j = t_i] + ε/V
void cross_entropy_backward(float* dlogits, const float* probs, const int* targets, const float* weights, int rows,
                            int V, int ignore_index, float label_smoothing, float dloss, bool accumulate) {
    double den = weight_total(targets, weights, rows, ignore_index);
    if (den == 0.0 && accumulate) return;  // no row counted: L = 0 is a constant, nothing to add
    const float eps = label_smoothing;
    const float q_off = eps / V;            // q_ij for j ≠ t_i
    const float q_on = 1.0f - eps + q_off;  // q_ij for j = t_i
    parallel_for(rows, [&](int r0, int r1) {
        for (int i = r0; i < r1; i++) {
            float* dx = dlogits + (size_t)i * V;
            // no row counted (den = 0, only when writing), or not this one: its gradient is 0
            if (den == 0.0 || !counts(targets, i, ignore_index)) {
                if (!accumulate) std::fill_n(dx, V, 0.0f);
                continue;
            }
            float scale = (float)(dloss * (weights ? weights[i] : 1.0f) / den);
            const float* p = probs + (size_t)i * V;
            int t = targets[i];
            if (accumulate)
                for (int j = 0; j < V; j++) dx[j] += scale * (p[j] - (j == t ? q_on : q_off));
            else  // 0 + g, as += into zeros gives (a −0 gradient becomes +0)
                for (int j = 0; j < V; j++) dx[j] = 0.0f + scale * (p[j] - (j == t ? q_on : q_off));
        }
    }, std::max(1, kMinWork / std::max(V, 1)));
}

}  // namespace attn
