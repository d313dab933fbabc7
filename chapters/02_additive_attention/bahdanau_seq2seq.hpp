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
#include "chapters/01_seq2seq/translation_model.hpp"
#include "chapters/02_additive_attention/additive_attention.hpp"
#include "common/nn/activations.hpp"
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
    Buf scores;       // (B,S) scratch (the last step's; drawing uses the decoder step instead)
    Buf x;            // (T,B,X) [emb ; c_t]
    Buf gates, ghn;   // (T,B,3H), (T,B,H)
    Buf out;          // (B,T,3H) [s_t ; c_t]
    Buf logits, probs;  // (B,T,Vt)
    // backward
    Buf dlogits, dout, ddec_emb, denc_out, dkeys, denc_hT, ds, ds_prev, dx, dctx, dpre0, dsrc_x, gru_scratch,
        att_scratch;
};

inline void bahdanau_reserve(BahdanauActs& a, const BahdanauConfig& c, int B, int S, int T) {
    a.B_max = B, a.S_max = S, a.T_max = T;
    const size_t E = c.E, H = c.H, A = c.A, V = c.Vt, X = E + 2 * H;
    const size_t BS = (size_t)B * S, BT = (size_t)B * T;
    a.src_x.assign(BS * E, 0), bigru_cache_init(a.enc_c, B, S, c.E, c.H);
    a.enc_out.assign(BS * 2 * H, 0), a.enc_hT.assign(2 * B * H, 0), a.s0.assign(B * H, 0);
    a.keys.assign(BS * A, 0), a.dec_emb.assign(BT * E, 0), a.s.assign((size_t)(T + 1) * B * H, 0);
    a.q.assign(BT * A, 0), a.th.assign(BT * S * A, 0), a.alpha.assign(BT * S, 0), a.scores.assign(BS, 0);
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

// ---- the whole model with teacher forcing: mean cross-entropy per target token ------------------
inline float bahdanau_forward(Bahdanau& m, BahdanauActs& a, const Seq2SeqBatch& b) {
    // BEGIN SOLUTION
    const int B = b.B, S = b.S, T = b.T, E = m.cfg.E, H = m.cfg.H, A = m.cfg.A, V = m.cfg.Vt, X = E + 2 * H;
    bahdanau_check_fits(a, B, S, T);
    bahdanau_encode(m, a, b.src.data(), b.src_len.data(), B, S);
    embedding_forward(a.dec_emb.data(), b.dec_in.data(), m.tgt_emb.data, B * T, E, V);  // E_tgt[y_{t−1}]
    std::copy(a.s0.begin(), a.s0.begin() + (size_t)B * H, a.s.begin());
    Buf ctx((size_t)B * 2 * H);
    for (int t = 0; t < T; t++) {
        const float* s_prev = a.s.data() + (size_t)t * B * H;
        float* x = a.x.data() + (size_t)t * B * X;
        // c_t = attention(s_{t−1}, keys, values = h)
        additive_attention_forward(ctx.data(), a.alpha.data() + (size_t)t * B * S, a.scores.data(),
                                   a.q.data() + (size_t)t * B * A, a.th.data() + (size_t)t * B * S * A, s_prev,
                                   m.att_W.data, a.keys.data(), a.enc_out.data(), m.att_v.data, b.src_len.data(), B, S,
                                   A, 2 * H, H);
        for (int r = 0; r < B; r++) {  // x_t = [E_tgt[y_{t−1}] ; c_t],  out_t = [· ; c_t]
            std::copy_n(a.dec_emb.data() + ((size_t)r * T + t) * E, E, x + (size_t)r * X);
            std::copy_n(ctx.data() + (size_t)r * 2 * H, 2 * H, x + (size_t)r * X + E);
            std::copy_n(ctx.data() + (size_t)r * 2 * H, 2 * H, a.out.data() + ((size_t)r * T + t) * 3 * H + H);
        }
        // s_t = GRU_dec(x_t, s_{t−1})
        float* s_new = a.s.data() + (size_t)(t + 1) * B * H;
        gru_cell_forward(s_new, a.gates.data() + (size_t)t * B * 3 * H, a.ghn.data() + (size_t)t * B * H, x, s_prev,
                         m.dec, B, X, H, a.gru_scratch.data());
        for (int r = 0; r < B; r++) std::copy_n(s_new + (size_t)r * H, H, a.out.data() + ((size_t)r * T + t) * 3 * H);
    }
    // logits = W_out [s_t ; c_t] + b_out
    linear_forward(a.logits.data(), a.out.data(), m.W_out.data, m.b_out.data, B * T, 3 * H, V);
    return cross_entropy_forward(a.probs.data(), nullptr, a.logits.data(), b.dec_out.data(), nullptr, B * T, V,
                                 Vocab::PAD, 0.0f);
    // END SOLUTION
}

// Adds ∂L/∂θ into m.params.grad (the caller zeroes it). Must follow bahdanau_forward on b.
inline void bahdanau_backward(Bahdanau& m, BahdanauActs& a, const Seq2SeqBatch& b) {
    // BEGIN SOLUTION
    const int B = b.B, S = b.S, T = b.T, E = m.cfg.E, H = m.cfg.H, A = m.cfg.A, V = m.cfg.Vt, X = E + 2 * H;
    const size_t BT = (size_t)B * T, BS = (size_t)B * S;
    auto zero = [](Buf& v, size_t n) { std::fill(v.begin(), v.begin() + n, 0.0f); };
    zero(a.dlogits, BT * V), zero(a.dout, BT * 3 * H), zero(a.ddec_emb, BT * E), zero(a.denc_out, BS * 2 * H);
    zero(a.dkeys, BS * A), zero(a.denc_hT, (size_t)2 * B * H), zero(a.ds, (size_t)B * H), zero(a.dsrc_x, BS * E);
    // L = CE(logits) -> dlogits;  logits = W_out out + b_out -> dout, dW_out, db_out
    cross_entropy_backward(a.dlogits.data(), a.probs.data(), b.dec_out.data(), nullptr, (int)BT, V, Vocab::PAD, 0.0f,
                           1.0f);
    linear_backward(a.dout.data(), m.W_out.grad, m.b_out.grad, a.dlogits.data(), a.out.data(), m.W_out.data, (int)BT,
                    3 * H, V);
    // back through the decoder steps; a.ds holds ∂L/∂s_t coming from step t+1
    for (int t = T - 1; t >= 0; t--) {
        const float* s_prev = a.s.data() + (size_t)t * B * H;
        const float* x = a.x.data() + (size_t)t * B * X;
        for (int r = 0; r < B; r++) {  // out_t = [s_t ; c_t]
            const float* g = a.dout.data() + ((size_t)r * T + t) * 3 * H;
            for (int j = 0; j < H; j++) a.ds[(size_t)r * H + j] += g[j];
            std::copy_n(g + H, 2 * H, a.dctx.data() + (size_t)r * 2 * H);
        }
        // s_t = GRU_dec(x_t, s_{t−1}) -> dx_t, ds_{t−1}
        zero(a.dx, (size_t)B * X), zero(a.ds_prev, (size_t)B * H);
        gru_cell_backward(a.dx.data(), a.ds_prev.data(), m.dec, a.ds.data(), a.gates.data() + (size_t)t * B * 3 * H,
                          a.ghn.data() + (size_t)t * B * H, x, s_prev, B, X, H, a.gru_scratch.data());
        for (int r = 0; r < B; r++) {  // x_t = [emb ; c_t]
            const float* g = a.dx.data() + (size_t)r * X;
            float* de = a.ddec_emb.data() + ((size_t)r * T + t) * E;
            for (int j = 0; j < E; j++) de[j] += g[j];
            float* dc = a.dctx.data() + (size_t)r * 2 * H;
            for (int j = 0; j < 2 * H; j++) dc[j] += g[E + j];
        }
        // c_t = attention(s_{t−1}, keys, h) -> ds_{t−1}, dW, dkeys, dh, dv
        additive_attention_backward(a.ds_prev.data(), m.att_W.grad, a.dkeys.data(), a.denc_out.data(), m.att_v.grad,
                                    a.dctx.data(), a.alpha.data() + (size_t)t * B * S,
                                    a.th.data() + (size_t)t * B * S * A, s_prev, m.att_W.data, a.enc_out.data(),
                                    m.att_v.data, b.src_len.data(), B, S, A, 2 * H, H, a.att_scratch.data());
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

// ---- decoding: one step for decoding.hpp ---------------------------------------------------------
// The state of a hypothesis is [s (H) ; sentence index (1 float)], SD = H + 1: greedy_decode drops
// finished rows, so a row must carry which sentence's encoder states it attends to.
// Optionally records each step's attention weights of row 0 (for the heatmaps: decode one sentence).
struct BahdanauStep {
    const Bahdanau& m;
    const float* keys;    // (N,S,A) of the N encoded sentences
    const float* values;  // (N,S,2H)
    const int* lens;      // (N)
    int S;
    Buf gk, gv, q, th, alpha, scores, ctx, x, gates, ghn, scratch, out, logits;
    std::vector<int> glen;
    std::vector<std::vector<float>>* record = nullptr;  // if set: α of row 0 at every step
    BahdanauStep(const Bahdanau& model, const float* k, const float* v, const int* l, int S_, int n_max)
        : m(model), keys(k), values(v), lens(l), S(S_) {
        const size_t n = n_max, H = m.cfg.H, A = m.cfg.A, E = m.cfg.E;
        gk.resize(n * S * A), gv.resize(n * S * 2 * H), q.resize(n * A), th.resize(n * S * A);
        alpha.resize(n * S), scores.resize(n * S), ctx.resize(n * 2 * H), x.resize(n * (E + 2 * H));
        gates.resize(n * 3 * H), ghn.resize(n * H), scratch.resize(gru_cell_scratch_size(n_max, m.cfg.H));
        out.resize(n * 3 * H), logits.resize(n * m.cfg.Vt), glen.resize(n);
    }
    void operator()(float* logp, float* state_out, const int* tokens, const float* state_in, int n) {
        const int E = m.cfg.E, H = m.cfg.H, A = m.cfg.A, V = m.cfg.Vt, X = E + 2 * H, SD = H + 1;
        if ((size_t)n > glen.size()) fail("BahdanauStep", "at most the n_max rows it was built for");
        Buf s((size_t)n * H), s_new((size_t)n * H);
        for (int r = 0; r < n; r++) {  // gather each row's sentence
            int k = (int)state_in[(size_t)r * SD + H];
            std::copy_n(state_in + (size_t)r * SD, H, s.data() + (size_t)r * H);
            std::copy_n(keys + (size_t)k * S * A, (size_t)S * A, gk.data() + (size_t)r * S * A);
            std::copy_n(values + (size_t)k * S * 2 * H, (size_t)S * 2 * H, gv.data() + (size_t)r * S * 2 * H);
            glen[r] = lens[k];
        }
        additive_attention_forward(ctx.data(), alpha.data(), scores.data(), q.data(), th.data(), s.data(),
                                   m.att_W.data, gk.data(), gv.data(), m.att_v.data, glen.data(), n, S, A, 2 * H, H);
        if (record) record->emplace_back(alpha.begin(), alpha.begin() + glen[0]);
        embedding_forward(x.data(), tokens, m.tgt_emb.data, n, E, V);  // writes rows of E; spread to stride X
        for (int r = n - 1; r >= 0; r--) {
            std::copy_backward(x.data() + (size_t)r * E, x.data() + (size_t)(r + 1) * E, x.data() + (size_t)r * X + E);
            std::copy_n(ctx.data() + (size_t)r * 2 * H, 2 * H, x.data() + (size_t)r * X + E);
        }
        gru_cell_forward(s_new.data(), gates.data(), ghn.data(), x.data(), s.data(), m.dec, n, X, H, scratch.data());
        for (int r = 0; r < n; r++) {
            std::copy_n(s_new.data() + (size_t)r * H, H, out.data() + (size_t)r * 3 * H);
            std::copy_n(ctx.data() + (size_t)r * 2 * H, 2 * H, out.data() + (size_t)r * 3 * H + H);
            std::copy_n(s_new.data() + (size_t)r * H, H, state_out + (size_t)r * SD);
            state_out[(size_t)r * SD + H] = state_in[(size_t)r * SD + H];
        }
        linear_forward(logits.data(), out.data(), m.W_out.data, m.b_out.data, n, 3 * H, V);
        log_softmax_forward(logp, logits.data(), n, V);
    }
};

// Translate sentences: encode them in one batch, then greedy (beam = 1) or beam search per sentence.
// max_len = 2·(source tokens) + 10. With `attention` set (greedy only), receives for each sentence
// the weights α (one row per output token, one column per source token incl. <eos>).
inline std::vector<Hypothesis> bahdanau_translate(Bahdanau& m, const Vocab& src_vocab,
                                                  const std::vector<std::string>& srcs, int beam, float alpha,
                                                  Alignments* attention = nullptr) {
    std::vector<std::vector<int>> ids;
    std::vector<int> idx;
    for (const auto& s : srcs) {
        idx.push_back((int)ids.size());
        ids.push_back(src_vocab.encode(s, false, true));
    }
    if (ids.empty()) return {};
    TokenBatch tb = make_batch(ids, idx);
    const int B = tb.B, S = tb.T, H = m.cfg.H, V = m.cfg.Vt, SD = H + 1;
    BahdanauActs a;  // encoder only
    bahdanau_reserve(a, m.cfg, B, S, 1);
    bahdanau_encode(m, a, tb.ids.data(), tb.lengths.data(), B, S);
    Buf init((size_t)B * SD);
    for (int r = 0; r < B; r++) {
        std::copy_n(a.s0.data() + (size_t)r * H, H, init.data() + (size_t)r * SD);
        init[(size_t)r * SD + H] = (float)r;
    }
    if (attention) {  // one sentence at a time, recording row 0's weights
        attention->assign(B, {});
        std::vector<Hypothesis> out;
        BahdanauStep step(m, a.keys.data(), a.enc_out.data(), tb.lengths.data(), S, 1);
        for (int r = 0; r < B; r++) {
            step.record = &(*attention)[r];
            out.push_back(greedy_decode(step, init.data() + (size_t)r * SD, 1, SD, V, 2 * tb.lengths[r] + 10, alpha)[0]);
        }
        return out;
    }
    if (beam <= 1) {
        BahdanauStep step(m, a.keys.data(), a.enc_out.data(), tb.lengths.data(), S, B);
        int max_len = 0;
        for (int L : tb.lengths) max_len = std::max(max_len, 2 * L + 10);
        return greedy_decode(step, init.data(), B, SD, V, max_len, alpha);
    }
    BahdanauStep step(m, a.keys.data(), a.enc_out.data(), tb.lengths.data(), S, beam);
    std::vector<Hypothesis> out;
    for (int r = 0; r < B; r++)
        out.push_back(beam_search(step, init.data() + (size_t)r * SD, SD, V, beam, 2 * tb.lengths[r] + 10, alpha).front());
    return out;
}

// ---- the model as the shared driver sees it (chapters/01_seq2seq/translation_model.hpp) ----------
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

// m and a must outlive the returned functions.
inline TranslationModel bahdanau_model(Bahdanau& m, BahdanauActs& a) {
    TranslationModel t;
    t.kind = "bahdanau";
    t.title = "Bahdanau attention seq2seq (E=" + std::to_string(m.cfg.E) + ", H=" + std::to_string(m.cfg.H) +
              ", A=" + std::to_string(m.cfg.A) + ", bidirectional encoder)";
    t.config = bahdanau_config_text(m.cfg);
    t.params = &m.params;
    t.reserve = [&m, &a](int B, int S, int T) { bahdanau_reserve(a, m.cfg, B, S, T); };
    t.forward = [&m, &a](const Seq2SeqBatch& b) { return bahdanau_forward(m, a, b); };
    t.backward = [&m, &a](const Seq2SeqBatch& b) { bahdanau_backward(m, a, b); };
    t.translate = [&m](const Vocab& sv, const std::vector<std::string>& srcs, int beam, float alpha, Alignments* att) {
        return bahdanau_translate(m, sv, srcs, beam, alpha, att);
    };
    return t;
}

}  // namespace s2s
