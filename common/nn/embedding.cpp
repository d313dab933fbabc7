// embedding.cpp — table lookup and its scatter-add backward (see embedding.hpp).
#include "common/nn/embedding.hpp"

#include <algorithm>
#include <string>

#include "common/core/error.hpp"
#include "common/core/thread_pool.hpp"

namespace attn {

namespace {
constexpr int kMinWork = 1 << 14;  // elements per thread before splitting is worth it

// On the calling thread, before any worker starts: an exception must not escape a worker.
void check_ids(const char* where, const int* ids, int N, int V) {
    for (int n = 0; n < N; n++)
        if (ids[n] < 0 || ids[n] >= V)
            fail(where,
                 "expected token id in [0, " + std::to_string(V) + ") at position " + std::to_string(n) +
                     ", found " + std::to_string(ids[n]),
                 "was the text encoded with a different vocabulary, or is V too small?");
}
}  // namespace

// ids is (N), table is (V,C), out is (N,C)
void embedding_forward(float* out, const int* ids, const float* table, int N, int C, int V) {
    check_ids("embedding_forward", ids, N, V);
    parallel_for(N, [&](int n0, int n1) {
        for (int n = n0; n < n1; n++) std::copy_n(table + (size_t)ids[n] * C, C, out + (size_t)n * C);
    }, std::max(1, kMinWork / std::max(C, 1)));
}
// forward: out[n,:] = table[ids[n],:]   =>   dtable[ids[n],:] += dout[n,:]
void embedding_backward(float* dtable, const float* dout, const int* ids, int N, int C, int V) {
    check_ids("embedding_backward", ids, N, V);
    // Each thread owns table rows [v0, v1) and scans all N ids (cheap: N ints), adding only the
    // positions that land in its rows. The split needs enough work to pay for N·threads id reads.
    int min_rows = std::max(1, (int)std::min<long>(V, (long)kMinWork * V / std::max<long>((long)N * C, 1)));
    parallel_for(V, [&](int v0, int v1) {
        for (int n = 0; n < N; n++) {
            int id = ids[n];
            if (id < v0 || id >= v1) continue;
            const float* g = dout + (size_t)n * C;
            float* dt = dtable + (size_t)id * C;
            for (int c = 0; c < C; c++) dt[c] += g[c];
        }
    }, min_rows);
}

}  // namespace attn
