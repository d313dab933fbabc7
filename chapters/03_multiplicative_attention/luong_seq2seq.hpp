// luong_seq2seq.hpp — chapter 03's model: global attention of Luong, Pham & Manning (2015).
//
//   encoder:  h̄_s = [h→_s ; h←_s] = BiGRU(E_src[x_s])_s            (B,S,H)  H/2 per direction
//             k_s = keys of the score (luong_attention.hpp)            once per sentence
//   init:     h_0 = [h→_last ; h←_1]                                   the two final states, no parameters
//   decoder, for t = 1..T (teacher forcing, y_0 = <bos>, h̃_0 = 0):
//             x_t  = [E_tgt[y_{t−1}] ; h̃_{t−1}]          INPUT FEEDING (section 3.3); without it x_t = E_tgt[y_{t−1}]
//             h_t  = GRU_dec(x_t, h_{t−1})                the CURRENT state...
//             e_ts = score(h_t, h̄_s)                      ...is what attends (eq. 8)
//             α_t  = align(e_t)                           soft: softmax over the valid s (eq. 7) — swappable, see below
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
// The step "α_t from e_t" is isolated (luong_align_forward / _backward): with m.align == nullptr it is
// the soft global attention of this chapter; chapter 04 plugs local-m, local-p and hard alignments in
// through the LuongAligner interface without touching the decoder loop.
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

#include "chapters/01_seq2seq/decoding.hpp"
#include "chapters/01_seq2seq/seq2seq_data.hpp"
#include "chapters/01_seq2seq/translation_model.hpp"
#include "chapters/03_multiplicative_attention/luong_attention.hpp"
#include "common/core/buffer.hpp"
#include "common/nn/cross_entropy.hpp"
#include "common/nn/embedding.hpp"
#include "common/nn/gru.hpp"
#include "common/core/matmul.hpp"
#include "common/core/params.hpp"
#include "common/core/rng.hpp"
#include "common/nn/rnn_sequence.hpp"
#include "common/nn/softmax.hpp"

namespace s2s {

struct LuongConfig {
    int Vs = 0, Vt = 0;
    int E = 64, H = 128, A = 128;  // A: concat score only
    LuongScore score = LuongScore::general;
    bool feed = true;  // input feeding
    int X() const { return E + (feed ? H : 0); }
    int K() const { return luong_key_size(score, H, A); }
};

// ---- the alignment step, swappable --------------------------------------------------------------
// α_t (B,S) from the scores e_t (B,S; −∞ at padding) and the decoder state h_t (B,H). Chapter 03 uses
// none of this (soft attention = masked softmax); chapter 04 implements it for local and hard attention.
struct LuongAligner {
    virtual ~LuongAligner() = default;
    virtual std::string name() const = 0;
    virtual void declare(ParamSet& /*ps*/, const LuongConfig& /*cfg*/) {}  // its parameters, before allocate()
    virtual void init(Rng& /*rng*/) {}                                     // after allocate()
    virtual void reserve(int /*B*/, int /*S*/, int /*T*/) {}               // caches for T steps
    // train: the teacher-forced forward (keep step t's caches for backward); false while decoding.
    virtual void forward(float* alpha, const float* e, const float* h, const int* len, int t, int B, int S, int H,
                         bool train) = 0;
    // dalpha (B,S) = ∂L/∂α_t -> de (B,S) +=, dh (B,H) += (when α depends on h_t directly), own grads +=.
    virtual void backward(float* de, float* dh, const float* dalpha, const float* alpha, const float* e,
                          const float* h, const int* len, int t, int B, int S, int H) = 0;
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
    LuongAligner* align = nullptr;  // nullptr: soft global attention
    ParamSet params;
};

inline void luong_check_config(const LuongConfig& c, const std::string& where) {
    if (c.H < 2 || c.H % 2 != 0)
        fail(where, "an even hidden size H (the encoder has H/2 per direction), found " + std::to_string(c.H),
             "e.g. --hidden 128");
    if (c.E < 1 || c.A < 1 || c.Vs < 5 || c.Vt < 5) fail(where, "positive sizes and vocabularies");
}

// Declares, allocates, initialises: embeddings N(0,1); GRUs and linear layers U(−1/√fan_in, 1/√fan_in)
// (PyTorch's defaults). Only the score's own parameters are declared. The model must not move afterwards.
inline void luong_build(Luong& m, const LuongConfig& cfg, Rng& rng, LuongAligner* align = nullptr) {
    luong_check_config(cfg, "luong_build");
    m.cfg = cfg, m.align = align;
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
    if (align) align->declare(m.params, cfg);
    m.params.allocate();
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
    if (align) align->init(rng);
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
    Buf x;              // (T,B,X)   [emb ; h̃_{t−1}]
    Buf gates, ghn;     // (T,B,3H), (T,B,H)
    Buf e;              // (T,B,S)   scores
    Buf th, q;          // (T,B,S,A) concat's tanh (empty otherwise), (B,A) scratch
    Buf alpha;          // (T,B,S)
    Buf ctx;            // (T,B,H)
    Buf cat;            // (T,B,2H)  [c_t ; h_t]
    Buf htil;           // (T,B,H)   h̃_t
    Buf out;            // (B,T,H)   h̃ again, rows in the targets' (b,t) order for one output matmul
    Buf logits, probs;  // (B,T,Vt)
    // backward
    Buf dlogits, dout, ddec_emb, dhbar, dkeys, denc_hT, dh, dh_prev, dhtil, dhtil_feed, dx, dc, dalpha, de, dsrc_x;
    Buf gru_scratch, att_scratch, score_scratch;
};

inline void luong_reserve(LuongActs& a, const LuongConfig& c, int B, int S, int T) {
    a.B_max = B, a.S_max = S, a.T_max = T;
    const size_t E = c.E, H = c.H, A = c.A, V = c.Vt, X = c.X(), K = c.K();
    const size_t BS = (size_t)B * S, BT = (size_t)B * T;
    a.src_x.assign(BS * E, 0), bigru_cache_init(a.enc_c, B, S, c.E, c.H / 2);
    a.hbar.assign(BS * H, 0), a.enc_hT.assign((size_t)B * H, 0), a.keys.assign(BS * K, 0);
    a.dec_emb.assign(BT * E, 0), a.h.assign((size_t)(T + 1) * B * H, 0), a.x.assign(BT * X, 0);
    a.gates.assign(BT * 3 * H, 0), a.ghn.assign(BT * H, 0), a.e.assign(BT * S, 0);
    a.th.assign(c.score == LuongScore::concat ? BT * S * A : 0, 0), a.q.assign((size_t)B * A, 0);
    a.alpha.assign(BT * S, 0), a.ctx.assign(BT * H, 0), a.cat.assign(BT * 2 * H, 0), a.htil.assign(BT * H, 0);
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

// ---- the four pieces of one attention step, each dispatching on the score / aligner -------------
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
// α_t = align(e_t): soft = softmax over the valid positions (chapter 03), or chapter 04's aligner
inline void luong_align_forward(Luong& m, float* alpha, const float* e, const float* h, const int* len, int t, int B,
                                int S, bool train) {
    if (m.align)
        m.align->forward(alpha, e, h, len, t, B, S, m.cfg.H, train);
    else
        masked_softmax_forward(alpha, e, nullptr, len, B, S);  // α_ts = exp(e_ts) / Σ_{s' < len} exp(e_ts')
}
inline void luong_align_backward(Luong& m, float* de, float* dh, const float* dalpha, const float* alpha,
                                 const float* e, const float* h, const int* len, int t, int B, int S) {
    if (m.align)
        m.align->backward(de, dh, dalpha, alpha, e, h, len, t, B, S, m.cfg.H);
    else  // ∂e_s = α_s (∂α_s − Σ_s' α_s' ∂α_s')
        masked_softmax_backward(de, dalpha, alpha, B, S);
}
inline const float* luong_key_weight(const Luong& m) {
    return m.cfg.score == LuongScore::general ? m.W_a.data : m.cfg.score == LuongScore::concat ? m.U_a.data : nullptr;
}
inline float* luong_key_grad(Luong& m) {
    return m.cfg.score == LuongScore::general ? m.W_a.grad : m.cfg.score == LuongScore::concat ? m.U_a.grad : nullptr;
}

// ---- encoder: src (B,S) -> h̄ (values), keys, h_0 (into a.h[0]) -----------------------------------
inline void luong_encode(Luong& m, LuongActs& a, const int* src, const int* src_len, int B, int S) {
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

// ---- the whole model with teacher forcing: mean cross-entropy per target token ------------------
inline float luong_forward(Luong& m, LuongActs& a, const Seq2SeqBatch& b) {
    const int B = b.B, S = b.S, T = b.T, E = m.cfg.E, H = m.cfg.H, V = m.cfg.Vt, X = m.cfg.X();
    const int* len = b.src_len.data();
    luong_check_fits(a, B, S, T);
    luong_encode(m, a, b.src.data(), len, B, S);
    embedding_forward(a.dec_emb.data(), b.dec_in.data(), m.tgt_emb.data, B * T, E, V);  // E_tgt[y_{t−1}]
    const size_t BH = (size_t)B * H, BS = (size_t)B * S;
    for (int t = 0; t < T; t++) {
        const float* h_prev = a.h.data() + t * BH;
        float* h_t = a.h.data() + (t + 1) * BH;
        float* x = a.x.data() + (size_t)t * B * X;
        for (int r = 0; r < B; r++) {  // x_t = [E_tgt[y_{t−1}] ; h̃_{t−1}]   (h̃_0 = 0)
            std::copy_n(a.dec_emb.data() + ((size_t)r * T + t) * E, E, x + (size_t)r * X);
            if (m.cfg.feed) {
                float* f = x + (size_t)r * X + E;
                if (t == 0) std::fill(f, f + H, 0.0f);
                else std::copy_n(a.htil.data() + (t - 1) * BH + (size_t)r * H, H, f);
            }
        }
        // h_t = GRU_dec(x_t, h_{t−1})
        gru_cell_forward(h_t, a.gates.data() + (size_t)t * B * 3 * H, a.ghn.data() + t * BH, x, h_prev, m.dec, B, X, H,
                         a.gru_scratch.data());
        float* e = a.e.data() + t * BS;
        float* alpha = a.alpha.data() + t * BS;
        float* th = m.cfg.score == LuongScore::concat ? a.th.data() + t * BS * m.cfg.A : nullptr;
        luong_scores_forward(m, e, th, a.q.data(), h_t, a.keys.data(), len, B, S);  // e_ts = score(h_t, h̄_s)
        luong_align_forward(m, alpha, e, h_t, len, t, B, S, true);                   // α_t = align(e_t)
        context_forward(a.ctx.data() + t * BH, alpha, a.hbar.data(), len, B, S, H);  // c_t = Σ_s α_ts h̄_s
        float* htil = a.htil.data() + t * BH;                                        // h̃_t = tanh(W_c [c_t ; h_t])
        attentional_forward(htil, a.cat.data() + 2 * t * BH, a.ctx.data() + t * BH, h_t, m.W_c.data, B, H, H);
        for (int r = 0; r < B; r++) std::copy_n(htil + (size_t)r * H, H, a.out.data() + ((size_t)r * T + t) * H);
    }
    // logits = W_s h̃_t + b_s
    linear_forward(a.logits.data(), a.out.data(), m.W_out.data, m.b_out.data, B * T, H, V);
    return cross_entropy_forward(a.probs.data(), nullptr, a.logits.data(), b.dec_out.data(), nullptr, B * T, V,
                                 Vocab::PAD, 0.0f);
}

// Adds ∂L/∂θ into m.params.grad (the caller zeroes it). Must follow luong_forward on b. Full BPTT,
// through the recurrence h_{t−1} -> h_t AND through the input-feeding path h̃_{t−1} -> x_t.
inline void luong_backward(Luong& m, LuongActs& a, const Seq2SeqBatch& b) {
    const int B = b.B, S = b.S, T = b.T, E = m.cfg.E, H = m.cfg.H, V = m.cfg.Vt, X = m.cfg.X(), H2 = H / 2;
    const int* len = b.src_len.data();
    const size_t BT = (size_t)B * T, BS = (size_t)B * S, BH = (size_t)B * H;
    auto zero = [](Buf& v, size_t n) { std::fill(v.begin(), v.begin() + n, 0.0f); };
    zero(a.dlogits, BT * V), zero(a.dout, BT * H), zero(a.ddec_emb, BT * E), zero(a.dhbar, BS * H);
    zero(a.dkeys, BS * m.cfg.K()), zero(a.denc_hT, BH), zero(a.dh, BH), zero(a.dhtil_feed, BH), zero(a.dsrc_x, BS * E);
    // L = CE(logits) -> ∂logits;  logits = W_s h̃ + b_s -> ∂h̃ (all steps at once), ∂W_s, ∂b_s
    cross_entropy_backward(a.dlogits.data(), a.probs.data(), b.dec_out.data(), nullptr, (int)BT, V, Vocab::PAD, 0.0f,
                           1.0f);
    linear_backward(a.dout.data(), m.W_out.grad, m.b_out.grad, a.dlogits.data(), a.out.data(), m.W_out.data, (int)BT, H,
                    V);
    // Back through the steps. Arriving at step t: a.dh = ∂L/∂h_t from step t+1's GRU, a.dhtil_feed =
    // ∂L/∂h̃_t from step t+1's input (input feeding).
    for (int t = T - 1; t >= 0; t--) {
        const float* h_prev = a.h.data() + t * BH;
        const float* h_t = a.h.data() + (t + 1) * BH;
        const float* alpha = a.alpha.data() + t * BS;
        const float* e = a.e.data() + t * BS;
        for (int r = 0; r < B; r++)  // h̃_t feeds the output layer and (input feeding) x_{t+1}
            for (int j = 0; j < H; j++)
                a.dhtil[(size_t)r * H + j] = a.dout[((size_t)r * T + t) * H + j] + a.dhtil_feed[(size_t)r * H + j];
        // h̃_t = tanh(W_c [c_t ; h_t]) -> ∂c_t, ∂h_t, ∂W_c
        zero(a.dc, BH);
        attentional_backward(a.dc.data(), a.dh.data(), m.W_c.grad, a.dhtil.data(), a.htil.data() + t * BH,
                             a.cat.data() + 2 * t * BH, m.W_c.data, B, H, H, a.att_scratch.data());
        // c_t = Σ_s α_ts h̄_s -> ∂α_t, ∂h̄
        zero(a.dalpha, BS), zero(a.de, BS);
        context_backward(a.dalpha.data(), a.dhbar.data(), a.dc.data(), alpha, a.hbar.data(), len, B, S, H);
        // α_t = align(e_t) -> ∂e_t (and ∂h_t for an aligner whose window moves with h_t)
        luong_align_backward(m, a.de.data(), a.dh.data(), a.dalpha.data(), alpha, e, h_t, len, t, B, S);
        // e_t = score(h_t, keys) -> ∂h_t, ∂keys, ∂W_q, ∂v_a
        const float* th = m.cfg.score == LuongScore::concat ? a.th.data() + t * BS * m.cfg.A : nullptr;
        luong_scores_backward(m, a.dh.data(), a.dkeys.data(), a.de.data(), h_t, a.keys.data(), th, len, B, S,
                              a.score_scratch.data());
        // h_t = GRU_dec(x_t, h_{t−1}) -> ∂x_t, ∂h_{t−1}
        const float* x = a.x.data() + (size_t)t * B * X;
        zero(a.dx, (size_t)B * X), zero(a.dh_prev, BH);
        gru_cell_backward(a.dx.data(), a.dh_prev.data(), m.dec, a.dh.data(), a.gates.data() + (size_t)t * B * 3 * H,
                          a.ghn.data() + t * BH, x, h_prev, B, X, H, a.gru_scratch.data());
        for (int r = 0; r < B; r++) {  // x_t = [emb ; h̃_{t−1}] -> ∂emb, ∂h̃_{t−1} (carried to step t−1)
            const float* g = a.dx.data() + (size_t)r * X;
            float* demb = a.ddec_emb.data() + ((size_t)r * T + t) * E;
            for (int j = 0; j < E; j++) demb[j] += g[j];
            if (m.cfg.feed) std::copy_n(g + E, H, a.dhtil_feed.data() + (size_t)r * H);  // (h̃_0 = 0: dropped at t = 0)
        }
        a.dh.swap(a.dh_prev);
    }
    embedding_backward(m.tgt_emb.grad, a.ddec_emb.data(), b.dec_in.data(), (int)BT, E, V);
    for (int r = 0; r < B; r++) {  // h_0 = [h→_last ; h←_1] -> ∂ of the two final states
        for (int j = 0; j < H2; j++) a.denc_hT[(size_t)r * H2 + j] += a.dh[(size_t)r * H + j];
        for (int j = 0; j < H2; j++) a.denc_hT[((size_t)B + r) * H2 + j] += a.dh[(size_t)r * H + H2 + j];
    }
    // keys = K(h̄) -> ∂h̄, ∂W_a / ∂U_a
    luong_keys_backward(a.dhbar.data(), luong_key_grad(m), a.dkeys.data(), a.hbar.data(), luong_key_weight(m),
                        m.cfg.score, B, S, H, m.cfg.A);
    bigru_backward(a.dsrc_x.data(), nullptr, m.enc, a.dhbar.data(), a.denc_hT.data(), a.enc_c, a.src_x.data(), len, B,
                   S, E, H2);
    embedding_backward(m.src_emb.grad, a.dsrc_x.data(), b.src.data(), (int)BS, E, m.cfg.Vs);
}

// ---- decoding: one step for decoding.hpp ---------------------------------------------------------
// The state of a hypothesis is [h (H) ; h̃ (H) ; sentence index ; step t], SD = 2H + 2: greedy_decode
// drops finished rows, so a row carries which sentence it attends to; h̃ is the input-feeding vector;
// t tells an aligner (chapter 04's local-m) where it is. Optionally records row 0's α at every step.
inline int luong_state_size(const LuongConfig& c) { return 2 * c.H + 2; }

struct LuongStep {
    Luong& m;
    const float* keys;    // (N,S,K) of the N encoded sentences
    const float* values;  // (N,S,H)
    const int* lens;      // (N)
    int S;
    Buf gk, gv, h, h_new, x, gates, ghn, e, th, q, alpha, ctx, cat, htil, logits, scratch;
    std::vector<int> glen;
    std::vector<std::vector<float>>* record = nullptr;  // if set: α of row 0 at every step
    LuongStep(Luong& model, const float* k, const float* v, const int* l, int S_, int n_max)
        : m(model), keys(k), values(v), lens(l), S(S_) {
        const size_t n = n_max, H = m.cfg.H, A = m.cfg.A, K = m.cfg.K();
        gk.resize(n * S * K), gv.resize(n * S * H), h.resize(n * H), h_new.resize(n * H), x.resize(n * m.cfg.X());
        gates.resize(n * 3 * H), ghn.resize(n * H), e.resize(n * S), th.resize(n * S * A), q.resize(n * A);
        alpha.resize(n * S), ctx.resize(n * H), cat.resize(n * 2 * H), htil.resize(n * H);
        logits.resize(n * m.cfg.Vt), scratch.resize(gru_cell_scratch_size(n_max, m.cfg.H)), glen.resize(n);
    }
    void operator()(float* logp, float* state_out, const int* tokens, const float* state_in, int n) {
        const int E = m.cfg.E, H = m.cfg.H, V = m.cfg.Vt, X = m.cfg.X(), K = m.cfg.K(), SD = luong_state_size(m.cfg);
        if ((size_t)n > glen.size()) fail("LuongStep", "at most the n_max rows it was built for");
        const int t = (int)state_in[2 * H + 1];  // every live row is at the same step
        for (int r = 0; r < n; r++) {  // gather each row's sentence; x_t = [E_tgt[y_{t−1}] ; h̃_{t−1}]
            const float* st = state_in + (size_t)r * SD;
            int k = (int)st[2 * H];
            std::copy_n(st, H, h.data() + (size_t)r * H);
            std::copy_n(keys + (size_t)k * S * K, (size_t)S * K, gk.data() + (size_t)r * S * K);
            std::copy_n(values + (size_t)k * S * H, (size_t)S * H, gv.data() + (size_t)r * S * H);
            glen[r] = lens[k];
            embedding_forward(x.data() + (size_t)r * X, tokens + r, m.tgt_emb.data, 1, E, V);
            if (m.cfg.feed) std::copy_n(st + H, H, x.data() + (size_t)r * X + E);
        }
        gru_cell_forward(h_new.data(), gates.data(), ghn.data(), x.data(), h.data(), m.dec, n, X, H, scratch.data());
        luong_scores_forward(m, e.data(), th.data(), q.data(), h_new.data(), gk.data(), glen.data(), n, S);
        luong_align_forward(m, alpha.data(), e.data(), h_new.data(), glen.data(), t, n, S, false);
        if (record) record->emplace_back(alpha.begin(), alpha.begin() + glen[0]);
        context_forward(ctx.data(), alpha.data(), gv.data(), glen.data(), n, S, H);
        attentional_forward(htil.data(), cat.data(), ctx.data(), h_new.data(), m.W_c.data, n, H, H);
        linear_forward(logits.data(), htil.data(), m.W_out.data, m.b_out.data, n, H, V);
        log_softmax_forward(logp, logits.data(), n, V);
        for (int r = 0; r < n; r++) {
            float* so = state_out + (size_t)r * SD;
            std::copy_n(h_new.data() + (size_t)r * H, H, so);
            std::copy_n(htil.data() + (size_t)r * H, H, so + H);
            so[2 * H] = state_in[(size_t)r * SD + 2 * H], so[2 * H + 1] = (float)(t + 1);
        }
    }
};

// Translate sentences: encode them in one batch, then greedy (beam = 1) or beam search per sentence.
// max_len = 2·(source tokens) + 10. With `attention` set (greedy only), receives for each sentence
// the weights α (one row per output token, one column per source token incl. <eos>).
inline std::vector<Hypothesis> luong_translate(Luong& m, const Vocab& src_vocab, const std::vector<std::string>& srcs,
                                               int beam, float alpha, Alignments* attention = nullptr) {
    std::vector<std::vector<int>> ids;
    std::vector<int> idx;
    for (const auto& s : srcs) {
        idx.push_back((int)ids.size());
        ids.push_back(src_vocab.encode(s, false, true));
    }
    if (ids.empty()) return {};
    TokenBatch tb = make_batch(ids, idx);
    const int B = tb.B, S = tb.T, H = m.cfg.H, V = m.cfg.Vt, SD = luong_state_size(m.cfg);
    LuongActs a;  // encoder only
    luong_reserve(a, m.cfg, B, S, 1);
    luong_encode(m, a, tb.ids.data(), tb.lengths.data(), B, S);
    Buf init((size_t)B * SD, 0.0f);  // [h_0 ; h̃_0 = 0 ; r ; t = 0]
    for (int r = 0; r < B; r++) {
        std::copy_n(a.h.data() + (size_t)r * H, H, init.data() + (size_t)r * SD);
        init[(size_t)r * SD + 2 * H] = (float)r;
    }
    const float* K = a.keys.data();
    const float* hb = a.hbar.data();
    if (attention) {  // one sentence at a time, recording row 0's weights
        attention->assign(B, {});
        std::vector<Hypothesis> out;
        LuongStep step(m, K, hb, tb.lengths.data(), S, 1);
        for (int r = 0; r < B; r++) {
            step.record = &(*attention)[r];
            out.push_back(greedy_decode(step, init.data() + (size_t)r * SD, 1, SD, V, 2 * tb.lengths[r] + 10, alpha)[0]);
        }
        return out;
    }
    if (beam <= 1) {
        LuongStep step(m, K, hb, tb.lengths.data(), S, B);
        int max_len = 0;
        for (int L : tb.lengths) max_len = std::max(max_len, 2 * L + 10);
        return greedy_decode(step, init.data(), B, SD, V, max_len, alpha);
    }
    LuongStep step(m, K, hb, tb.lengths.data(), S, beam);
    std::vector<Hypothesis> out;
    for (int r = 0; r < B; r++)
        out.push_back(beam_search(step, init.data() + (size_t)r * SD, SD, V, beam, 2 * tb.lengths[r] + 10, alpha).front());
    return out;
}

// ---- the model as the shared driver sees it (chapters/01_seq2seq/translation_model.hpp) ----------
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

// m and a must outlive the returned functions.
inline TranslationModel luong_model(Luong& m, LuongActs& a) {
    TranslationModel t;
    t.kind = "luong";
    t.title = luong_title(m.cfg);
    t.config = luong_config_text(m.cfg);
    t.params = &m.params;
    t.reserve = [&m, &a](int B, int S, int T) {
        luong_reserve(a, m.cfg, B, S, T);
        if (m.align) m.align->reserve(B, S, T);
    };
    t.forward = [&m, &a](const Seq2SeqBatch& b) { return luong_forward(m, a, b); };
    t.backward = [&m, &a](const Seq2SeqBatch& b) { luong_backward(m, a, b); };
    t.translate = [&m](const Vocab& sv, const std::vector<std::string>& srcs, int beam, float alpha, Alignments* att) {
        return luong_translate(m, sv, srcs, beam, alpha, att);
    };
    return t;
}

}  // namespace s2s
