#include "common/nn/embedding_bag.hpp"

#include <string>

#include "common/core/error.hpp"
#include "common/core/thread_pool.hpp"

namespace attn {

void embedding_bag_forward(float* out, const int* ids, const int* offsets, const float* table, int N, int C,
                           int V) {
    for (int j = 0; j < offsets[N]; j++)
        if (ids[j] < 0 || ids[j] >= V)
            fail("embedding_bag_forward", "ids in [0, " + std::to_string(V) + "), found " +
                                              std::to_string(ids[j]) + " at position " + std::to_string(j));
    parallel_for(N, [&](int n0, int n1) {  // each thread owns output rows [n0, n1)
        for (int n = n0; n < n1; n++) {
            float* o = out + (size_t)n * C;
            for (int c = 0; c < C; c++) o[c] = 0;
            const int k = offsets[n + 1] - offsets[n];
            if (k == 0) continue;
            for (int j = offsets[n]; j < offsets[n + 1]; j++) {  // Σ_j table[ids[j]]
                const float* t = table + (size_t)ids[j] * C;
                for (int c = 0; c < C; c++) o[c] += t[c];
            }
            const float inv = 1.0f / (float)k;  // the mean
            for (int c = 0; c < C; c++) o[c] *= inv;
        }
    });
}

void embedding_bag_backward(float* dtable, const float* dout, const int* ids, const int* offsets, int N,
                            int C) {
    // out[n] = (1/k_n) Σ_j table[ids[j]]  ->  dtable[ids[j]] += dout[n] / k_n   (serial: rows repeat)
    for (int n = 0; n < N; n++) {
        const int k = offsets[n + 1] - offsets[n];
        if (k == 0) continue;
        const float inv = 1.0f / (float)k;
        const float* d = dout + (size_t)n * C;
        for (int j = offsets[n]; j < offsets[n + 1]; j++) {
            float* g = dtable + (size_t)ids[j] * C;
            for (int c = 0; c < C; c++) g[c] += d[c] * inv;
        }
    }
}

}  // namespace attn
