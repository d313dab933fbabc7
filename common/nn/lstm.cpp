// lstm.cpp — LSTM cell and sequence unroll, forward and backward; equations in lstm.hpp.
// Organised exactly like gru.cpp, which explains the sequence bookkeeping in more words.
#include "common/nn/lstm.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

#include "common/core/matmul.hpp"
#include "common/core/vmath.hpp"  // vexp, vtanh, vsigmoid on VL floats
#include "common/nn/rnn_sequence.hpp"
#include "common/core/thread_pool.hpp"

namespace attn {

void lstm_declare(ParamSet& ps, LSTMParams& p, const std::string& prefix, int C, int H) {
    ps.add(p.W_ih, prefix + ".W_ih", {4 * H, C});
    ps.add(p.W_hh, prefix + ".W_hh", {4 * H, H});
    ps.add(p.b_ih, prefix + ".b_ih", {4 * H});
    ps.add(p.b_hh, prefix + ".b_hh", {4 * H});
}

void lstm_init(LSTMParams& p, Rng& rng, int H) {
    float a = 1.0f / std::sqrt((float)H);
    for (Tensor* t : {&p.W_ih, &p.W_hh, &p.b_ih, &p.b_hh})
        for (size_t i = 0; i < t->size; i++) t->data[i] = rng.uniform(-a, a);
}

// One row: gi, gh (4H) pre-activations, c (H) -> gates (4H) = i, f, g, o; tc (H) = tanh(c'); c_new, h_new (H).
// gates may alias gi (each unit reads its four inputs before writing). VL units at a time (vmath.hpp).
static void lstm_row_forward(float* h_new, float* c_new, float* gates, float* tc, const float* gi, const float* gh,
                             const float* c, int H) {
    using namespace vm;
    for (int j = 0; j < H; j += VL) {
        const int m = std::min(VL, H - j);  // units j .. j + m − 1
        auto pre = [&](int q) { return load_n(gi + q * H + j, m) + load_n(gh + q * H + j, m); };
        vecf i = vsigmoid(pre(0));  // i = σ(W_ii x + b_ii + W_hi h + b_hi)
        vecf f = vsigmoid(pre(1));  // f = σ(W_if x + b_if + W_hf h + b_hf)
        vecf g = vtanh(pre(2));     // g = tanh(W_ig x + b_ig + W_hg h + b_hg)
        vecf o = vsigmoid(pre(3));  // o = σ(W_io x + b_io + W_ho h + b_ho)
        store_n(gates + j, i, m), store_n(gates + H + j, f, m);
        store_n(gates + 2 * H + j, g, m), store_n(gates + 3 * H + j, o, m);
        vecf cn = f * load_n(c + j, m) + i * g;  // c' = f ⊙ c + i ⊙ g
        vecf t = vtanh(cn);
        store_n(tc + j, t, m), store_n(c_new + j, cn, m);
        store_n(h_new + j, o * t, m);  // h' = o ⊙ tanh(c')
    }
}

// Backward of one row, given dh_new = ∂L/∂h' and dc_new = ∂L/∂c' (either nullptr = 0).
// Writes da (4H) = ∂L/∂(pre-activations), the same for the x and the h half; adds f ⊙ ∂L/∂c' into dc.
// (h reaches h' only through W_hh h, so its gradient comes from da · W_hh, added by the caller.)
static void lstm_row_backward(float* da, float* dc, const float* dh_new, const float* dc_new, const float* gates,
                              const float* tc, const float* c, int H) {
    for (int j = 0; j < H; j++) {
        float i = gates[j], f = gates[H + j], g = gates[2 * H + j], o = gates[3 * H + j];
        float dhn = dh_new ? dh_new[j] : 0.0f;
        // h' = o ⊙ tanh(c'):  ∂o = dh' tanh(c'),  ∂c' += dh' o (1 − tanh²(c'))
        float d_o = dhn * tc[j];
        float dcn = (dc_new ? dc_new[j] : 0.0f) + dhn * o * (1.0f - tc[j] * tc[j]);
        // c' = f ⊙ c + i ⊙ g
        float di = dcn * g, dg = dcn * i, df = dcn * c[j];
        if (dc) dc[j] += dcn * f;
        // σ' = σ (1 − σ), tanh' = 1 − tanh²
        da[j] = di * i * (1.0f - i);
        da[H + j] = df * f * (1.0f - f);
        da[2 * H + j] = dg * (1.0f - g * g);
        da[3 * H + j] = d_o * o * (1.0f - o);
    }
}

// ---- one step ---------------------------------------------------------------------------------

void lstm_cell_forward(float* h_new, float* c_new, float* gates, float* tanh_c, const float* x, const float* h,
                       const float* c, const LSTMParams& p, int B, int C, int H, float* scratch) {
    // x is (B,C), h and c are (B,H); gates (B,4H); scratch holds gh (B,4H)
    float* gh = scratch;
    linear_forward(gates, x, p.W_ih.data, p.b_ih.data, B, C, 4 * H);  // gi = x W_ihᵀ + b_ih, into gates
    linear_forward(gh, h, p.W_hh.data, p.b_hh.data, B, H, 4 * H);     // gh = h W_hhᵀ + b_hh
    parallel_for(B, [&](int b0, int b1) {
        for (int b = b0; b < b1; b++) {
            size_t r4 = (size_t)b * 4 * H, r1 = (size_t)b * H;
            lstm_row_forward(h_new + r1, c_new + r1, gates + r4, tanh_c + r1, gates + r4, gh + r4, c + r1, H);
        }
    }, rnn_rows_chunk(H));
}

void lstm_cell_backward(float* dx, float* dh, float* dc, const LSTMParams& p, const float* dh_new,
                        const float* dc_new, const float* gates, const float* tanh_c, const float* x, const float* h,
                        const float* c, int B, int C, int H, float* scratch) {
    float* da = scratch;  // (B,4H)
    parallel_for(B, [&](int b0, int b1) {
        for (int b = b0; b < b1; b++) {
            size_t r4 = (size_t)b * 4 * H, r1 = (size_t)b * H;
            lstm_row_backward(da + r4, dc ? dc + r1 : nullptr, dh_new ? dh_new + r1 : nullptr,
                              dc_new ? dc_new + r1 : nullptr, gates + r4, tanh_c + r1, c + r1, H);
        }
    }, rnn_rows_chunk(H));
    // a = x W_ihᵀ + b_ih + h W_hhᵀ + b_hh: both halves get da
    linear_backward(dx, p.W_ih.grad, p.b_ih.grad, da, x, p.W_ih.data, B, C, 4 * H);
    linear_backward(dh, p.W_hh.grad, p.b_hh.grad, da, h, p.W_hh.data, B, H, 4 * H);
}

// ---- a sequence with lengths ------------------------------------------------------------------

void lstm_cache_init(LSTMCache& c, int B_max, int T_max, int C, int H) {
    c.B_max = B_max, c.T_max = T_max, c.C = C, c.H = H;
    size_t BT = (size_t)B_max * T_max, BH = (size_t)B_max * H;
    c.gi.assign(BT * 4 * H, 0.0f);
    c.gh.assign(BH * 4, 0.0f);
    c.gates.assign(BT * 4 * H, 0.0f);
    c.tc.assign(BT * H, 0.0f);
    c.hs.assign((T_max + 1) * BH, 0.0f);
    c.cs.assign((T_max + 1) * BH, 0.0f);
    c.dgi.assign(BT * 4 * H, 0.0f);
    c.dgh.assign(BT * 4 * H, 0.0f);
    for (Buf* b : {&c.dh, &c.dh2, &c.dc, &c.dc2}) b->assign(BH, 0.0f);
}

static void lstm_check_cache(const LSTMCache& c, int B, int T, int C, int H) {
    if (B > c.B_max || T > c.T_max || C != c.C || H != c.H)
        fail("lstm_sequence", "an LSTMCache for B ≤ " + std::to_string(c.B_max) + ", T ≤ " + std::to_string(c.T_max) +
                                  ", C = " + std::to_string(c.C) + ", H = " + std::to_string(c.H) + "; got B = " +
                                  std::to_string(B) + ", T = " + std::to_string(T) + ", C = " + std::to_string(C) +
                                  ", H = " + std::to_string(H),
             "call lstm_cache_init with the largest batch and length first");
}

static void copy_or_zero(float* dst, const float* src, size_t n) {
    if (src) std::memcpy(dst, src, n * sizeof(float));
    else std::memset(dst, 0, n * sizeof(float));
}

void lstm_sequence_forward(float* out, float* hT, float* cT, LSTMCache& c, const float* inp, const float* h0,
                           const float* c0, const int* lengths, const LSTMParams& p, int B, int T, int C, int H,
                           bool reverse) {
    // inp is (B,T,C), out is (B,T,H), h0, c0, hT, cT are (B,H)
    lstm_check_cache(c, B, T, C, H);
    const int T_run = rnn_check_lengths(lengths, B, T, "lstm_sequence_forward");
    const size_t BH = (size_t)B * H;
    linear_forward(c.gi.data(), inp, p.W_ih.data, p.b_ih.data, B * T, C, 4 * H);  // gi = inp W_ihᵀ + b_ih, all positions
    copy_or_zero(c.hs.data(), h0, BH);
    copy_or_zero(c.cs.data(), c0, BH);
    for (int t = 0; t < T; t++) {
        const float* h = c.hs.data() + t * BH;
        const float* cc = c.cs.data() + t * BH;
        float* h_next = c.hs.data() + (t + 1) * BH;
        float* c_next = c.cs.data() + (t + 1) * BH;
        if (t < T_run) linear_forward(c.gh.data(), h, p.W_hh.data, p.b_hh.data, B, H, 4 * H);  // gh = h W_hhᵀ + b_hh
        parallel_for(B, [&](int b0, int b1) {
            for (int b = b0; b < b1; b++) {
                const int len = rnn_len(lengths, b, T), pos = rnn_position(t, len, reverse);
                const size_t r1 = (size_t)b * H;
                float* out_bt = out + ((size_t)b * T + pos) * H;
                float* gates_tb = c.gates.data() + (t * BH + r1) * 4;
                float* tc_tb = c.tc.data() + t * BH + r1;
                if (t < len) {
                    lstm_row_forward(h_next + r1, c_next + r1, gates_tb, tc_tb, c.gi.data() + ((size_t)b * T + pos) * 4 * H,
                                     c.gh.data() + r1 * 4, cc + r1, H);
                    std::memcpy(out_bt, h_next + r1, H * sizeof(float));
                } else {  // padding: (h, c) frozen, output 0
                    std::memcpy(h_next + r1, h + r1, H * sizeof(float));
                    std::memcpy(c_next + r1, cc + r1, H * sizeof(float));
                    std::memset(gates_tb, 0, 4 * H * sizeof(float));
                    std::memset(tc_tb, 0, H * sizeof(float));
                    std::memset(out_bt, 0, H * sizeof(float));
                }
            }
        }, rnn_rows_chunk(H));
    }
    if (hT) std::memcpy(hT, c.hs.data() + T * BH, BH * sizeof(float));
    if (cT) std::memcpy(cT, c.cs.data() + T * BH, BH * sizeof(float));
}

void lstm_sequence_backward(float* dinp, float* dh0, float* dc0, const LSTMParams& p, const float* dout,
                            const float* dhT, const float* dcT, LSTMCache& c, const float* inp, const int* lengths,
                            int B, int T, int C, int H, bool reverse) {
    // dout is (B,T,H); dhT, dcT, dh0, dc0 are (B,H); dinp is (B,T,C)
    lstm_check_cache(c, B, T, C, H);
    const int T_run = rnn_check_lengths(lengths, B, T, "lstm_sequence_backward");
    const size_t BH = (size_t)B * H;
    float *dh = c.dh.data(), *dh2 = c.dh2.data();  // ∂L/∂h after / before step t
    float *dc = c.dc.data(), *dc2 = c.dc2.data();  // ∂L/∂c after / before step t
    copy_or_zero(dh, dhT, BH);
    copy_or_zero(dc, dcT, BH);
    for (int t = T - 1; t >= 0; t--) {
        const float* cc = c.cs.data() + t * BH;
        float* dgh_t = c.dgh.data() + t * BH * 4;
        parallel_for(B, [&](int b0, int b1) {
            for (int b = b0; b < b1; b++) {
                const int len = rnn_len(lengths, b, T), pos = rnn_position(t, len, reverse);
                const size_t r1 = (size_t)b * H;
                float* dgi_bt = c.dgi.data() + ((size_t)b * T + pos) * 4 * H;
                float* dgh_tb = dgh_t + r1 * 4;
                if (t < len) {
                    // out[b,pos] = h'  ->  ∂L/∂h' = dout[b,pos] + what flows back from later steps
                    if (dout)
                        for (int j = 0; j < H; j++) dh[r1 + j] += dout[((size_t)b * T + pos) * H + j];
                    std::memset(dh2 + r1, 0, H * sizeof(float));  // filled by the dgh · W_hh matmul below
                    std::memset(dc2 + r1, 0, H * sizeof(float));
                    lstm_row_backward(dgi_bt, dc2 + r1, dh + r1, dc + r1, c.gates.data() + (t * BH + r1) * 4,
                                      c.tc.data() + t * BH + r1, cc + r1, H);
                    std::memcpy(dgh_tb, dgi_bt, 4 * H * sizeof(float));  // the h half gets the same gradient
                } else {  // frozen (h, c): gradients pass straight through
                    std::memcpy(dh2 + r1, dh + r1, H * sizeof(float));
                    std::memcpy(dc2 + r1, dc + r1, H * sizeof(float));
                    std::memset(dgi_bt, 0, 4 * H * sizeof(float));
                    std::memset(dgh_tb, 0, 4 * H * sizeof(float));
                }
            }
        }, rnn_rows_chunk(H));
        // gh = h W_hhᵀ + b_hh  ->  ∂L/∂h += dgh W_hh   (padding rows of dgh are 0)
        if (t < T_run) matmul_nn(dh2, dgh_t, p.W_hh.data, B, 4 * H, H, true);
        std::swap(dh, dh2);
        std::swap(dc, dc2);
    }
    if (dh0)
        for (size_t i = 0; i < BH; i++) dh0[i] += dh[i];
    if (dc0)
        for (size_t i = 0; i < BH; i++) dc0[i] += dc[i];
    linear_backward(dinp, p.W_ih.grad, p.b_ih.grad, c.dgi.data(), inp, p.W_ih.data, B * T, C, 4 * H);
    linear_backward(nullptr, p.W_hh.grad, p.b_hh.grad, c.dgh.data(), c.hs.data(), p.W_hh.data, T_run * B, H, 4 * H);
}

}  // namespace attn
