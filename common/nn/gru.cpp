// gru.cpp — GRU cell and sequence unroll, forward and backward; equations in gru.hpp.
#include "common/nn/gru.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

#include "common/core/matmul.hpp"
#include "common/core/vmath.hpp"  // vexp, vtanh, vsigmoid on VL floats
#include "common/nn/rnn_sequence.hpp"
#include "common/core/thread_pool.hpp"

namespace attn {

void gru_declare(ParamSet& ps, GRUParams& p, const std::string& prefix, int C, int H) {
    ps.add(p.W_ih, prefix + ".W_ih", {3 * H, C});
    ps.add(p.W_hh, prefix + ".W_hh", {3 * H, H});
    ps.add(p.b_ih, prefix + ".b_ih", {3 * H});
    ps.add(p.b_hh, prefix + ".b_hh", {3 * H});
}

void gru_init(GRUParams& p, Rng& rng, int H) {
    float a = 1.0f / std::sqrt((float)H);
    for (Tensor* t : {&p.W_ih, &p.W_hh, &p.b_ih, &p.b_hh})
        for (size_t i = 0; i < t->size; i++) t->data[i] = rng.uniform(-a, a);
}

// One row of the gate equations. gi, gh (3H) are the pre-activations W_i· x + b_i· and W_h· h + b_h·.
// Writes gates (3H) = r, z, n; ghn (H) = W_hn h + b_hn; h_new (H). gates may alias gi: every unit
// reads its three inputs before writing its three outputs. VL units at a time (vmath.hpp).
static void gru_row_forward(float* h_new, float* gates, float* ghn, const float* gi, const float* gh, const float* h,
                            int H) {
    using namespace vm;
    for (int j = 0; j < H; j += VL) {
        const int m = std::min(VL, H - j);  // units j .. j + m − 1
        vecf r = vsigmoid(load_n(gi + j, m) + load_n(gh + j, m));          // r = σ(W_ir x + b_ir + W_hr h + b_hr)
        vecf z = vsigmoid(load_n(gi + H + j, m) + load_n(gh + H + j, m));  // z = σ(W_iz x + b_iz + W_hz h + b_hz)
        vecf hn = load_n(gh + 2 * H + j, m);                                //     W_hn h + b_hn
        vecf n = vtanh(load_n(gi + 2 * H + j, m) + r * hn);  // n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
        vecf hnew = (splat(1.0f) - z) * n + z * load_n(h + j, m);          // h' = (1 − z) ⊙ n + z ⊙ h
        store_n(gates + j, r, m), store_n(gates + H + j, z, m), store_n(gates + 2 * H + j, n, m);
        store_n(ghn + j, hn, m), store_n(h_new + j, hnew, m);
    }
}

// Backward of one row, given g = ∂L/∂h'. Writes dgi (3H) = ∂L/∂(W_i· x + b_i·) and
// dgh (3H) = ∂L/∂(W_h· h + b_h·); adds the direct path z ⊙ g into dh (H) unless it is nullptr.
static void gru_row_backward(float* dgi, float* dgh, float* dh, const float* g, const float* gates, const float* ghn,
                             const float* h, int H) {
    for (int j = 0; j < H; j++) {
        float r = gates[j], z = gates[H + j], n = gates[2 * H + j];
        // h' = (1 − z) ⊙ n + z ⊙ h
        float dn = g[j] * (1.0f - z);
        float dz = g[j] * (h[j] - n);
        if (dh) dh[j] += g[j] * z;
        // n = tanh(a_n), a_n = gi_n + r ⊙ ghn:  ∂a_n = dn (1 − n²), ∂r = ∂a_n ⊙ ghn, ∂ghn = ∂a_n ⊙ r
        float dan = dn * (1.0f - n * n);
        float dr = dan * ghn[j];
        // r = σ(gi_r + gh_r), z = σ(gi_z + gh_z):  σ' = σ (1 − σ), and both summands get it
        float dar = dr * r * (1.0f - r);
        float daz = dz * z * (1.0f - z);
        dgi[j] = dar, dgi[H + j] = daz, dgi[2 * H + j] = dan;
        dgh[j] = dar, dgh[H + j] = daz, dgh[2 * H + j] = dan * r;
    }
}

// ---- one step ---------------------------------------------------------------------------------

void gru_cell_forward(float* h_new, float* gates, float* ghn, const float* x, const float* h, const GRUParams& p,
                      int B, int C, int H, float* scratch) {
    // x is (B,C), h is (B,H); gates (B,3H), ghn (B,H), h_new (B,H); scratch holds gh (B,3H)
    float* gh = scratch;
    linear_forward(gates, x, p.W_ih.data, p.b_ih.data, B, C, 3 * H);  // gi = x W_ihᵀ + b_ih, into gates
    linear_forward(gh, h, p.W_hh.data, p.b_hh.data, B, H, 3 * H);     // gh = h W_hhᵀ + b_hh
    parallel_for(B, [&](int b0, int b1) {
        for (int b = b0; b < b1; b++) {
            size_t r3 = (size_t)b * 3 * H, r1 = (size_t)b * H;
            gru_row_forward(h_new + r1, gates + r3, ghn + r1, gates + r3, gh + r3, h + r1, H);
        }
    }, rnn_rows_chunk(H));
}

void gru_cell_backward(float* dx, float* dh, const GRUParams& p, const float* dh_new, const float* gates,
                       const float* ghn, const float* x, const float* h, int B, int C, int H, float* scratch,
                       const GRUCellPacked* packed) {
    // dh_new is (B,H); scratch holds dgi (B,3H) and dgh (B,3H)
    float* dgi = scratch;
    float* dgh = scratch + (size_t)3 * B * H;
    parallel_for(B, [&](int b0, int b1) {
        for (int b = b0; b < b1; b++) {
            size_t r3 = (size_t)b * 3 * H, r1 = (size_t)b * H;
            gru_row_backward(dgi + r3, dgh + r3, dh ? dh + r1 : nullptr, dh_new + r1, gates + r3, ghn + r1, h + r1, H);
        }
    }, rnn_rows_chunk(H));
    // the products with W_ih and W_hh from their packed copies, when given (of these weights): the same bits
    if (packed && (packed->W_ih.src != p.W_ih.data || packed->W_hh.src != p.W_hh.data)) packed = nullptr;
    if (packed) {
        if (dx) matmul_packed(dx, dgi, packed->W_ih, B, /*accumulate=*/true);
        if (dh) matmul_packed(dh, dgh, packed->W_hh, B, /*accumulate=*/true);
    }
    // gi = x W_ihᵀ + b_ih  ->  dx += dgi W_ih, dW_ih += dgiᵀ x, db_ih += Σ_rows dgi
    linear_backward(packed ? nullptr : dx, p.W_ih.grad, p.b_ih.grad, dgi, x, p.W_ih.data, B, C, 3 * H);
    // gh = h W_hhᵀ + b_hh  ->  dh += dgh W_hh, dW_hh += dghᵀ h, db_hh += Σ_rows dgh
    linear_backward(packed ? nullptr : dh, p.W_hh.grad, p.b_hh.grad, dgh, h, p.W_hh.data, B, H, 3 * H);
}

void gru_cell_pack_backward(GRUCellPacked& packed, const GRUParams& p, int C, int H) {
    pack_nn(packed.W_ih, p.W_ih.data, 3 * H, C);  // W_ih (3H,C) as the right operand of dgi (B,3H) · W_ih
    pack_nn(packed.W_hh, p.W_hh.data, 3 * H, H);
}

// ---- a sequence with lengths ------------------------------------------------------------------

void gru_cache_init(GRUCache& c, int B_max, int T_max, int C, int H) {
    c.B_max = B_max, c.T_max = T_max, c.C = C, c.H = H;
    size_t BT = (size_t)B_max * T_max, BH = (size_t)B_max * H;
    c.gi.assign(BT * 3 * H, 0.0f);
    c.gh.assign(BH * 3, 0.0f);
    c.gates.assign(BT * 3 * H, 0.0f);
    c.ghn.assign(BT * H, 0.0f);
    c.hs.assign((T_max + 1) * BH, 0.0f);
    c.dgi.assign(BT * 3 * H, 0.0f);
    c.dgh.assign(BT * 3 * H, 0.0f);
    c.dh.assign(BH, 0.0f);
    c.dh2.assign(BH, 0.0f);
}

static void gru_check_cache(const GRUCache& c, int B, int T, int C, int H) {
    if (B > c.B_max || T > c.T_max || C != c.C || H != c.H)
        fail("gru_sequence", "a GRUCache for B ≤ " + std::to_string(c.B_max) + ", T ≤ " + std::to_string(c.T_max) +
                                 ", C = " + std::to_string(c.C) + ", H = " + std::to_string(c.H) + "; got B = " +
                                 std::to_string(B) + ", T = " + std::to_string(T) + ", C = " + std::to_string(C) +
                                 ", H = " + std::to_string(H),
             "call gru_cache_init with the largest batch and length first");
}

void gru_sequence_forward(float* out, float* hT, GRUCache& c, const float* inp, const float* h0, const int* lengths,
                          const GRUParams& p, int B, int T, int C, int H, bool reverse) {
    // inp is (B,T,C), out is (B,T,H), h0 and hT are (B,H)
    gru_check_cache(c, B, T, C, H);
    const int T_run = rnn_check_lengths(lengths, B, T, "gru_sequence_forward");
    const size_t BH = (size_t)B * H;
    // the input half of every gate, for all B·T positions at once: gi = inp W_ihᵀ + b_ih
    linear_forward(c.gi.data(), inp, p.W_ih.data, p.b_ih.data, B * T, C, 3 * H);
    if (h0) std::memcpy(c.hs.data(), h0, BH * sizeof(float));
    else std::memset(c.hs.data(), 0, BH * sizeof(float));
    pack_nt(c.W_hh_packed, p.W_hh.data, H, 3 * H);  // the same W_hh at every step: packed once
    for (int t = 0; t < T; t++) {
        const float* h = c.hs.data() + t * BH;  // (B,H) state before step t
        float* h_next = c.hs.data() + (t + 1) * BH;
        if (t < T_run) linear_forward_packed(c.gh.data(), h, c.W_hh_packed, p.b_hh.data, B);  // gh = h W_hhᵀ + b_hh
        parallel_for(B, [&](int b0, int b1) {
            for (int b = b0; b < b1; b++) {
                const int len = rnn_len(lengths, b, T), pos = rnn_position(t, len, reverse);
                float* out_bt = out + ((size_t)b * T + pos) * H;
                float* gates_tb = c.gates.data() + (t * BH + (size_t)b * H) * 3;
                float* ghn_tb = c.ghn.data() + t * BH + (size_t)b * H;
                if (t < len) {
                    gru_row_forward(h_next + (size_t)b * H, gates_tb, ghn_tb, c.gi.data() + ((size_t)b * T + pos) * 3 * H,
                                    c.gh.data() + (size_t)b * 3 * H, h + (size_t)b * H, H);
                    std::memcpy(out_bt, h_next + (size_t)b * H, H * sizeof(float));
                } else {  // padding: the state stays frozen, the output is 0
                    std::memcpy(h_next + (size_t)b * H, h + (size_t)b * H, H * sizeof(float));
                    std::memset(gates_tb, 0, 3 * H * sizeof(float));
                    std::memset(ghn_tb, 0, H * sizeof(float));
                    std::memset(out_bt, 0, H * sizeof(float));
                }
            }
        }, rnn_rows_chunk(H));
    }
    if (hT) std::memcpy(hT, c.hs.data() + T * BH, BH * sizeof(float));  // frozen rows: the state at len−1
}

void gru_sequence_backward(float* dinp, float* dh0, const GRUParams& p, const float* dout, const float* dhT,
                           GRUCache& c, const float* inp, const int* lengths, int B, int T, int C, int H,
                           bool reverse) {
    // dout is (B,T,H), dhT and dh0 are (B,H), dinp is (B,T,C)
    gru_check_cache(c, B, T, C, H);
    const int T_run = rnn_check_lengths(lengths, B, T, "gru_sequence_backward");
    const size_t BH = (size_t)B * H;
    float* dh = c.dh.data();    // ∂L/∂(state after step t)
    float* dh2 = c.dh2.data();  // ∂L/∂(state before step t)
    if (dhT) std::memcpy(dh, dhT, BH * sizeof(float));
    else std::memset(dh, 0, BH * sizeof(float));
    pack_nn(c.W_hh_packed, p.W_hh.data, 3 * H, H);  // for dgh W_hh at every step
    for (int t = T - 1; t >= 0; t--) {
        const float* h = c.hs.data() + t * BH;
        float* dgh_t = c.dgh.data() + t * BH * 3;
        parallel_for(B, [&](int b0, int b1) {
            for (int b = b0; b < b1; b++) {
                const int len = rnn_len(lengths, b, T), pos = rnn_position(t, len, reverse);
                float* dh_b = dh + (size_t)b * H;
                float* dh2_b = dh2 + (size_t)b * H;
                float* dgi_bt = c.dgi.data() + ((size_t)b * T + pos) * 3 * H;
                float* dgh_tb = dgh_t + (size_t)b * 3 * H;
                if (t < len) {
                    // out[b,pos] = h'  ->  ∂L/∂h' = dout[b,pos] + what flows back from later steps
                    if (dout)
                        for (int j = 0; j < H; j++) dh_b[j] += dout[((size_t)b * T + pos) * H + j];
                    std::memset(dh2_b, 0, H * sizeof(float));
                    gru_row_backward(dgi_bt, dgh_tb, dh2_b, dh_b, c.gates.data() + (t * BH + (size_t)b * H) * 3,
                                     c.ghn.data() + t * BH + (size_t)b * H, h + (size_t)b * H, H);
                } else {  // frozen state h_{t+1} = h_t: the gradient passes straight through
                    std::memcpy(dh2_b, dh_b, H * sizeof(float));
                    std::memset(dgi_bt, 0, 3 * H * sizeof(float));
                    std::memset(dgh_tb, 0, 3 * H * sizeof(float));
                }
            }
        }, rnn_rows_chunk(H));
        // gh = h W_hhᵀ + b_hh  ->  ∂L/∂h += dgh W_hh   (padding rows of dgh are 0)
        if (t < T_run) matmul_packed(dh2, dgh_t, c.W_hh_packed, B, true);
        std::swap(dh, dh2);
    }
    if (dh0)
        for (size_t i = 0; i < BH; i++) dh0[i] += dh[i];
    // gi = inp W_ihᵀ + b_ih over all B·T positions  ->  one matmul each for dinp, dW_ih (db_ih)
    linear_backward(dinp, p.W_ih.grad, p.b_ih.grad, c.dgi.data(), inp, p.W_ih.data, B * T, C, 3 * H);
    // gh_t = h_t W_hhᵀ + b_hh for every step: dW_hh += Σ_t dgh_tᵀ h_t, one matmul over the T_run·B rows
    linear_backward(nullptr, p.W_hh.grad, p.b_hh.grad, c.dgh.data(), c.hs.data(), p.W_hh.data, T_run * B, H, 3 * H);
}

}  // namespace attn
