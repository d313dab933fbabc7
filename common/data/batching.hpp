// batching.hpp — token sequences of different lengths into padded (B, T) batches.
//
//   ids  (B, T)  row b holds sequence idx[b], then <pad> = 0 up to T = the longest in the batch
//   mask (B, T)  1 for a real token, 0 for padding (attention and the loss skip the 0s)
// bucket_batches() groups sequences of similar length so little compute goes to padding:
// sort by length (ties in random order when shuffling), cut into batches, shuffle the batches.
#pragma once
#include <cstdint>
#include <vector>

#include "common/core/rng.hpp"

namespace attn {

struct TokenBatch {
    int B = 0, T = 0;
    std::vector<int> ids;       // (B, T), padded with 0
    std::vector<int> lengths;   // (B)
    std::vector<uint8_t> mask;  // (B, T), 1 = real token
};

// T = the longest selected sequence (at least 1, so an all-empty batch still has a column).
TokenBatch make_batch(const std::vector<std::vector<int>>& seqs, const std::vector<int>& idx);

// Every index 0..seqs.size()-1 exactly once, in batches of batch_size (the last may be smaller).
std::vector<std::vector<int>> bucket_batches(const std::vector<std::vector<int>>& seqs, int batch_size,
                                             Rng& rng, bool shuffle);

}  // namespace attn
