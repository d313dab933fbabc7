#include "common/data/batching.hpp"

#include <algorithm>
#include <numeric>

#include "common/core/error.hpp"

namespace attn {

TokenBatch make_batch(const std::vector<std::vector<int>>& seqs, const std::vector<int>& idx) {
    TokenBatch b;
    b.B = (int)idx.size();
    b.T = 1;
    for (int i : idx) {
        if (i < 0 || i >= (int)seqs.size())
            fail("make_batch", "expected indices in 0.." + std::to_string((long)seqs.size() - 1) + ", found " + std::to_string(i));
        b.T = std::max(b.T, (int)seqs[i].size());
    }
    b.ids.assign((size_t)b.B * b.T, 0);
    b.mask.assign((size_t)b.B * b.T, 0);
    b.lengths.resize(b.B);
    for (int r = 0; r < b.B; r++) {
        const auto& s = seqs[idx[r]];
        b.lengths[r] = (int)s.size();
        std::copy(s.begin(), s.end(), b.ids.begin() + (size_t)r * b.T);
        std::fill(b.mask.begin() + (size_t)r * b.T, b.mask.begin() + (size_t)r * b.T + s.size(), 1);
    }
    return b;
}

std::vector<std::vector<int>> bucket_batches(const std::vector<std::vector<int>>& seqs, int batch_size, Rng& rng,
                                             bool shuffle) {
    if (batch_size <= 0) fail("bucket_batches", "expected batch_size > 0, found " + std::to_string(batch_size));
    std::vector<int> order(seqs.size());
    std::iota(order.begin(), order.end(), 0);
    if (shuffle) rng.shuffle(order.begin(), order.end());  // random order among equal lengths
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return seqs[a].size() < seqs[b].size(); });
    std::vector<std::vector<int>> batches;
    for (size_t i = 0; i < order.size(); i += batch_size)
        batches.emplace_back(order.begin() + i, order.begin() + std::min(order.size(), i + (size_t)batch_size));
    if (shuffle) rng.shuffle(batches.begin(), batches.end());
    return batches;
}

}  // namespace attn
