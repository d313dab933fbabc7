// gru_seq2seq.hpp — chapter 01's model: a GRU encoder–decoder without attention
// (Cho et al. 2014, "Learning Phrase Representations using RNN Encoder–Decoder";
//  Sutskever, Vinyals & Le 2014, "Sequence to Sequence Learning with Neural Networks").
//
//   encoder:  e_s = E_src[x_s]                      h_s = GRU_enc(e_s, h_{s−1}),  h_0 = 0
//             c   = h_S                             the WHOLE sentence squeezed into one H-vector
//   decoder:  d_0 = c                               d_t = GRU_dec(E_tgt[y_{t−1}], d_{t−1}),  y_0 = <bos>
//             p(y_t | y_<t, x) = softmax(W_out d_t + b_out)
//   loss:     L = −(1/N) Σ_{b,t: y_bt ≠ <pad>} log p(y_bt | y_b,<t, x_b)   (teacher forcing: the decoder
//             reads the TRUE previous word during training, its own guess only at test time)
// reverse_source: the encoder reads x_n … x_1 (Sutskever et al.): the first source words are then
// the last ones read, right next to the first target words they translate.
//
// Shape legend: B batch, S source positions, T target positions, E embedding size, H hidden size,
// Vs / Vt source / target vocabulary sizes.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "chapters/01_seq2seq/decoding.hpp"
#include "chapters/01_seq2seq/seq2seq_data.hpp"
#include "common/core/buffer.hpp"
#include "common/nn/cross_entropy.hpp"
#include "common/nn/embedding.hpp"
#include "common/nn/gru.hpp"
#include "common/nn/packed_rows.hpp"
#include "common/core/matmul.hpp"
#include "common/core/params.hpp"
#include "common/core/rng.hpp"
#include "common/nn/softmax.hpp"

namespace ch01 {
using namespace attn;

struct GRUSeq2SeqConfig {
    int Vs = 0, Vt = 0;
    int E = 64, H = 128;
    bool reverse_source = true;
};

struct GRUSeq2Seq {
    GRUSeq2SeqConfig cfg;
    Tensor src_emb;     // (Vs,E)
    GRUParams enc;      // E -> H
    Tensor tgt_emb;     // (Vt,E)
    GRUParams dec;      // E -> H
    Tensor W_out;       // (Vt,H)
    Tensor b_out;       // (Vt)
    ParamSet params;
};

// Declares, allocates and initialises (PyTorch's defaults: embeddings N(0,1); GRU and output layer
// U(−1/√H, 1/√H)). The model must not move afterwards (its Tensors point into params).
inline void gru_seq2seq_build(GRUSeq2Seq& m, const GRUSeq2SeqConfig& cfg, Rng& rng) {
    m.cfg = cfg;
    const int E = cfg.E, H = cfg.H;
    m.params.add(m.src_emb, "src_emb", {cfg.Vs, E});
    gru_declare(m.params, m.enc, "encoder", E, H);
    m.params.add(m.tgt_emb, "tgt_emb", {cfg.Vt, E});
    gru_declare(m.params, m.dec, "decoder", E, H);
    m.params.add(m.W_out, "out.weight", {cfg.Vt, H});
    m.params.add(m.b_out, "out.bias", {cfg.Vt});
    m.params.allocate();
    for (Tensor* t : {&m.src_emb, &m.tgt_emb})
        for (size_t i = 0; i < t->size; i++) t->data[i] = rng.normal();
    gru_init(m.enc, rng, H);
    gru_init(m.dec, rng, H);
    float a = 1.0f / std::sqrt((float)H);
    for (Tensor* t : {&m.W_out, &m.b_out})
        for (size_t i = 0; i < t->size; i++) t->data[i] = rng.uniform(-a, a);
}

// Everything the forward pass keeps for the backward pass, for batches up to (B_max, S_max, T_max).
// reserve() allocates once for the largest batch of the run; forward checks the batch fits.
struct GRUSeq2SeqActs {
    int B_max = 0, S_max = 0, T_max = 0;
    Buf src_x;     // (B,S,E)  source embeddings
    Buf enc_out;   // (B,S,H)  encoder states (unused by this model: it only keeps the last)
    Buf ctx;       // (B,H)    c = the encoder's final state = the decoder's d_0
    GRUCache enc_c, dec_c;
    Buf dec_x;     // (B,T,E)  target embeddings of the decoder inputs
    Buf dec_h;     // (B,T,H)  decoder states d_1..d_T
    PackedRows rows;  // the R ≤ B·T decoder states with a target (padding rows skipped), (R,H)
    Buf logits;    // (R,Vt)
    Buf probs;     // (R,Vt) softmax, the cross-entropy's cache
    // backward
    Buf dlogits, ddec_h, ddec_x, dctx, dsrc_x;
};

inline void gru_seq2seq_reserve(GRUSeq2SeqActs& a, const GRUSeq2SeqConfig& c, int B, int S, int T) {
    a.B_max = B, a.S_max = S, a.T_max = T;
    const size_t E = c.E, H = c.H, V = c.Vt;
    a.src_x.assign((size_t)B * S * E, 0), a.enc_out.assign((size_t)B * S * H, 0), a.ctx.assign((size_t)B * H, 0);
    gru_cache_init(a.enc_c, B, S, c.E, c.H);
    gru_cache_init(a.dec_c, B, T, c.E, c.H);
    a.dec_x.assign((size_t)B * T * E, 0), a.dec_h.assign((size_t)B * T * H, 0);
    a.logits.assign((size_t)B * T * V, 0), a.probs.assign((size_t)B * T * V, 0);
    a.dlogits.assign((size_t)B * T * V, 0), a.ddec_h.assign((size_t)B * T * H, 0);
    a.ddec_x.assign((size_t)B * T * E, 0), a.dctx.assign((size_t)B * H, 0), a.dsrc_x.assign((size_t)B * S * E, 0);
}

inline void check_fits(const GRUSeq2SeqActs& a, int B, int S, int T) {
    if (B > a.B_max || S > a.S_max || T > a.T_max)
        fail("gru_seq2seq", "a batch within the reserved (" + std::to_string(a.B_max) + "," + std::to_string(a.S_max) +
                                "," + std::to_string(a.T_max) + "), found (" + std::to_string(B) + "," +
                                std::to_string(S) + "," + std::to_string(T) + ")",
             "call gru_seq2seq_reserve with the largest batch first");
}

// ---- encoder: src (B,S) with lengths -> ctx (B,H) ----------------------------------------------
inline void gru_seq2seq_encode(GRUSeq2Seq& m, GRUSeq2SeqActs& a, const int* src, const int* src_len, int B, int S) {
    // BEGIN SOLUTION
    const int E = m.cfg.E, H = m.cfg.H;
    check_fits(a, B, S, 1);
    embedding_forward(a.src_x.data(), src, m.src_emb.data, B * S, E, m.cfg.Vs);  // e_s = E_src[x_s]
    // h_s = GRU_enc(e_s, h_{s−1}); ctx = h of the last position read (x_1 when reversed)
    gru_sequence_forward(a.enc_out.data(), a.ctx.data(), a.enc_c, a.src_x.data(), nullptr, src_len, m.enc, B, S, E,
                         H, m.cfg.reverse_source);
    // END SOLUTION
}

// ---- the whole model with teacher forcing: returns the mean cross-entropy per target token -----
inline float gru_seq2seq_forward(GRUSeq2Seq& m, GRUSeq2SeqActs& a, const Seq2SeqBatch& b) {
    // BEGIN SOLUTION
    const int B = b.B, S = b.S, T = b.T, E = m.cfg.E, H = m.cfg.H, V = m.cfg.Vt;
    check_fits(a, B, S, T);
    gru_seq2seq_encode(m, a, b.src.data(), b.src_len.data(), B, S);
    embedding_forward(a.dec_x.data(), b.dec_in.data(), m.tgt_emb.data, B * T, E, V);  // E_tgt[y_{t−1}]
    // d_t = GRU_dec(E_tgt[y_{t−1}], d_{t−1}), d_0 = ctx
    gru_sequence_forward(a.dec_h.data(), nullptr, a.dec_c, a.dec_x.data(), a.ctx.data(), b.dec_len.data(), m.dec, B,
                         T, E, H);
    // logits = W_out d_t + b_out and L = mean CE, on the R rows with a target (a <pad> row counts
    // nowhere: packed_rows.hpp)
    return packed_output_forward(a.rows, a.logits.data(), a.probs.data(), a.dec_h.data(), b.dec_out.data(),
                                 m.W_out.data, m.b_out.data, B * T, H, V, Vocab::PAD, 0.0f);
    // END SOLUTION
}

// Adds ∂L/∂θ into m.params.grad (the caller zeroes it). Must follow gru_seq2seq_forward on b.
inline void gru_seq2seq_backward(GRUSeq2Seq& m, GRUSeq2SeqActs& a, const Seq2SeqBatch& b) {
    // BEGIN SOLUTION
    const int B = b.B, S = b.S, T = b.T, E = m.cfg.E, H = m.cfg.H, V = m.cfg.Vt;
    const size_t BT = (size_t)B * T;
    std::fill(a.ddec_h.begin(), a.ddec_h.begin() + BT * H, 0.0f);
    std::fill(a.ddec_x.begin(), a.ddec_x.begin() + BT * E, 0.0f);
    std::fill(a.dctx.begin(), a.dctx.begin() + (size_t)B * H, 0.0f);
    std::fill(a.dsrc_x.begin(), a.dsrc_x.begin() + (size_t)B * S * E, 0.0f);
    // L = CE(logits) -> dlogits = (p − onehot) / N;  logits = d W_outᵀ + b_out -> dd (the rows with a
    // target; <pad> rows get none), dW_out, db_out
    packed_output_backward(a.ddec_h.data(), m.W_out.grad, m.b_out.grad, a.rows, a.dlogits.data(), a.probs.data(),
                           m.W_out.data, H, V, 0.0f);
    // d_t = GRU_dec(x_t, d_{t−1}), d_0 = ctx -> dx_t, dctx (BPTT through the decoder)
    gru_sequence_backward(a.ddec_x.data(), a.dctx.data(), m.dec, a.ddec_h.data(), nullptr, a.dec_c, a.dec_x.data(),
                          b.dec_len.data(), B, T, E, H);
    embedding_backward(m.tgt_emb.grad, a.ddec_x.data(), b.dec_in.data(), (int)BT, E, V);
    // ctx = h_S of the encoder -> the only gradient into the encoder comes through this one vector
    gru_sequence_backward(a.dsrc_x.data(), nullptr, m.enc, nullptr, a.dctx.data(), a.enc_c, a.src_x.data(),
                          b.src_len.data(), B, S, E, H, m.cfg.reverse_source);
    embedding_backward(m.src_emb.grad, a.dsrc_x.data(), b.src.data(), B * S, E, m.cfg.Vs);
    // END SOLUTION
}

// ---- decoding: the decoder as the search sees it (decoding.hpp) --------------------------------
// A live row holds its state d (H floats). Training runs the decoder over whole sentences at once
// (gru_sequence_forward, the input projection of all T steps in one matmul); decoding runs the same
// GRU one step at a time: d_t = GRU_dec(E_tgt[y_{t−1}], d_{t−1}), p(y_t) = softmax(W_out d_t + b_out).
struct GRUDecoder {
    const GRUSeq2Seq& m;
    const float* ctx;                    // (N,H) the encoded sentences' c = d_0
    Buf d, d_new, x, gates, ghn, scratch, logits, spare;  // per live row, up to n_max rows
    GRUDecoder(const GRUSeq2Seq& model, const float* contexts, int n_max) : m(model), ctx(contexts) {
        const size_t n = n_max, E = m.cfg.E, H = m.cfg.H;
        d.resize(n * H), d_new.resize(n * H), x.resize(n * E), gates.resize(n * 3 * H), ghn.resize(n * H);
        scratch.resize(gru_cell_scratch_size(n_max, m.cfg.H)), logits.resize(n * m.cfg.Vt);
    }
    void start(const int* sentences, int n) {  // d_0 = c of each row's sentence
        check_rows(n);
        const int H = m.cfg.H;
        for (int r = 0; r < n; r++) std::copy_n(ctx + (size_t)sentences[r] * H, H, d.data() + (size_t)r * H);
    }
    void step(float* logp, const int* tokens, int n) {
        const int E = m.cfg.E, H = m.cfg.H, V = m.cfg.Vt;
        check_rows(n);
        embedding_forward(x.data(), tokens, m.tgt_emb.data, n, E, V);                                // E_tgt[y]
        gru_cell_forward(d_new.data(), gates.data(), ghn.data(), x.data(), d.data(), m.dec, n, E, H,  // d_t
                         scratch.data());
        linear_forward(logits.data(), d_new.data(), m.W_out.data, m.b_out.data, n, H, V);  // W_out d_t + b_out
        log_softmax_forward(logp, logits.data(), n, V);
        d.swap(d_new);
    }
    void reorder(const int* parents, int n) { gather_rows(d, spare, m.cfg.H, parents, n); }
    void check_rows(int n) const {
        if ((size_t)n * m.cfg.H > d.size()) fail("GRUDecoder", "at most the n_max rows it was built for");
    }
};

// Translate sentences (already normalised text): encode them in one batch, then search
// (decoding.hpp: greedy for beam 1, else beam search per sentence). Unknown words become <unk>.
inline std::vector<Hypothesis> gru_seq2seq_translate(GRUSeq2Seq& m, const Vocab& src_vocab,
                                                     const std::vector<std::string>& srcs, int beam, float alpha) {
    TokenBatch tb = source_batch(src_vocab, srcs);
    if (tb.B == 0) return {};
    GRUSeq2SeqActs a;  // encoder only: T = 1
    gru_seq2seq_reserve(a, m.cfg, tb.B, tb.T, 1);
    gru_seq2seq_encode(m, a, tb.ids.data(), tb.lengths.data(), tb.B, tb.T);
    GRUDecoder dec(m, a.ctx.data(), std::max(tb.B, beam));
    return translate_encoded(dec, tb.lengths, m.cfg.Vt, beam, alpha);
}

// ---- the model's name and configuration, as checkpoints keep them -------------------------------
inline const char* kGRUSeq2SeqKind = "gru_seq2seq";  // the checkpoint's tag; --load refuses another model's
inline std::string gru_seq2seq_title(const GRUSeq2SeqConfig& c) {
    return "GRU encoder-decoder (E=" + std::to_string(c.E) + ", H=" + std::to_string(c.H) +
           (c.reverse_source ? ", source reversed)" : ")");
}
inline std::string gru_seq2seq_config_text(const GRUSeq2SeqConfig& c) {
    return std::to_string(c.Vs) + " " + std::to_string(c.Vt) + " " + std::to_string(c.E) + " " +
           std::to_string(c.H) + " " + std::to_string((int)c.reverse_source);
}
inline GRUSeq2SeqConfig gru_seq2seq_parse_config(const std::string& s, const std::string& where) {
    GRUSeq2SeqConfig c;
    int rev = 0;
    if (std::sscanf(s.c_str(), "%d %d %d %d %d", &c.Vs, &c.Vt, &c.E, &c.H, &rev) != 5)
        fail(where, "a chapter 01 model config 'Vs Vt E H reverse', found '" + s + "'",
             "was this checkpoint written by 01_seq2seq?");
    c.reverse_source = rev != 0;
    return c;
}

}  // namespace ch01
