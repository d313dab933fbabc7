// packed_rows.cpp — gather the rows that count, scatter their gradients back; see packed_rows.hpp.
#include "common/nn/packed_rows.hpp"

#include <algorithm>
#include <cstddef>

#include "common/core/matmul.hpp"
#include "common/nn/cross_entropy.hpp"

namespace attn {

void pack_rows(PackedRows& p, const float* x, const int* targets, int rows, int K, int ignore_index) {
    p.rows.clear(), p.targets.clear();
    for (int i = 0; i < rows; i++)
        if (targets[i] != ignore_index) p.rows.push_back(i), p.targets.push_back(targets[i]);
    p.R = (int)p.rows.size();
    const size_t n = (size_t)p.R * K;
    if (p.x.size() < n) p.x.resize(n), p.dx.resize(n);
    for (int r = 0; r < p.R; r++) std::copy_n(x + (size_t)p.rows[r] * K, K, p.x.data() + (size_t)r * K);
}

void unpack_rows_add(float* dx, const PackedRows& p, int K) {
    for (int r = 0; r < p.R; r++) {
        const float* src = p.dx.data() + (size_t)r * K;
        float* dst = dx + (size_t)p.rows[r] * K;
        for (int k = 0; k < K; k++) dst[k] += src[k];
    }
}

float packed_output_forward(PackedRows& p, float* logits, float* probs, const float* x, const int* targets,
                            const float* W, const float* b, int rows, int K, int V, int ignore_index, float smoothing) {
    pack_rows(p, x, targets, rows, K, ignore_index);
    linear_forward(logits, p.x.data(), W, b, p.R, K, V);  // logits = p.x Wᵀ + b
    // every packed row counts (-1: no target to ignore), so L is the mean over the R rows
    return cross_entropy_forward(probs, nullptr, logits, p.targets.data(), nullptr, p.R, V, -1, smoothing);
}

void packed_output_backward(float* dx, float* dW, float* db, PackedRows& p, float* dlogits, const float* probs,
                            const float* W, int K, int V, float smoothing) {
    // L = CE(logits) → dlogits = (softmax − q) / R, written (not added: nothing to clear first)
    cross_entropy_backward(dlogits, probs, p.targets.data(), nullptr, p.R, V, -1, smoothing, 1.0f, false);
    // logits = p.x Wᵀ + b → p.dx (written), dW, db (added); then p.dx back to the rows it came from
    linear_backward(p.dx.data(), dW, db, dlogits, p.x.data(), W, p.R, K, V, false);
    unpack_rows_add(dx, p, K);
}

}  // namespace attn
