// luong_seq2seq.hpp — chapter 03's model: global attention of Luong, Pham & Manning (2015).
//
//   encoder:  h̄_s = [h→_s ; h←_s] = BiGRU(E_src[x_s])_s            (B,S,H)  H/2 per direction
//             k_s = keys of the score (luong_attention.hpp)            once per sentence
//   init:     h_0 = [h→_last ; h←_1]                                   the two final states, no parameters
//   decoder, for t = 1..T (teacher forcing, y_0 = <bos>, h̃_0 = 0):
//             x_t  = [E_tgt[y_{t−1}] ; h̃_{t−1}]          INPUT FEEDING (section 3.3); without it x_t = E_tgt[y_{t−1}]
//             h_t  = GRU_dec(x_t, h_{t−1})                the CURRENT state...
//             e_ts = score(h_t, h̄_s)                      ...is what attends (eq. 8)
//             α_t  = softmax over the valid s of e_t      (eq. 7)
//             c_t  = Σ_s α_ts h̄_s
//             h̃_t  = tanh(W_c [c_t ; h_t])                the attentional hidden state (eq. 5)
//             p(y_t | y_<t, x) = softmax(W_s h̃_t + b_s)   (eq. 6)
//   loss:     mean cross-entropy of the non-<pad> targets — as chapters 01 and 02.
//
// Why a bidirectional encoder with H/2 per direction: dot and scaled-dot need h̄_s and h_t of the
// same size H with no projection in between; concatenating two H/2 halves gives exactly that, and
// h_0 = [h→_last ; h←_1] needs no parameters either. (The paper uses stacked unidirectional LSTMs;
// a bidirectional GRU trains better at this size, as chapter 02 showed.)
//
// ONE decoder step serves training and search (as chapter 02's), written in two halves around the
// alignment "α_t from e_t", so that chapter 04 can put its local and hard alignments between them:
//   luong_step_scores_forward   x_t, h_t = GRU_dec(x_t, h_{t−1}), the scores e_t
//   (the alignment)             α_t = masked softmax of e_t              — in luong_step_forward
//   luong_step_attend_forward   c_t, h̃_t, the output row
// luong_step_forward is the three; the teacher-forced luong_forward runs it for t = 1..T, and the
// decoder of luong_decoder.hpp once per search step. Each backward piece sits below its forward.
//
// Shape legend: B batch, S source positions, T target positions, E embedding, H hidden (decoder and
// encoder output), A concat attention size, K key size (A for concat, else H), Vs / Vt vocabularies,
// X decoder input size (E + H with input feeding, E without).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "chapters/01_seq2seq/seq2seq_data.hpp"
#include "chapters/03_multiplicative_attention/luong_attention.hpp"
#include "common/core/buffer.hpp"
#include "common/core/matmul.hpp"
#include "common/core/params.hpp"
#include "common/core/rng.hpp"
#include "common/nn/cross_entropy.hpp"
#include "common/nn/embedding.hpp"
#include "common/nn/gru.hpp"
#include "common/nn/packed_rows.hpp"
#include "common/nn/rnn_sequence.hpp"
#include "common/nn/softmax.hpp"

namespace ch03 {
using namespace attn;
using namespace ch01;

struct LuongConfig {
    int Vs = 0, Vt = 0;
    int E = 64, H = 128, A = 128;  // A: concat score only
    LuongScore score = LuongScore::general;
    bool feed = true;  // input feeding
    int X() const { return E + (feed ? H : 0); }
    int K() const { return luong_key_size(score, H, A); }
};

struct Luong {
    LuongConfig cfg;
    Tensor src_emb;       // (Vs,E)
    BiGRUParams enc;      // E -> H/2 per direction
    Tensor W_a;           // general: (H,H)
    Tensor W_q, U_a, v_a;  // concat: (A,H), (A,H), (A)   W_a [h ; h̄] = W_q h + U_a h̄
    Tensor tgt_emb;       // (Vt,E)
    GRUParams dec;        // X -> H
    Tensor W_c;           // (H,2H)  h̃ = tanh(W_c [c ; h])
    Tensor W_out, b_out;  // (Vt,H), (Vt)   W_s, b_s of eq. (6)
    ParamSet params;
};

inline void luong_check_config(const LuongConfig& c, const std::string& where) {
    if (c.H < 2 || c.H % 2 != 0)
        fail(where, "an even hidden size H (the encoder has H/2 per direction), found " + std::to_string(c.H),
             "e.g. --hidden 128");
    if (c.E < 1 || c.A < 1 || c.Vs < 5 || c.Vt < 5) fail(where, "positive sizes and vocabularies");
}

// ---- building: declare, allocate, initialise ----------------------------------------------------
// The two halves are separate so that chapter 04 can declare its variants' parameters after these,
// into the same ParamSet, before allocate(). Only the score's own parameters are declared.
inline void luong_declare(Luong& m, const LuongConfig& cfg) {
    luong_check_config(cfg, "luong_build");
    m.cfg = cfg;
    const int E = cfg.E, H = cfg.H, A = cfg.A;
    m.params.add(m.src_emb, "src_emb", {cfg.Vs, E});
    bigru_declare(m.params, m.enc, "encoder", E, H / 2);
    if (cfg.score == LuongScore::general) m.params.add(m.W_a, "attn.W_a", {H, H});
    if (cfg.score == LuongScore::concat) {
        m.params.add(m.W_q, "attn.W_q", {A, H});
        m.params.add(m.U_a, "attn.U_a", {A, H});
        m.params.add(m.v_a, "attn.v_a", {A});
    }
    m.params.add(m.tgt_emb, "tgt_emb", {cfg.Vt, E});
    gru_declare(m.params, m.dec, "decoder", cfg.X(), H);
    m.params.add(m.W_c, "attentional.W_c", {H, 2 * H});
    m.params.add(m.W_out, "out.weight", {cfg.Vt, H});
    m.params.add(m.b_out, "out.bias", {cfg.Vt});
}
// After allocate(): embeddings N(0,1); GRUs and linear layers U(−1/√fan_in, 1/√fan_in) (PyTorch's defaults).
inline void luong_init(Luong& m, Rng& rng) {
    const LuongConfig& cfg = m.cfg;
    const int H = cfg.H, A = cfg.A;
    for (Tensor* t : {&m.src_emb, &m.tgt_emb})
        for (size_t i = 0; i < t->size; i++) t->data[i] = rng.normal();
    gru_init(m.enc.fwd, rng, H / 2);
    gru_init(m.enc.bwd, rng, H / 2);
    gru_init(m.dec, rng, H);
    auto uni = [&](Tensor& t, int fan_in) {
        float a = 1.0f / std::sqrt((float)fan_in);
        for (size_t i = 0; i < t.size; i++) t.data[i] = rng.uniform(-a, a);
    };
    if (cfg.score == LuongScore::general) uni(m.W_a, H);
    if (cfg.score == LuongScore::concat) uni(m.W_q, H), uni(m.U_a, H), uni(m.v_a, A);
    uni(m.W_c, 2 * H), uni(m.W_out, H), uni(m.b_out, H);
}
// Declares, allocates, initialises. The model must not move afterwards.
inline void luong_build(Luong& m, const LuongConfig& cfg, Rng& rng) {
    luong_declare(m, cfg);
    m.params.allocate();
    luong_init(m, rng);
}

// Everything forward keeps for backward, for batches up to (B_max, S_max, T_max).
struct LuongActs {
    int B_max = 0, S_max = 0, T_max = 0;
    Buf src_x;          // (B,S,E)
    BiGRUCache enc_c;
    Buf hbar;           // (B,S,H)   h̄_s: the values
    Buf enc_hT;         // (2,B,H/2) final states: [0] = h→_last, [1] = h←_1
    Buf keys;           // (B,S,K)
    Buf dec_emb;        // (B,T,E)   E_tgt[y_{t−1}]
    Buf h;              // (T+1,B,H) h[0] = h_0, h[t+1] = after step t
    Buf htil;           // (T+1,B,H) h̃[0] = h̃_0 = 0, h̃[t+1] = h̃ of step t
    Buf x;              // (T,B,X)   [emb ; h̃_{t−1}]
    Buf gates, ghn;     // (T,B,3H), (T,B,H)
    Buf e;              // (T,B,S)   scores
    Buf th, q;          // (T,B,S,A) concat's tanh (empty otherwise), (B,A) scratch
    Buf alpha;          // (T,B,S)
    Buf ctx;            // (T,B,H)
    Buf cat;            // (T,B,2H)  [c_t ; h_t]
    Buf out;            // (B,T,H)   h̃ again, rows in the targets' (b,t) order for one output matmul
    PackedRows rows;    // the R ≤ B·T rows of out with a target (padding rows skipped), (R,H)
    Buf logits, probs;  // (R,Vt)
    // backward
    Buf dlogits, dout, ddec_emb, dhbar, dkeys, denc_hT, dh, dh_prev, dhtil, dhtil_feed, dx, dc, dalpha, de, dsrc_x;
    Buf gru_scratch, att_scratch, score_scratch;
    GRUCellPacked dec_packed;  // the decoder's weights packed once per backward pass (gru.hpp)
};

inline void luong_reserve(LuongActs& a, const LuongConfig& c, int B, int S, int T) {
    a.B_max = B, a.S_max = S, a.T_max = T;
    const size_t E = c.E, H = c.H, A = c.A, V = c.Vt, X = c.X(), K = c.K();
    const size_t BS = (size_t)B * S, BT = (size_t)B * T;
    a.src_x.assign(BS * E, 0), bigru_cache_init(a.enc_c, B, S, c.E, c.H / 2);
    a.hbar.assign(BS * H, 0), a.enc_hT.assign((size_t)B * H, 0), a.keys.assign(BS * K, 0);
    a.dec_emb.assign(BT * E, 0), a.h.assign((size_t)(T + 1) * B * H, 0), a.htil.assign((size_t)(T + 1) * B * H, 0);
    a.x.assign(BT * X, 0), a.gates.assign(BT * 3 * H, 0), a.ghn.assign(BT * H, 0), a.e.assign(BT * S, 0);
    a.th.assign(c.score == LuongScore::concat ? BT * S * A : 0, 0), a.q.assign((size_t)B * A, 0);
    a.alpha.assign(BT * S, 0), a.ctx.assign(BT * H, 0), a.cat.assign(BT * 2 * H, 0);
    a.out.assign(BT * H, 0), a.logits.assign(BT * V, 0), a.probs.assign(BT * V, 0);
    a.dlogits.assign(BT * V, 0), a.dout.assign(BT * H, 0), a.ddec_emb.assign(BT * E, 0);
    a.dhbar.assign(BS * H, 0), a.dkeys.assign(BS * K, 0), a.denc_hT.assign((size_t)B * H, 0);
    a.dh.assign((size_t)B * H, 0), a.dh_prev.assign((size_t)B * H, 0), a.dhtil.assign((size_t)B * H, 0);
    a.dhtil_feed.assign((size_t)B * H, 0), a.dx.assign((size_t)B * X, 0), a.dc.assign((size_t)B * H, 0);
    a.dalpha.assign(BS, 0), a.de.assign(BS, 0), a.dsrc_x.assign(BS * E, 0);
    a.gru_scratch.assign(gru_cell_scratch_size(B, c.H), 0);
    a.att_scratch.assign(attentional_scratch_size(B, c.H, c.H), 0), a.score_scratch.assign((size_t)B * A, 0);
}

inline void luong_check_fits(const LuongActs& a, int B, int S, int T) {
    if (B > a.B_max || S > a.S_max || T > a.T_max)
        fail("luong", "a batch within the reserved (" + std::to_string(a.B_max) + "," + std::to_string(a.S_max) + "," +
                          std::to_string(a.T_max) + "), found (" + std::to_string(B) + "," + std::to_string(S) + "," +
                          std::to_string(T) + ")",
             "call luong_reserve with the largest batch first");
}

// ---- the score, dispatching on the score function ----------------------------------------------
inline float luong_scale(const LuongConfig& c) {
    return c.score == LuongScore::scaled_dot ? 1.0f / std::sqrt((float)c.H) : 1.0f;
}
// e (B,S) = score(h_t, keys); th (B,S,A) concat's cache, q (B,A) its scratch
inline void luong_scores_forward(const Luong& m, float* e, float* th, float* q, const float* h, const float* keys,
                                 const int* len, int B, int S) {
    const int H = m.cfg.H;
    if (m.cfg.score == LuongScore::concat)
        concat_score_forward(e, th, q, h, keys, m.W_q.data, m.v_a.data, len, B, S, H, m.cfg.A);
    else  // dot, scaled-dot, general: h_t · k_s (general's W_a is inside k_s = W_a h̄_s)
        dot_score_forward(e, h, keys, len, luong_scale(m.cfg), B, S, H);
}
inline void luong_scores_backward(Luong& m, float* dh, float* dkeys, const float* de, const float* h, const float* keys,
                                  const float* th, const int* len, int B, int S, float* scratch) {
    const int H = m.cfg.H;
    if (m.cfg.score == LuongScore::concat)
        concat_score_backward(dh, dkeys, m.W_q.grad, m.v_a.grad, de, h, th, m.W_q.data, m.v_a.data, len, B, S, H,
                              m.cfg.A, scratch);
    else
        dot_score_backward(dh, dkeys, de, h, keys, len, luong_scale(m.cfg), B, S, H);
}
inline const float* luong_key_weight(const Luong& m) {
    return m.cfg.score == LuongScore::general ? m.W_a.data : m.cfg.score == LuongScore::concat ? m.U_a.data : nullptr;
}
inline float* luong_key_grad(Luong& m) {
    return m.cfg.score == LuongScore::general ? m.W_a.grad : m.cfg.score == LuongScore::concat ? m.U_a.grad : nullptr;
}

// ---- encoder: src (B,S) -> h̄ (values), keys, h_0 (into a.h[0]) -----------------------------------
inline void luong_encode(const Luong& m, LuongActs& a, const int* src, const int* src_len, int B, int S) {
    const int E = m.cfg.E, H = m.cfg.H, H2 = H / 2;
    luong_check_fits(a, B, S, 1);
    embedding_forward(a.src_x.data(), src, m.src_emb.data, B * S, E, m.cfg.Vs);  // E_src[x_s]
    // h̄_s = [h→_s ; h←_s];  enc_hT = (h→_last, h←_1)
    bigru_forward(a.hbar.data(), a.enc_hT.data(), a.enc_c, a.src_x.data(), nullptr, src_len, m.enc, B, S, E, H2);
    luong_keys_forward(a.keys.data(), a.hbar.data(), luong_key_weight(m), m.cfg.score, B, S, H, m.cfg.A);
    for (int r = 0; r < B; r++) {  // h_0 = [h→_last ; h←_1]
        std::copy_n(a.enc_hT.data() + (size_t)r * H2, H2, a.h.data() + (size_t)r * H);
        std::copy_n(a.enc_hT.data() + ((size_t)B + r) * H2, H2, a.h.data() + (size_t)r * H + H2);
    }
}
// The end of the backward: a.dh = ∂L/∂h_0 and a.dhbar, a.dkeys as the decoder steps left them.
inline void luong_encode_backward(Luong& m, LuongActs& a, const Seq2SeqBatch& b) {
    const int B = b.B, S = b.S, E = m.cfg.E, H = m.cfg.H, H2 = H / 2;
    const int* len = b.src_len.data();
    for (int r = 0; r < B; r++) {  // h_0 = [h→_last ; h←_1] -> ∂ of the two final states
        for (int j = 0; j < H2; j++) a.denc_hT[(size_t)r * H2 + j] += a.dh[(size_t)r * H + j];
        for (int j = 0; j < H2; j++) a.denc_hT[((size_t)B + r) * H2 + j] += a.dh[(size_t)r * H + H2 + j];
    }
    // keys = K(h̄) -> ∂h̄, ∂W_a / ∂U_a
    luong_keys_backward(a.dhbar.data(), luong_key_grad(m), a.dkeys.data(), a.hbar.data(), luong_key_weight(m),
                        m.cfg.score, B, S, H, m.cfg.A);
    bigru_backward(a.dsrc_x.data(), nullptr, m.enc, a.dhbar.data(), a.denc_hT.data(), a.enc_c, a.src_x.data(), len, B,
                   S, E, H2);
    embedding_backward(m.src_emb.grad, a.dsrc_x.data(), b.src.data(), B * S, E, m.cfg.Vs);
}

// ---- one decoder step ---------------------------------------------------------------------------
// What a step keeps for its backward: views into step t's slot of LuongActs while training, into the
// decoder's own buffers while searching (luong_decoder.hpp) — the same functions serve both.
struct LuongStepCache {
    float* x;      // (B,X)    x_t = [E_tgt[y_{t−1}] ; h̃_{t−1}]
    float* gates;  // (B,3H)   the GRU's cache
    float* ghn;    // (B,H)
    float* e;      // (B,S)    e_t (−∞ at padding)
    float* th;     // (B,S,A)  concat's tanh(W_q h_t + k_s); nullptr for the other scores
    float* q;      // (B,A)    concat's scratch
    float* alpha;  // (B,S)    α_t
    float* ctx;    // (B,H)    c_t
    float* cat;    // (B,2H)   [c_t ; h_t]
    float* htil;   // (B,H)    h̃_t
};
inline LuongStepCache luong_step_cache(LuongActs& a, const LuongConfig& c, int t, int B, int S) {
    const size_t H = c.H, A = c.A, X = c.X(), tB = (size_t)t * B;
    return {a.x.data() + tB * X,
            a.gates.data() + tB * 3 * H,
            a.ghn.data() + tB * H,
            a.e.data() + tB * S,
            c.score == LuongScore::concat ? a.th.data() + tB * S * A : nullptr,
            a.q.data(),
            a.alpha.data() + tB * S,
            a.ctx.data() + tB * H,
            a.cat.data() + tB * 2 * H,
            a.htil.data() + (tB + B) * H};
}

// First half: h_new (B,H) = h_t and the scores c.e = e_t, from emb = E_tgt[y_{t−1}] (rows row_step apart:
// T in training, 1 while searching), htil_prev = h̃_{t−1} (B,H) and h_prev = h_{t−1} (B,H). keys (B,S,K)
// and len (B) are each row's sentence. gru_scratch: gru_cell_scratch_size(B, H) floats.
inline void luong_step_scores_forward(float* h_new, LuongStepCache c, const Luong& m, const float* emb,
                                      const float* htil_prev, const float* h_prev, const float* keys, const int* len,
                                      int B, int S, int row_step, float* gru_scratch) {
    const int E = m.cfg.E, H = m.cfg.H, X = m.cfg.X();
    for (int r = 0; r < B; r++) {  // x_t = [E_tgt[y_{t−1}] ; h̃_{t−1}]   (without input feeding: E_tgt[y_{t−1}])
        std::copy_n(emb + (size_t)r * row_step * E, E, c.x + (size_t)r * X);
        if (m.cfg.feed) std::copy_n(htil_prev + (size_t)r * H, H, c.x + (size_t)r * X + E);
    }
    // h_t = GRU_dec(x_t, h_{t−1})
    gru_cell_forward(h_new, c.gates, c.ghn, c.x, h_prev, m.dec, B, X, H, gru_scratch);
    luong_scores_forward(m, c.e, c.th, c.q, h_new, keys, len, B, S);  // e_ts = score(h_t, h̄_s)
}
// Back through the first half. a.de = ∂L/∂e_t and a.dh = ∂L/∂h_t (from everything after the GRU). Writes
// a.dh_prev = ∂L/∂h_{t−1} and a.dhtil_feed = ∂L/∂h̃_{t−1} (input feeding); adds into demb (rows
// row_step apart), a.dkeys and the score's and the GRU's gradients.
inline void luong_step_scores_backward(float* demb, Luong& m, LuongActs& a, LuongStepCache c, const float* h_prev,
                                       const float* h_t, const float* keys, const int* len, int B, int S,
                                       int row_step) {
    const int E = m.cfg.E, H = m.cfg.H, X = m.cfg.X();
    // e_t = score(h_t, keys) -> ∂h_t, ∂keys, ∂W_q, ∂v_a
    luong_scores_backward(m, a.dh.data(), a.dkeys.data(), a.de.data(), h_t, keys, c.th, len, B, S,
                          a.score_scratch.data());
    // h_t = GRU_dec(x_t, h_{t−1}) -> ∂x_t, ∂h_{t−1}
    std::fill_n(a.dx.begin(), (size_t)B * X, 0.0f), std::fill_n(a.dh_prev.begin(), (size_t)B * H, 0.0f);
    gru_cell_backward(a.dx.data(), a.dh_prev.data(), m.dec, a.dh.data(), c.gates, c.ghn, c.x, h_prev, B, X, H,
                      a.gru_scratch.data(), &a.dec_packed);
    for (int r = 0; r < B; r++) {  // x_t = [emb ; h̃_{t−1}] -> ∂emb, ∂h̃_{t−1} (carried to step t−1)
        const float* g = a.dx.data() + (size_t)r * X;
        float* de = demb + (size_t)r * row_step * E;
        for (int j = 0; j < E; j++) de[j] += g[j];
        if (m.cfg.feed) std::copy_n(g + E, H, a.dhtil_feed.data() + (size_t)r * H);  // (h̃_0 = 0: dropped at t = 0)
    }
}

// Second half: c_t = Σ_s α_ts h̄_s and h̃_t = tanh(W_c [c_t ; h_t]) (c.ctx, c.htil) from the weights c.alpha
// and h_t; values (B,S,H) = h̄ of each row's sentence. The rows of out (h̃_t again, the output layer's
// input) are row_step apart.
inline void luong_step_attend_forward(float* out, LuongStepCache c, const Luong& m, const float* h_t,
                                      const float* values, const int* len, int B, int S, int row_step) {
    const int H = m.cfg.H;
    context_forward(c.ctx, c.alpha, values, len, B, S, H);                // c_t = Σ_s α_ts h̄_s
    attentional_forward(c.htil, c.cat, c.ctx, h_t, m.W_c.data, B, H, H);  // h̃_t = tanh(W_c [c_t ; h_t])
    for (int r = 0; r < B; r++) std::copy_n(c.htil + (size_t)r * H, H, out + (size_t)r * row_step * H);
}
// Back through the second half. dout = ∂L/∂h̃_t from the output layer (rows row_step apart), a.dhtil_feed =
// ∂L/∂h̃_t from step t+1's input, a.dh = ∂L/∂h_t from step t+1's GRU. Writes a.dalpha = ∂L/∂α_t; adds into
// a.dh, a.dhbar (the values) and ∂W_c.
inline void luong_step_attend_backward(Luong& m, LuongActs& a, const float* dout, LuongStepCache c, const float* values,
                                       const int* len, int B, int S, int row_step) {
    const int H = m.cfg.H;
    for (int r = 0; r < B; r++)  // h̃_t feeds the output layer and (input feeding) x_{t+1}
        for (int j = 0; j < H; j++)
            a.dhtil[(size_t)r * H + j] = dout[(size_t)r * row_step * H + j] + a.dhtil_feed[(size_t)r * H + j];
    // h̃_t = tanh(W_c [c_t ; h_t]) -> ∂c_t, ∂h_t, ∂W_c
    std::fill_n(a.dc.begin(), (size_t)B * H, 0.0f);
    attentional_backward(a.dc.data(), a.dh.data(), m.W_c.grad, a.dhtil.data(), c.htil, c.cat, m.W_c.data, B, H, H,
                         a.att_scratch.data());
    // c_t = Σ_s α_ts h̄_s -> ∂α_t, ∂h̄
    std::fill_n(a.dalpha.begin(), (size_t)B * S, 0.0f);
    context_backward(a.dalpha.data(), a.dhbar.data(), a.dc.data(), c.alpha, values, len, B, S, H);
}

// The whole step: h_new = h_t, the cache c, and out_t = h̃_t, from y_{t−1}'s embedding, h̃_{t−1} and h_{t−1}.
inline void luong_step_forward(float* h_new, float* out, LuongStepCache c, const Luong& m, const float* emb,
                               const float* htil_prev, const float* h_prev, const float* keys, const float* values,
                               const int* len, int B, int S, int row_step, float* gru_scratch) {
    luong_step_scores_forward(h_new, c, m, emb, htil_prev, h_prev, keys, len, B, S, row_step, gru_scratch);
    masked_softmax_forward(c.alpha, c.e, nullptr, len, B, S);  // α_ts = exp(e_ts) / Σ_{s' < len} exp(e_ts')
    luong_step_attend_forward(out, c, m, h_new, values, len, B, S, row_step);
}
// Back through one step: as the two halves say, with ∂e_s = α_s (∂α_s − Σ_s' α_s' ∂α_s') between them.
inline void luong_step_backward(float* demb, Luong& m, LuongActs& a, const float* dout, LuongStepCache c,
                                const float* h_prev, const float* h_t, const float* keys, const float* values,
                                const int* len, int B, int S, int row_step) {
    luong_step_attend_backward(m, a, dout, c, values, len, B, S, row_step);
    std::fill_n(a.de.begin(), (size_t)B * S, 0.0f);
    masked_softmax_backward(a.de.data(), a.dalpha.data(), c.alpha, B, S);
    luong_step_scores_backward(demb, m, a, c, h_prev, h_t, keys, len, B, S, row_step);
}

// ---- the output layer and the loss: over all rows with a target at once ---------------------------
// (a <pad> row counts nowhere in the loss, so the output layer skips it: packed_rows.hpp)
inline float luong_output_forward(Luong& m, LuongActs& a, const Seq2SeqBatch& b) {
    const int BT = b.B * b.T, H = m.cfg.H, V = m.cfg.Vt;
    // logits = W_s h̃_t + b_s, L = mean CE
    return packed_output_forward(a.rows, a.logits.data(), a.probs.data(), a.out.data(), b.dec_out.data(), m.W_out.data,
                                 m.b_out.data, BT, H, V, Vocab::PAD, 0.0f);
}
// The start of the backward: zeroes the gradient buffers the steps add into, then L = CE(logits) ->
// ∂logits;  logits = W_s h̃ + b_s -> a.dout = ∂L/∂h̃ (all steps at once), ∂W_s, ∂b_s.
inline void luong_output_backward(Luong& m, LuongActs& a, const Seq2SeqBatch& b) {
    const int B = b.B, S = b.S, T = b.T, E = m.cfg.E, H = m.cfg.H, V = m.cfg.Vt;
    const size_t BT = (size_t)B * T, BS = (size_t)B * S, BH = (size_t)B * H;
    auto zero = [](Buf& v, size_t n) { std::fill(v.begin(), v.begin() + n, 0.0f); };
    zero(a.dout, BT * H), zero(a.ddec_emb, BT * E), zero(a.dhbar, BS * H);
    zero(a.dkeys, BS * m.cfg.K()), zero(a.denc_hT, BH), zero(a.dh, BH), zero(a.dhtil_feed, BH), zero(a.dsrc_x, BS * E);
    packed_output_backward(a.dout.data(), m.W_out.grad, m.b_out.grad, a.rows, a.dlogits.data(), a.probs.data(),
                           m.W_out.data, H, V, 0.0f);  // <pad> rows get none
}

// ---- the whole model with teacher forcing: mean cross-entropy per target token ------------------
inline float luong_forward(Luong& m, LuongActs& a, const Seq2SeqBatch& b) {
    const int B = b.B, S = b.S, T = b.T, E = m.cfg.E, H = m.cfg.H;
    const size_t BH = (size_t)B * H;
    luong_check_fits(a, B, S, T);
    luong_encode(m, a, b.src.data(), b.src_len.data(), B, S);                                 // h̄, keys, h_0
    embedding_forward(a.dec_emb.data(), b.dec_in.data(), m.tgt_emb.data, B * T, E, m.cfg.Vt);  // E_tgt[y_{t−1}]
    std::fill_n(a.htil.begin(), BH, 0.0f);                                                      // h̃_0 = 0
    for (int t = 0; t < T; t++)  // h_{t+1}, h̃_{t+1} and out_t from step t: the decoder step above
        luong_step_forward(a.h.data() + (t + 1) * BH, a.out.data() + (size_t)t * H, luong_step_cache(a, m.cfg, t, B, S),
                           m, a.dec_emb.data() + (size_t)t * E, a.htil.data() + t * BH, a.h.data() + t * BH,
                           a.keys.data(), a.hbar.data(), b.src_len.data(), B, S, T, a.gru_scratch.data());
    return luong_output_forward(m, a, b);
}

// Adds ∂L/∂θ into m.params.grad (the caller zeroes it). Must follow luong_forward on b. Full BPTT,
// through the recurrence h_{t−1} -> h_t AND through the input-feeding path h̃_{t−1} -> x_t.
inline void luong_backward(Luong& m, LuongActs& a, const Seq2SeqBatch& b) {
    const int B = b.B, S = b.S, T = b.T, E = m.cfg.E, H = m.cfg.H;
    const size_t BH = (size_t)B * H;
    luong_output_backward(m, a, b);
    gru_cell_pack_backward(a.dec_packed, m.dec, m.cfg.X(), H);  // for every step's dx_t, dh_{t−1}
    // Back through the steps. Arriving at step t: a.dh = ∂L/∂h_t from step t+1's GRU, a.dhtil_feed =
    // ∂L/∂h̃_t from step t+1's input (input feeding).
    for (int t = T - 1; t >= 0; t--) {
        luong_step_backward(a.ddec_emb.data() + (size_t)t * E, m, a, a.dout.data() + (size_t)t * H,
                            luong_step_cache(a, m.cfg, t, B, S), a.h.data() + t * BH, a.h.data() + (t + 1) * BH,
                            a.keys.data(), a.hbar.data(), b.src_len.data(), B, S, T);
        a.dh.swap(a.dh_prev);
    }
    embedding_backward(m.tgt_emb.grad, a.ddec_emb.data(), b.dec_in.data(), B * T, E, m.cfg.Vt);
    luong_encode_backward(m, a, b);
}

// ---- the model's name and configuration, as checkpoints keep them -------------------------------
inline const char* kLuongKind = "luong";  // the checkpoint's tag; --load refuses another model's
// Config text "Vs Vt E H A score feed"; chapter 04 appends its own fields after these.
inline std::string luong_config_text(const LuongConfig& c) {
    return std::to_string(c.Vs) + " " + std::to_string(c.Vt) + " " + std::to_string(c.E) + " " + std::to_string(c.H) +
           " " + std::to_string(c.A) + " " + luong_score_name(c.score) + " " + (c.feed ? "1" : "0");
}
inline LuongConfig luong_parse_config(const std::string& s, const std::string& where) {
    LuongConfig c;
    char score[32] = {0};
    int feed = 1;
    if (std::sscanf(s.c_str(), "%d %d %d %d %d %31s %d", &c.Vs, &c.Vt, &c.E, &c.H, &c.A, score, &feed) != 7)
        fail(where, "a chapter 03 model config 'Vs Vt E H A score feed', found '" + s + "'",
             "was this checkpoint written by 03_multiplicative_attention?");
    c.score = parse_luong_score(score), c.feed = feed != 0;
    luong_check_config(c, where);
    return c;
}
inline std::string luong_title(const LuongConfig& c) {
    return "Luong global attention seq2seq (score " + luong_score_name(c.score) + ", input feeding " +
           (c.feed ? "on" : "off") + ", E=" + std::to_string(c.E) + ", H=" + std::to_string(c.H) +
           (c.score == LuongScore::concat ? ", A=" + std::to_string(c.A) : "") + ", bidirectional encoder)";
}

}  // namespace ch03
