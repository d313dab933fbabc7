// lstm.hpp — long short-term memory (Hochreiter & Schmidhuber 1997), PyTorch's equations and layout:
//
//   i  = σ(W_ii x + b_ii + W_hi h + b_hi)      input gate
//   f  = σ(W_if x + b_if + W_hf h + b_hf)      forget gate
//   g  = tanh(W_ig x + b_ig + W_hg h + b_hg)   candidate cell
//   o  = σ(W_io x + b_io + W_ho h + b_ho)      output gate
//   c' = f ⊙ c + i ⊙ g
//   h' = o ⊙ tanh(c')
//
// Weights as torch.nn.LSTM: W_ih (4H, C) and W_hh (4H, H) hold the i, f, g, o blocks in that
// order; b_ih, b_hh (4H). Shape legend: B batch, T time steps, C input size, H hidden size.
// The API mirrors gru.hpp (cell, and sequence with lengths); the state is the pair (h, c).
// Bidirectional wrappers (bilstm_*) live in rnn_sequence.hpp.
#pragma once
#include <string>

#include "common/core/buffer.hpp"
#include "common/core/params.hpp"
#include "common/core/rng.hpp"

namespace attn {

struct LSTMParams {
    Tensor W_ih;  // (4H, C)  rows: i, f, g, o
    Tensor W_hh;  // (4H, H)
    Tensor b_ih;  // (4H)
    Tensor b_hh;  // (4H)
};
// declares prefix.W_ih, prefix.W_hh, prefix.b_ih, prefix.b_hh (call before ps.allocate())
void lstm_declare(ParamSet& ps, LSTMParams& p, const std::string& prefix, int C, int H);
// PyTorch's initialisation: every weight and bias ~ U(−1/√H, 1/√H)
void lstm_init(LSTMParams& p, Rng& rng, int H);

// ---- one step ---------------------------------------------------------------------------------
// x (B,C), h (B,H), c (B,H) -> h_new, c_new (B,H). Cache for backward: gates (B,4H) = i, f, g, o after
// their nonlinearities, tanh_c (B,H) = tanh(c_new). scratch: lstm_cell_scratch_size(B,H) = 4·B·H floats.
inline size_t lstm_cell_scratch_size(int B, int H) { return (size_t)4 * B * H; }
void lstm_cell_forward(float* h_new, float* c_new, float* gates, float* tanh_c, const float* x, const float* h,
                       const float* c, const LSTMParams& p, int B, int C, int H, float* scratch);
// dh_new, dc_new (B,H) are ∂L/∂h_new, ∂L/∂c_new (either may be nullptr). dx (B,C), dh (B,H), dc (B,H)
// += their gradients (any may be nullptr); p's .grad buffers += their gradients.
void lstm_cell_backward(float* dx, float* dh, float* dc, const LSTMParams& p, const float* dh_new,
                        const float* dc_new, const float* gates, const float* tanh_c, const float* x, const float* h,
                        const float* c, int B, int C, int H, float* scratch);

// ---- a sequence with lengths (see gru.hpp / rnn_sequence.hpp for the conventions) -------------
struct LSTMCache {
    int B_max = 0, T_max = 0, C = 0, H = 0;
    Buf gi;       // (B,T,4H) x W_ihᵀ + b_ih at every position
    Buf gh;       // (B,4H)   h W_hhᵀ + b_hh of the current step (scratch)
    Buf gates;    // (T,B,4H) i, f, g, o of every step
    Buf tc;       // (T,B,H)  tanh(c') of every step
    Buf hs, cs;   // (T+1,B,H) hs[0] = h0, cs[0] = c0, [t+1] = state after step t (frozen once t ≥ len[b])
    Buf dgi;      // (B,T,4H) backward: ∂L/∂gi
    Buf dgh;      // (T,B,4H) backward: ∂L/∂gh (equal to dgi, but ordered by step for the dW_hh matmul)
    Buf dh, dh2;  // (B,H)    backward: ∂L/∂h through time (swapped each step)
    Buf dc, dc2;  // (B,H)    backward: ∂L/∂c through time
};
void lstm_cache_init(LSTMCache& c, int B_max, int T_max, int C, int H);

// inp (B,T,C); h0, c0 (B,H) or nullptr (zeros); lengths (B) in 1..T or nullptr (all T).
// out (B,T,H) (0 on padding); hT, cT (B,H) or nullptr: each row's state after its last valid position.
// reverse: read each row's valid part backwards (see rnn_sequence.hpp).
void lstm_sequence_forward(float* out, float* hT, float* cT, LSTMCache& c, const float* inp, const float* h0,
                           const float* c0, const int* lengths, const LSTMParams& p, int B, int T, int C, int H,
                           bool reverse = false);
// dout (B,T,H), dhT, dcT (B,H): any may be nullptr. dinp (B,T,C), dh0, dc0 (B,H) += (any nullptr).
void lstm_sequence_backward(float* dinp, float* dh0, float* dc0, const LSTMParams& p, const float* dout,
                            const float* dhT, const float* dcT, LSTMCache& c, const float* inp, const int* lengths,
                            int B, int T, int C, int H, bool reverse = false);

}  // namespace attn
