// cross_entropy.hpp — softmax cross-entropy loss over rows of logits, as PyTorch's
// F.cross_entropy(logits, targets, reduction='mean', ignore_index=..., label_smoothing=ε),
// generalised with optional per-row sample weights w_i.
//
//   p_i   = softmax(logits_i)                                  (rows, V)
//   q_i   = (1 − ε)·onehot(t_i) + ε/V                          the smoothed target distribution
//   loss_i = −Σ_j q_ij log p_ij = −(1 − ε) log p_i,t_i − (ε/V) Σ_j log p_ij
//   L     = Σ_i w_i loss_i / Σ_i w_i    over rows with t_i ≠ ignore_index   (w_i = 1 without weights)
//
// With ε = 0 and no weights this is the usual mean negative log-likelihood. Rows whose target
// is ignore_index (padding) count nowhere: not in the sum, not in the denominator. If no row
// counts (or their weights sum to 0), L = 0 and the backward adds nothing.
#pragma once
#include "common/nn/softmax.hpp"  // argmax_row lives there

namespace attn {

// probs   (rows, V)  out: softmax of the logits, the cache the backward needs
// losses  (rows)     out: the unweighted loss_i of each row, 0 for ignored rows; may be nullptr
// logits  (rows, V); targets (rows) in [0, V) or == ignore_index; weights (rows) or nullptr
// ignore_index: a target value to skip (e.g. the padding id), or any negative number for none.
// A target outside [0, V) that is not ignore_index is an attn::Error naming the row.
// Returns L, the weighted mean loss.
float cross_entropy_forward(float* probs, float* losses, const float* logits, const int* targets,
                            const float* weights, int rows, int V, int ignore_index, float label_smoothing);
// dlogits (rows, V) += dloss · ∂L/∂logits = dloss · w_i / Σw · (p_i − q_i)   (0 for ignored rows)
// accumulate = false: dlogits = that instead of += (not cleared first; the same bits as adding into zeros:
// one pass over dlogits instead of a clear and a read-modify-write).
void cross_entropy_backward(float* dlogits, const float* probs, const int* targets, const float* weights, int rows,
                            int V, int ignore_index, float label_smoothing, float dloss, bool accumulate = true);

}  // namespace attn
