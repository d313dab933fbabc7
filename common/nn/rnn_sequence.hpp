// rnn_sequence.hpp — running a recurrent cell over a padded batch of sequences with lengths,
// and the bidirectional wrappers.
//
// A batch of sequences of different lengths is stored padded to T: inp (B,T,C), with lengths
// (B) each in 1..T. Row b is a real sequence for t < len[b] and padding after that. As PyTorch's
// pack_padded_sequence does, the RNN never reads padding: once t ≥ len[b] the state of row b is
// frozen, its outputs are 0, and the final state is the one after position len[b]−1.
//
// The backward direction of a bidirectional RNN reads each row's VALID part in reverse
// (positions len[b]−1, …, 0), not the padded row reversed: otherwise it would start on padding.
// At step t, row b therefore reads position rnn_position(t, len[b], reverse).
#pragma once
#include <algorithm>

#include "common/core/buffer.hpp"
#include "common/core/error.hpp"
#include "common/nn/gru.hpp"
#include "common/nn/lstm.hpp"

namespace attn {

// the length of row b (lengths == nullptr means every row is full length T)
inline int rnn_len(const int* lengths, int b, int T) { return lengths ? lengths[b] : T; }
// the position row b reads at step t: t, or len−1−t reading backwards; padding steps (t ≥ len)
// map to themselves, so steps and positions stay a one-to-one pairing in both directions
inline int rnn_position(int t, int len, bool reverse) { return (reverse && t < len) ? len - 1 - t : t; }
// fails with a clear message unless every length is in 1..T; returns the longest
int rnn_check_lengths(const int* lengths, int B, int T, const char* where);
// rows per thread chunk for the per-step elementwise work of B rows of n numbers each
inline int rnn_rows_chunk(int n) { return std::max(1, 4096 / std::max(n, 1)); }

// ---- bidirectional GRU ------------------------------------------------------------------------
// out (B,T,2H) = [forward state | backward state] at every position (0 on padding, both halves);
// hT (2,B,H) = final states of the forward and backward directions (PyTorch's h_n layout);
// h0 (2,B,H) likewise. Parameters: prefix.fwd.* and prefix.bwd.* (PyTorch's *_l0 and *_l0_reverse).
struct BiGRUParams {
    GRUParams fwd, bwd;
};
void bigru_declare(ParamSet& ps, BiGRUParams& p, const std::string& prefix, int C, int H);
struct BiGRUCache {
    GRUCache fwd, bwd;
    Buf out_f, out_b;  // (B,T,H) each direction's outputs before they are interleaved
    Buf dout_f, dout_b;  // (B,T,H) backward: the two halves of dout
};
void bigru_cache_init(BiGRUCache& c, int B_max, int T_max, int C, int H);
// inp (B,T,C), h0 (2,B,H) or nullptr, lengths (B) or nullptr -> out (B,T,2H), hT (2,B,H) or nullptr
void bigru_forward(float* out, float* hT, BiGRUCache& c, const float* inp, const float* h0, const int* lengths,
                   const BiGRUParams& p, int B, int T, int C, int H);
// dout (B,T,2H), dhT (2,B,H) (either nullptr) -> dinp (B,T,C) +=, dh0 (2,B,H) += (either nullptr), p grads +=
void bigru_backward(float* dinp, float* dh0, const BiGRUParams& p, const float* dout, const float* dhT,
                    BiGRUCache& c, const float* inp, const int* lengths, int B, int T, int C, int H);

// ---- bidirectional LSTM: the same, with the cell state beside h ------------------------------
struct BiLSTMParams {
    LSTMParams fwd, bwd;
};
void bilstm_declare(ParamSet& ps, BiLSTMParams& p, const std::string& prefix, int C, int H);
struct BiLSTMCache {
    LSTMCache fwd, bwd;
    Buf out_f, out_b, dout_f, dout_b;  // (B,T,H) each
};
void bilstm_cache_init(BiLSTMCache& c, int B_max, int T_max, int C, int H);
// h0, c0, hT, cT are (2,B,H) or nullptr
void bilstm_forward(float* out, float* hT, float* cT, BiLSTMCache& c, const float* inp, const float* h0,
                    const float* c0, const int* lengths, const BiLSTMParams& p, int B, int T, int C, int H);
void bilstm_backward(float* dinp, float* dh0, float* dc0, const BiLSTMParams& p, const float* dout,
                     const float* dhT, const float* dcT, BiLSTMCache& c, const float* inp, const int* lengths, int B,
                     int T, int C, int H);

}  // namespace attn
