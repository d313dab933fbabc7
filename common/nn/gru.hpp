// gru.hpp — the gated recurrent unit (Cho et al. 2014), with PyTorch's exact equations and layout:
//
//   r  = σ(W_ir x + b_ir + W_hr h + b_hr)            reset gate
//   z  = σ(W_iz x + b_iz + W_hz h + b_hz)            update gate
//   n  = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))   candidate state (r gates W_hn h + b_hn, bias included)
//   h' = (1 − z) ⊙ n + z ⊙ h
//
// Weights as torch.nn.GRU: W_ih (3H, C) and W_hh (3H, H) hold the r, z, n blocks in that order;
// b_ih, b_hh (3H). Shape legend: B batch, T time steps, C input size, H hidden size.
//
// Two ways in:
//   * gru_cell_*      one step for B rows (decoders that feed each step's output back in);
//   * gru_sequence_*  a whole (B,T,C) batch with per-row lengths, unrolled over time. The input
//                     projection x W_ihᵀ + b_ih is one matmul over all B·T rows before the loop;
//                     only h W_hhᵀ + b_hh is left inside it. Backward is full BPTT.
// Bidirectional wrappers (bigru_*) live in rnn_sequence.hpp.
#pragma once
#include <string>

#include "common/core/buffer.hpp"
#include "common/core/matmul.hpp"
#include "common/core/params.hpp"
#include "common/core/rng.hpp"

namespace attn {

struct GRUParams {
    Tensor W_ih;  // (3H, C)  rows: r, z, n
    Tensor W_hh;  // (3H, H)
    Tensor b_ih;  // (3H)
    Tensor b_hh;  // (3H)
};
// declares prefix.W_ih, prefix.W_hh, prefix.b_ih, prefix.b_hh (call before ps.allocate())
void gru_declare(ParamSet& ps, GRUParams& p, const std::string& prefix, int C, int H);
// PyTorch's initialisation: every weight and bias ~ U(−1/√H, 1/√H)
void gru_init(GRUParams& p, Rng& rng, int H);

// ---- one step ---------------------------------------------------------------------------------
// x (B,C), h (B,H) -> h_new (B,H). Cache for backward: gates (B,3H) = r, z, n after their
// nonlinearities, ghn (B,H) = W_hn h + b_hn. scratch: gru_cell_scratch_size(B,H) = 6·B·H floats.
inline size_t gru_cell_scratch_size(int B, int H) { return (size_t)6 * B * H; }
void gru_cell_forward(float* h_new, float* gates, float* ghn, const float* x, const float* h, const GRUParams& p,
                      int B, int C, int H, float* scratch);
// A decoder runs gru_cell_backward at every step with the same W_ih and W_hh, and its products
// dx = dgi · W_ih and dh = dgh · W_hh would copy them into the kernel's order at every step (for
// chapter 02's cell, 0.7 million floats a step). Packed once at the start of the backward pass
// instead, the steps read them where they lie: the same numbers (matmul.hpp, PackedB). Pack again at
// every pass: the optimiser's step changes the weights.
struct GRUCellPacked {
    PackedB W_ih, W_hh;  // for dgi (B,3H) · W_ih (3H,C) and dgh (B,3H) · W_hh (3H,H)
};
void gru_cell_pack_backward(GRUCellPacked& packed, const GRUParams& p, int C, int H);
// dx (B,C) += ∂L/∂x, dh (B,H) += ∂L/∂h (either may be nullptr); p's .grad buffers += their gradients.
// dh_new (B,H) is ∂L/∂h_new; gates, ghn, x, h are what forward saw / saved. packed: nullptr, or p's
// weights packed by gru_cell_pack_backward in this backward pass.
void gru_cell_backward(float* dx, float* dh, const GRUParams& p, const float* dh_new, const float* gates,
                       const float* ghn, const float* x, const float* h, int B, int C, int H, float* scratch,
                       const GRUCellPacked* packed = nullptr);

// ---- a sequence with lengths ------------------------------------------------------------------
// Everything forward keeps for backward, and backward's scratch, allocated once by gru_cache_init
// for at most B_max rows and T_max steps (a smaller B or T then uses a prefix of each buffer).
// Step-indexed buffers are time-major (T,B,·) so the B rows of one step are contiguous for the
// h W_hhᵀ matmul; position-indexed ones are (B,T,·) like the input.
struct GRUCache {
    int B_max = 0, T_max = 0, C = 0, H = 0;
    Buf gi;       // (B,T,3H) x W_ihᵀ + b_ih at every position
    Buf gh;       // (B,3H)   h W_hhᵀ + b_hh of the current step (scratch)
    Buf gates;    // (T,B,3H) r, z, n of every step
    Buf ghn;      // (T,B,H)  W_hn h + b_hn of every step
    Buf hs;       // (T+1,B,H) hs[0] = h0, hs[t+1] = state after step t (frozen once t ≥ len[b])
    Buf dgi;      // (B,T,3H) backward: ∂L/∂gi
    Buf dgh;      // (T,B,3H) backward: ∂L/∂gh of every step
    Buf dh, dh2;  // (B,H)    backward: ∂L/∂h flowing back through time (two, swapped each step)
    PackedB W_hh_packed;  // W_hh in the matmul kernel's order, packed once per pass for its T steps
};
void gru_cache_init(GRUCache& c, int B_max, int T_max, int C, int H);

// inp (B,T,C), h0 (B,H) or nullptr (zeros), lengths (B) each in 1..T or nullptr (all T).
// out (B,T,H): out[b,t] = state after reading position t for t < len[b], 0 for t ≥ len[b].
// hT (B,H) or nullptr: each row's state after its last valid position (hT[b] = out[b, len[b]−1]).
// reverse = true reads each row's VALID part backwards (positions len[b]−1 … 0, as the backward
// half of a packed bidirectional RNN does); out[b,t] is still the state that just read position t.
void gru_sequence_forward(float* out, float* hT, GRUCache& c, const float* inp, const float* h0, const int* lengths,
                          const GRUParams& p, int B, int T, int C, int H, bool reverse = false);
// dout (B,T,H) and dhT (B,H) are ∂L/∂out, ∂L/∂hT (either may be nullptr: no gradient from there).
// dinp (B,T,C) += ∂L/∂inp and dh0 (B,H) += ∂L/∂h0 (either may be nullptr); p's .grad += gradients.
// Must follow the gru_sequence_forward call that filled c, with the same inp, lengths and sizes.
void gru_sequence_backward(float* dinp, float* dh0, const GRUParams& p, const float* dout, const float* dhT,
                           GRUCache& c, const float* inp, const int* lengths, int B, int T, int C, int H,
                           bool reverse = false);

}  // namespace attn
