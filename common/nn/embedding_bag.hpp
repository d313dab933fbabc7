// embedding_bag.hpp — the mean of a few table rows per position: how a word is embedded from its
// whole-word id and its character n-gram ids (common/data/ngram_vocab.hpp), as torch.nn.EmbeddingBag
// with mode='mean'.
//
//   out[n, :] = (1 / k_n) Σ_{j = offsets[n]}^{offsets[n+1]−1} table[ids[j], :]      k_n = offsets[n+1] −
//   offsets[n]
//
// The ids of all N positions are stored one after the other (ids, M of them); offsets (N+1) says
// where each position's ids start, offsets[N] = M. A position with no ids (k_n = 0) is a zero row:
// the padding of a batch. The backward scatters dout[n] / k_n into every row position n used, in a
// fixed serial order (n, then j), so the sums are the same on any thread count.
#pragma once

namespace attn {

// ids (M), offsets (N+1), table (V,C) -> out (N,C). An id outside [0, V) is an attn::Error.
void embedding_bag_forward(float* out, const int* ids, const int* offsets, const float* table, int N, int C,
                           int V);
// dtable (V,C) += the scatter of dout (N,C) / k_n by ids.
void embedding_bag_backward(float* dtable, const float* dout, const int* ids, const int* offsets, int N,
                            int C);

}  // namespace attn
