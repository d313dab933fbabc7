// bahdanau_seq2seq.hpp — chapter 02's model: the RNNsearch of Bahdanau, Cho & Bengio (2014).
//
//   encoder:  e_i = E_src[x_i]          h_i = [h→_i ; h←_i] = BiGRU(e)_i              (B,S,2H)
//             k_i = U h_i                                   the attention keys, once per sentence
//   init:     s_0 = tanh(W_s h←_1 + b_s)                    the backward encoder's final state (paper, A.2.2)
//   decoder, for t = 1..T:
//             c_t  = Σ_i α_ti h_i,  α_t = softmax_i(vᵀ tanh(W s_{t−1} + k_i))   additive_attention.hpp
//             s_t  = GRU_dec([E_tgt[y_{t−1}] ; c_t], s_{t−1})                   context fed WITH the embedding
//             p(y_t | y_<t, x) = softmax(W_out [s_t ; c_t] + b_out)
//   loss:     mean cross-entropy of the non-<pad> targets, teacher forcing — as chapter 01.
// Simplification: the paper's output layer is a maxout over (s_{t−1}, y_{t−1}, c_t); here it is one
// linear layer over [s_t ; c_t] (Luong et al. 2015 do likewise).
//
// What changed since chapter 01: the decoder no longer sees ONE vector for the whole sentence, it
// sees a fresh weighted average of all encoder states at every step.
//
// Shape legend: B batch, S source positions, T target positions, E embedding, H hidden size (each
// encoder direction and the decoder), A attention size, Vs / Vt vocabularies, X = E + 2H decoder input.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "chapters/01_seq2seq/decoding.hpp"
#include "chapters/01_seq2seq/seq2seq_data.hpp"
#include "chapters/02_additive_attention/additive_attention.hpp"
#include "common/nn/activations.hpp"
#include "common/core/buffer.hpp"
#include "common/nn/cross_entropy.hpp"
#include "common/nn/embedding.hpp"
#include "common/nn/gru.hpp"
#include "common/nn/packed_rows.hpp"
#include "common/core/matmul.hpp"
#include "common/core/params.hpp"
#include "common/core/rng.hpp"
#include "common/nn/rnn_sequence.hpp"
#include "common/nn/softmax.hpp"

namespace ch02 {
using namespace attn;
using namespace ch01;

struct BahdanauConfig {
    int Vs = 0, Vt = 0;
    int E = 64, H = 128, A = 128;
};

struct Bahdanau {
    BahdanauConfig cfg;
    Tensor src_emb;      // (Vs,E)
    BiGRUParams enc;     // E -> 2H
    Tensor W_s, b_s;     // (H,H), (H)   s_0 = tanh(W_s h←_1 + b_s)
    Tensor att_W;        // (A,H)        query
    Tensor att_U;        // (A,2H)       keys
    Tensor att_v;        // (A)
    Tensor tgt_emb;      // (Vt,E)
    GRUParams dec;       // E+2H -> H
    Tensor W_out, b_out;  // (Vt,3H), (Vt)
    ParamSet params;
};

// Declares, allocates, initialises: embeddings N(0,1); GRUs and linear layers U(−1/√fan_in, 1/√fan_in)
// (PyTorch's defaults). The model must not move afterwards.
inline void bahdanau_build(Bahdanau& m, const BahdanauConfig& cfg, Rng& rng) {
    m.cfg = cfg;
    const int E = cfg.E, H = cfg.H, A = cfg.A;
    m.params.add(m.src_emb, "src_emb", {cfg.Vs, E});
    bigru_declare(m.params, m.enc, "encoder", E, H);
    m.params.add(m.W_s, "init.weight", {H, H});
    m.params.add(m.b_s, "init.bias", {H});
    m.params.add(m.att_W, "attn.W", {A, H});
    m.params.add(m.att_U, "attn.U", {A, 2 * H});
    m.params.add(m.att_v, "attn.v", {A});
    m.params.add(m.tgt_emb, "tgt_emb", {cfg.Vt, E});
    gru_declare(m.params, m.dec, "decoder", E + 2 * H, H);
    m.params.add(m.W_out, "out.weight", {cfg.Vt, 3 * H});
    m.params.add(m.b_out, "out.bias", {cfg.Vt});
    m.params.allocate();
    for (Tensor* t : {&m.src_emb, &m.tgt_emb})
        for (size_t i = 0; i < t->size; i++) t->data[i] = rng.normal();
    gru_init(m.enc.fwd, rng, H);
    gru_init(m.enc.bwd, rng, H);
    gru_init(m.dec, rng, H);
    auto uni = [&](Tensor& t, int fan_in) {
        float a = 1.0f / std::sqrt((float)fan_in);
        for (size_t i = 0; i < t.size; i++) t.data[i] = rng.uniform(-a, a);
    };
    uni(m.W_s, H), uni(m.b_s, H), uni(m.att_W, H), uni(m.att_U, 2 * H), uni(m.att_v, A);
    uni(m.W_out, 3 * H), uni(m.b_out, 3 * H);
}

// Everything forward keeps for backward, for batches up to (B_max, S_max, T_max).
struct BahdanauActs {
    int B_max = 0, S_max = 0, T_max = 0;
    Buf src_x;        // (B,S,E)
    BiGRUCache enc_c;
    Buf enc_out;      // (B,S,2H) h_i, the attention values
    Buf enc_hT;       // (2,B,H)  final states; [1] = h←_1
    Buf s0;           // (B,H)
    Buf keys;         // (B,S,A)  U h_i
    Buf dec_emb;      // (B,T,E)  E_tgt[y_{t−1}]
    Buf s;            // (T+1,B,H) s[0] = s_0, s[t+1] = after step t
    Buf q;            // (T,B,A)
    Buf th;           // (T,B,S,A) tanh(W s + U h)
    Buf alpha;        // (T,B,S)
    Buf scores;       // (B,S) scratch (the last step's; drawing uses the decoder instead)
    Buf ctx;          // (B,2H) scratch: c_t of the step being computed
    Buf x;            // (T,B,X) [emb ; c_t]
    Buf gates, ghn;   // (T,B,3H), (T,B,H)
    Buf out;          // (B,T,3H) [s_t ; c_t]
    PackedRows rows;  // the R ≤ B·T rows of out with a target (padding rows skipped), (R,3H)
    Buf logits, probs;  // (R,Vt)
    // backward
    Buf dlogits, dout, ddec_emb, denc_out, dkeys, denc_hT, ds, ds_prev, dx, dctx, dpre0, dsrc_x, gru_scratch,
        att_scratch;
    GRUCellPacked dec_packed;  // the decoder's weights packed once per backward pass (gru.hpp)
};

inline void bahdanau_reserve(BahdanauActs& a, const BahdanauConfig& c, int B, int S, int T) {
    a.B_max = B, a.S_max = S, a.T_max = T;
    const size_t E = c.E, H = c.H, A = c.A, V = c.Vt, X = E + 2 * H;
    const size_t BS = (size_t)B * S, BT = (size_t)B * T;
    a.src_x.assign(BS * E, 0), bigru_cache_init(a.enc_c, B, S, c.E, c.H);
    a.enc_out.assign(BS * 2 * H, 0), a.enc_hT.assign(2 * B * H, 0), a.s0.assign(B * H, 0);
    a.keys.assign(BS * A, 0), a.dec_emb.assign(BT * E, 0), a.s.assign((size_t)(T + 1) * B * H, 0);
    a.q.assign(BT * A, 0), a.th.assign(BT * S * A, 0), a.alpha.assign(BT * S, 0), a.scores.assign(BS, 0);
    a.ctx.assign((size_t)B * 2 * H, 0);
    a.x.assign(BT * X, 0), a.gates.assign(BT * 3 * H, 0), a.ghn.assign(BT * H, 0);
    a.out.assign(BT * 3 * H, 0), a.logits.assign(BT * V, 0), a.probs.assign(BT * V, 0);
    a.dlogits.assign(BT * V, 0), a.dout.assign(BT * 3 * H, 0), a.ddec_emb.assign(BT * E, 0);
    a.denc_out.assign(BS * 2 * H, 0), a.dkeys.assign(BS * A, 0), a.denc_hT.assign(2 * B * H, 0);
    a.ds.assign(B * H, 0), a.ds_prev.assign(B * H, 0), a.dx.assign(B * X, 0), a.dctx.assign(B * 2 * H, 0);
    a.dpre0.assign(B * H, 0), a.dsrc_x.assign(BS * E, 0);
    a.gru_scratch.assign(gru_cell_scratch_size(B, c.H), 0);
    a.att_scratch.assign(additive_attention_scratch_size(B, S, c.A), 0);
}

inline void bahdanau_check_fits(const BahdanauActs& a, int B, int S, int T) {
    if (B > a.B_max || S > a.S_max || T > a.T_max)
        fail("bahdanau", "a batch within the reserved (" + std::to_string(a.B_max) + "," + std::to_string(a.S_max) +
                             "," + std::to_string(a.T_max) + "), found (" + std::to_string(B) + "," +
                             std::to_string(S) + "," + std::to_string(T) + ")",
             "call bahdanau_reserve with the largest batch first");
}

// ---- encoder: src (B,S) -> enc_out (values), keys, s_0 ------------------------------------------
inline void bahdanau_encode(Bahdanau& m, BahdanauActs& a, const int* src, const int* src_len, int B, int S) {
    // BEGIN SOLUTION
    const int E = m.cfg.E, H = m.cfg.H, A = m.cfg.A;
    bahdanau_check_fits(a, B, S, 1);
    embedding_forward(a.src_x.data(), src, m.src_emb.data, B * S, E, m.cfg.Vs);  // e_i = E_src[x_i]
    // h_i = [h→_i ; h←_i]; enc_hT = (h→_len, h←_1)
    bigru_forward(a.enc_out.data(), a.enc_hT.data(), a.enc_c, a.src_x.data(), nullptr, src_len, m.enc, B, S, E, H);
    additive_keys_forward(a.keys.data(), a.enc_out.data(), m.att_U.data, B, S, 2 * H, A);  // k_i = U h_i
    // s_0 = tanh(W_s h←_1 + b_s)
    linear_forward(a.s0.data(), a.enc_hT.data() + (size_t)B * H, m.W_s.data, m.b_s.data, B, H, H);
    tanh_forward(a.s0.data(), a.s0.data(), B * H);
    // END SOLUTION
}

// ---- one decoder step: attention, then the GRU -------------------------------------------------
// What a step keeps for its backward: views into step t's slot of BahdanauActs while training, into
// the decoder's own buffers while searching (bahdanau_decoder.hpp) — the same function serves both.
struct BahdanauStepCache {
    float* q;       // (B,A)    q = W s_{t−1}
    float* th;      // (B,S,A)  tanh(q + k_i)
    float* alpha;   // (B,S)    α_t
    float* scores;  // (B,S)    e_t (−∞ at padding)
    float* ctx;     // (B,2H)   c_t
    float* x;       // (B,X)    x_t = [E_tgt[y_{t−1}] ; c_t]
    float* gates;   // (B,3H)   the GRU's cache
    float* ghn;     // (B,H)
};
inline BahdanauStepCache bahdanau_step_cache(BahdanauActs& a, const BahdanauConfig& c, int t, int B, int S) {
    const size_t H = c.H, A = c.A, X = c.E + 2 * H, tB = (size_t)t * B;
    return {a.q.data() + tB * A,     a.th.data() + tB * S * A, a.alpha.data() + tB * S, a.scores.data(),
            a.ctx.data(),            a.x.data() + tB * X,      a.gates.data() + tB * 3 * H,
            a.ghn.data() + tB * H};
}

// s_new (B,H) = s_t, out_t = [s_t ; c_t] from emb = E_tgt[y_{t−1}] and s_prev = s_{t−1}. keys (B,S,A),
// values (B,S,2H) and len (B) are each row's sentence. Rows of emb and out are row_step rows apart:
// row_step = T in training (their buffers are (B,T,·), one output matmul over all B·T rows later),
// 1 while searching. gru_scratch: gru_cell_scratch_size(B, H) floats.
inline void bahdanau_step_forward(float* s_new, float* out, BahdanauStepCache c, const Bahdanau& m, const float* emb,
                                  const float* s_prev, const float* keys, const float* values, const int* len, int B,
                                  int S, int row_step, float* gru_scratch) {
    // BEGIN SOLUTION
    const int E = m.cfg.E, H = m.cfg.H, A = m.cfg.A, X = E + 2 * H;
    // c_t = Σ_i α_ti h_i,  α_t = softmax_i(vᵀ tanh(W s_{t−1} + k_i))
    additive_attention_forward(c.ctx, c.alpha, c.scores, c.q, c.th, s_prev, m.att_W.data, keys, values, m.att_v.data,
                               len, B, S, A, 2 * H, H);
    for (int r = 0; r < B; r++) {  // x_t = [E_tgt[y_{t−1}] ; c_t],  out_t = [· ; c_t]
        std::copy_n(emb + (size_t)r * row_step * E, E, c.x + (size_t)r * X);
        std::copy_n(c.ctx + (size_t)r * 2 * H, 2 * H, c.x + (size_t)r * X + E);
        std::copy_n(c.ctx + (size_t)r * 2 * H, 2 * H, out + (size_t)r * row_step * 3 * H + H);
    }
    // s_t = GRU_dec(x_t, s_{t−1})
    gru_cell_forward(s_new, c.gates, c.ghn, c.x, s_prev, m.dec, B, X, H, gru_scratch);
    for (int r = 0; r < B; r++) std::copy_n(s_new + (size_t)r * H, H, out + (size_t)r * row_step * 3 * H);
    // END SOLUTION
}

// Back through one step. dout = ∂L/∂out_t (rows row_step apart), a.ds = ∂L/∂s_t from step t+1 (the
// output's part is added here). Writes a.ds_prev = ∂L/∂s_{t−1}; adds into demb (rows row_step apart),
// a.dkeys, a.denc_out (the values) and m's gradients. Scratch: a.dx, a.dctx, a.gru_scratch, a.att_scratch.
inline void bahdanau_step_backward(float* demb, Bahdanau& m, BahdanauActs& a, const float* dout, BahdanauStepCache c,
                                   const float* s_prev, const float* values, const int* len, int B, int S,
                                   int row_step) {
    // BEGIN SOLUTION
    const int E = m.cfg.E, H = m.cfg.H, A = m.cfg.A, X = E + 2 * H;
    for (int r = 0; r < B; r++) {  // out_t = [s_t ; c_t]
        const float* g = dout + (size_t)r * row_step * 3 * H;
        for (int j = 0; j < H; j++) a.ds[(size_t)r * H + j] += g[j];
        std::copy_n(g + H, 2 * H, a.dctx.data() + (size_t)r * 2 * H);
    }
    // s_t = GRU_dec(x_t, s_{t−1}) -> dx_t, ds_{t−1}
    std::fill_n(a.dx.begin(), (size_t)B * X, 0.0f), std::fill_n(a.ds_prev.begin(), (size_t)B * H, 0.0f);
    gru_cell_backward(a.dx.data(), a.ds_prev.data(), m.dec, a.ds.data(), c.gates, c.ghn, c.x, s_prev, B, X, H,
                      a.gru_scratch.data(), &a.dec_packed);
    for (int r = 0; r < B; r++) {  // x_t = [emb ; c_t]
        const float* g = a.dx.data() + (size_t)r * X;
        float* de = demb + (size_t)r * row_step * E;
        for (int j = 0; j < E; j++) de[j] += g[j];
        float* dc = a.dctx.data() + (size_t)r * 2 * H;
        for (int j = 0; j < 2 * H; j++) dc[j] += g[E + j];
    }
    // c_t = attention(s_{t−1}, keys, h) -> ds_{t−1}, dW, dkeys, dh, dv
    additive_attention_backward(a.ds_prev.data(), m.att_W.grad, a.dkeys.data(), a.denc_out.data(), m.att_v.grad,
                                a.dctx.data(), c.alpha, c.th, s_prev, m.att_W.data, values, m.att_v.data, len, B, S,
                                A, 2 * H, H, a.att_scratch.data());
    // END SOLUTION
}

// ---- the whole model with teacher forcing: mean cross-entropy per target token ------------------
inline float bahdanau_forward(Bahdanau& m, BahdanauActs& a, const Seq2SeqBatch& b) {
    // BEGIN SOLUTION
    const int B = b.B, S = b.S, T = b.T, E = m.cfg.E, H = m.cfg.H, V = m.cfg.Vt;
    bahdanau_check_fits(a, B, S, T);
    bahdanau_encode(m, a, b.src.data(), b.src_len.data(), B, S);
    embedding_forward(a.dec_emb.data(), b.dec_in.data(), m.tgt_emb.data, B * T, E, V);  // E_tgt[y_{t−1}]
    std::copy(a.s0.begin(), a.s0.begin() + (size_t)B * H, a.s.begin());
    for (int t = 0; t < T; t++)  // s_{t+1} and out_t from s_t: the decoder step above
        bahdanau_step_forward(a.s.data() + (size_t)(t + 1) * B * H, a.out.data() + (size_t)t * 3 * H,
                              bahdanau_step_cache(a, m.cfg, t, B, S), m, a.dec_emb.data() + (size_t)t * E,
                              a.s.data() + (size_t)t * B * H, a.keys.data(), a.enc_out.data(), b.src_len.data(), B,
                              S, T, a.gru_scratch.data());
    // logits = W_out [s_t ; c_t] + b_out, all rows with a target at once (<pad> rows count nowhere:
    // packed_rows.hpp)
    return packed_output_forward(a.rows, a.logits.data(), a.probs.data(), a.out.data(), b.dec_out.data(),
                                 m.W_out.data, m.b_out.data, B * T, 3 * H, V, Vocab::PAD, 0.0f);
    // END SOLUTION
}

// Adds ∂L/∂θ into m.params.grad (the caller zeroes it). Must follow bahdanau_forward on b.
inline void bahdanau_backward(Bahdanau& m, BahdanauActs& a, const Seq2SeqBatch& b) {
    // BEGIN SOLUTION
    const int B = b.B, S = b.S, T = b.T, E = m.cfg.E, H = m.cfg.H, A = m.cfg.A, V = m.cfg.Vt;
    const size_t BT = (size_t)B * T, BS = (size_t)B * S;
    auto zero = [](Buf& v, size_t n) { std::fill(v.begin(), v.begin() + n, 0.0f); };
    zero(a.dout, BT * 3 * H), zero(a.ddec_emb, BT * E), zero(a.denc_out, BS * 2 * H);
    zero(a.dkeys, BS * A), zero(a.denc_hT, (size_t)2 * B * H), zero(a.ds, (size_t)B * H), zero(a.dsrc_x, BS * E);
    // L = CE(logits) -> dlogits;  logits = W_out out + b_out -> dout (the rows with a target), dW_out, db_out
    packed_output_backward(a.dout.data(), m.W_out.grad, m.b_out.grad, a.rows, a.dlogits.data(), a.probs.data(),
                           m.W_out.data, 3 * H, V, 0.0f);
    // back through the decoder steps; a.ds holds ∂L/∂s_t coming from step t+1 (the GRU's weights packed
    // once for all of them: gru.hpp)
    gru_cell_pack_backward(a.dec_packed, m.dec, E + 2 * H, H);
    for (int t = T - 1; t >= 0; t--) {
        bahdanau_step_backward(a.ddec_emb.data() + (size_t)t * E, m, a, a.dout.data() + (size_t)t * 3 * H,
                               bahdanau_step_cache(a, m.cfg, t, B, S), a.s.data() + (size_t)t * B * H,
                               a.enc_out.data(), b.src_len.data(), B, S, T);
        a.ds.swap(a.ds_prev);
    }
    embedding_backward(m.tgt_emb.grad, a.ddec_emb.data(), b.dec_in.data(), (int)BT, E, V);
    // s_0 = tanh(W_s h←_1 + b_s) -> d(pre) = ds_0 (1 − s_0²) -> dh←_1, dW_s, db_s
    for (size_t i = 0; i < (size_t)B * H; i++) a.dpre0[i] = a.ds[i] * (1.0f - a.s0[i] * a.s0[i]);
    linear_backward(a.denc_hT.data() + (size_t)B * H, m.W_s.grad, m.b_s.grad, a.dpre0.data(),
                    a.enc_hT.data() + (size_t)B * H, m.W_s.data, B, H, H);
    // k_i = U h_i -> dh_i, dU
    additive_keys_backward(a.denc_out.data(), m.att_U.grad, a.dkeys.data(), a.enc_out.data(), m.att_U.data, B, S,
                           2 * H, A);
    bigru_backward(a.dsrc_x.data(), nullptr, m.enc, a.denc_out.data(), a.denc_hT.data(), a.enc_c, a.src_x.data(),
                   b.src_len.data(), B, S, E, H);
    embedding_backward(m.src_emb.grad, a.dsrc_x.data(), b.src.data(), (int)BS, E, m.cfg.Vs);
    // END SOLUTION
}

// ---- the model's name and configuration, as checkpoints keep them -------------------------------
inline const char* kBahdanauKind = "bahdanau";  // the checkpoint's tag; --load refuses another model's
inline std::string bahdanau_title(const BahdanauConfig& c) {
    return "Bahdanau attention seq2seq (E=" + std::to_string(c.E) + ", H=" + std::to_string(c.H) +
           ", A=" + std::to_string(c.A) + ", bidirectional encoder)";
}
inline std::string bahdanau_config_text(const BahdanauConfig& c) {
    return std::to_string(c.Vs) + " " + std::to_string(c.Vt) + " " + std::to_string(c.E) + " " + std::to_string(c.H) +
           " " + std::to_string(c.A);
}
inline BahdanauConfig bahdanau_parse_config(const std::string& s, const std::string& where) {
    BahdanauConfig c;
    if (std::sscanf(s.c_str(), "%d %d %d %d %d", &c.Vs, &c.Vt, &c.E, &c.H, &c.A) != 5)
        fail(where, "a chapter 02 model config 'Vs Vt E H A', found '" + s + "'",
             "was this checkpoint written by 02_additive_attention?");
    return c;
}

}  // namespace ch02
