// packed_rows.cpp — gather the rows that count, scatter their gradients back; see packed_rows.hpp.
#include "common/nn/packed_rows.hpp"

#include <algorithm>
#include <cstddef>

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

}  // namespace attn
