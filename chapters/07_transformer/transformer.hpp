// transformer.hpp — chapter 07's model: the encoder–decoder Transformer (Vaswani et al. 2017, §3).
//
//   encoder:  x_0 = drop(E_src[x]·√C + PE)        PE: chapter 06's sinusoids       (B,S,C)
//             x_{l+1} = EncoderLayer_l(x_l)       chapter 06's layer, padding keys masked
//             mem = LN_enc(x_N)  (pre-norm; post-norm: mem = x_N)
//   decoder:  y_0 = drop(E_tgt[y_in]·√C + PE)     y_in = <bos> y_1 .. y_m (teacher forcing)   (B,T,C)
//             y_{l+1} = DecoderLayer_l(y_l, mem)  decoder_layer.hpp: causal self-attention, cross-attention, FFN
//             z = LN_dec(y_N)    (pre-norm; post-norm: z = y_N)
//             logits = z W_outᵀ + b_out           W_out = E_tgt when tied (Press & Wolf 2017)
//   loss:     cross-entropy with label smoothing ε over the non-<pad> targets (y_1 .. y_m <eos>)
//
// Why √C: the embeddings start at N(0, 1/C), so E·√C has unit entries like the sinusoids it is added
// to; tied to the output layer, the small table gives logits of a sensible size.
// Why a last layer norm in pre-norm: each layer ADDS to the residual stream and nothing normalises
// the sum, so the stacks end with one (as PyTorch's nn.Transformer does with norm_first).
//
// What changed since chapters 02–04: no recurrence. Every target position is computed at once in
// training (the causal mask stands in for "not yet generated"); the source is read by attention only.
//
// Shapes: B batch, S source, T target length, C width, NH heads, F feed-forward width, Vs / Vt vocabularies.
#pragma once
#include <cmath>
#include <string>
#include <vector>

#include "chapters/01_seq2seq/seq2seq_data.hpp"
#include "chapters/06_self_attention/encoder_layer.hpp"
#include "chapters/06_self_attention/positional.hpp"
#include "chapters/07_transformer/decoder_layer.hpp"
#include "common/nn/cross_entropy.hpp"
#include "common/nn/embedding.hpp"
#include "common/nn/packed_rows.hpp"

namespace ch07 {
using namespace attn;
using ch06::EncoderCache;
using ch06::EncoderLayer;
using ch01::Seq2SeqBatch;
using ch01::Vocab;

struct TransformerConfig {
    int Vs = 0, Vt = 0;
    int C = 256, NH = 4, F = 1024;
    int enc_layers = 3, dec_layers = 3;
    NormPlace norm = NormPlace::Pre;
    bool tie = true;          // the output layer is the target embedding
    float dropout = 0.1f;     // embeddings and every residual branch
    float attn_dropout = 0.0f;  // the attention weights (main.cpp sets the run's default)
    float smoothing = 0.1f;   // label smoothing ε
    int Tmax = 256;           // longest sequence the position table covers
};

struct Transformer {
    TransformerConfig cfg;
    Tensor src_emb, tgt_emb;                // (Vs,C), (Vt,C)
    std::vector<EncoderLayer> enc;          // chapter 06's
    std::vector<DecoderLayer> dec;
    LayerNormParams enc_ln, dec_ln;         // the stacks' last norms (pre-norm only)
    Tensor W_out, b_out;                    // (Vt,C) unless tied, (Vt)
    Buf pe;                                 // (Tmax,C) the sinusoids, not a parameter
    ParamSet params;
    const float* out_weight() const { return cfg.tie ? tgt_emb.data : W_out.data; }
    float* out_weight_grad() { return cfg.tie ? tgt_emb.grad : W_out.grad; }
};

inline void transformer_build(Transformer& m, const TransformerConfig& cfg, Rng& rng) {
    m.cfg = cfg;
    const int C = cfg.C;
    m.enc.resize(cfg.enc_layers), m.dec.resize(cfg.dec_layers);  // before add(): Tensors must not move
    m.params.add(m.src_emb, "src_emb", {cfg.Vs, C});
    m.params.add(m.tgt_emb, "tgt_emb", {cfg.Vt, C});
    for (int l = 0; l < cfg.enc_layers; l++)
        ch06::encoder_layer_declare(m.enc[l], m.params, "enc" + std::to_string(l) + ".", C, cfg.NH, cfg.F, cfg.norm,
                                    cfg.dropout);
    for (int l = 0; l < cfg.dec_layers; l++)
        decoder_layer_declare(m.dec[l], m.params, "dec" + std::to_string(l) + ".", C, cfg.NH, cfg.F, cfg.norm,
                              cfg.dropout);
    if (cfg.norm == NormPlace::Pre) layernorm_declare(m.enc_ln, m.params, "enc_ln", C), layernorm_declare(m.dec_ln, m.params, "dec_ln", C);
    if (!cfg.tie) m.params.add(m.W_out, "out.weight", {cfg.Vt, C});
    m.params.add(m.b_out, "out.bias", {cfg.Vt});
    m.params.allocate();
    for (EncoderLayer& L : m.enc) L.attn_dropout = cfg.attn_dropout;
    for (DecoderLayer& L : m.dec) L.attn_dropout = cfg.attn_dropout;
    init_normal(m.src_emb, rng, 1.0f / std::sqrt((float)C));
    init_normal(m.tgt_emb, rng, 1.0f / std::sqrt((float)C));
    for (EncoderLayer& L : m.enc) ch06::encoder_layer_init(L, rng);
    for (DecoderLayer& L : m.dec) decoder_layer_init(L, rng);
    if (cfg.norm == NormPlace::Pre) init_constant(m.enc_ln.g, 1.0f), init_constant(m.dec_ln.g, 1.0f);
    if (!cfg.tie) init_uniform(m.W_out, rng, -1.0f / std::sqrt((float)C), 1.0f / std::sqrt((float)C));
    m.pe.assign((size_t)cfg.Tmax * C, 0.0f);
    ch06::sinusoidal_table(m.pe.data(), cfg.Tmax, C);
}

// Everything the forward keeps for the backward (resize() only ever grows).
struct TransformerActs {
    int B = 0, S = 0, T = 0;
    bool training = false;
    Buf src_x, tgt_x;                         // E·√C + PE before dropout         (B,S,C), (B,T,C)
    std::vector<uint8_t> src_keep, tgt_keep;  // their dropout masks
    std::vector<Buf> xs, ys;                  // layer inputs and outputs: xs[0] .. xs[Ne], ys[0] .. ys[Nd]
    std::vector<EncoderCache> enc_c;
    std::vector<DecoderCache> dec_c;
    Buf mem, mem_mean, mem_rstd;              // (B,S,C) the encoder's output (LN_enc(xs[Ne]) in pre-norm)
    Buf z, z_mean, z_rstd;                    // (B,T,C) the decoder's output
    PackedRows rows;                          // training: the R ≤ B·T rows of z with a target, (R,C)
    Buf logits, probs;                        // (B·T,Vt) from transformer_decode; (R,Vt) from transformer_forward
    Buf dlogits, dz, dy, dy2, dmem, dx, dx2;  // backward scratch
    void resize(const TransformerConfig& c, int b, int s, int t) {
        B = b, S = s, T = t;
        const size_t ns = (size_t)b * s * c.C, nt = (size_t)b * t * c.C, nv = (size_t)b * t * c.Vt;
        xs.resize(c.enc_layers + 1), ys.resize(c.dec_layers + 1);
        enc_c.resize(c.enc_layers), dec_c.resize(c.dec_layers);
        for (Buf& x : xs) if (x.size() < ns) x.resize(ns);
        for (Buf& y : ys) if (y.size() < nt) y.resize(nt);
        for (Buf* x : {&src_x, &mem, &dmem, &dx, &dx2}) if (x->size() < ns) x->resize(ns);
        for (Buf* x : {&tgt_x, &z, &dz, &dy, &dy2}) if (x->size() < nt) x->resize(nt);
        for (Buf* x : {&logits, &probs, &dlogits}) if (x->size() < nv) x->resize(nv);
        if (mem_mean.size() < (size_t)b * s) mem_mean.resize((size_t)b * s), mem_rstd.resize((size_t)b * s);
        if (z_mean.size() < (size_t)b * t) z_mean.resize((size_t)b * t), z_rstd.resize((size_t)b * t);
        if (src_keep.size() < ns) src_keep.resize(ns);
        if (tgt_keep.size() < nt) tgt_keep.resize(nt);
    }
};

// ---- the input: embedding ·√C + position, dropout ---------------------------------------------------
// x (B,T,C) = drop(E[ids]·√C + PE[t]); pre (B,T,C) keeps the sum before dropout.
inline void embed_forward(float* x, float* pre, uint8_t* keep, const Transformer& m, const Tensor& E, const int* ids,
                          int V, int B, int T, Rng& rng, bool training) {
    const int C = m.cfg.C, n = B * T * C;
    if (T > m.cfg.Tmax)
        fail("transformer", "sequences of at most Tmax=" + std::to_string(m.cfg.Tmax) + " tokens, got " + std::to_string(T),
             "shorter sentences, or a larger Tmax");
    embedding_forward(pre, ids, E.data, B * T, C, V);
    const float scale = std::sqrt((float)C);
    for (int i = 0; i < n; i++) pre[i] *= scale;                      // E[ids]·√C
    ch06::add_positions_forward(pre, m.pe.data(), B, T, C);            // + PE[t]
    dropout_forward(x, keep, pre, n, m.cfg.dropout, rng, training);    // drop
}
// dE[ids] += √C · drop'(dx). dx (B,T,C); scratch (B,T,C).
inline void embed_backward(Tensor& E, float* scratch, const float* dx, const uint8_t* keep, const Transformer& m,
                           const int* ids, int V, int B, int T, bool training) {
    const int C = m.cfg.C, n = B * T * C;
    std::fill_n(scratch, n, 0.0f);
    dropout_backward(scratch, dx, keep, n, training ? m.cfg.dropout : 0.0f);
    const float scale = std::sqrt((float)C);
    for (int i = 0; i < n; i++) scratch[i] *= scale;
    embedding_backward(E.grad, scratch, ids, B * T, C, V);
}

// The stack's last norm: out = LN(in) (pre-norm) or in (post-norm).
inline void final_norm_forward(float* out, float* mean, float* rstd, const float* in, const LayerNormParams& ln,
                               NormPlace norm, int N, int C) {
    if (norm == NormPlace::Pre) layernorm_forward(out, mean, rstd, in, ln.g.data, ln.b.data, N, C);
    else std::copy_n(in, (size_t)N * C, out);
}
inline void final_norm_backward(float* din, LayerNormParams& ln, const float* dout, const float* in, const float* mean,
                                const float* rstd, NormPlace norm, int N, int C) {
    if (norm == NormPlace::Pre) layernorm_backward(din, ln.g.grad, ln.b.grad, dout, in, ln.g.data, mean, rstd, N, C);
    else for (size_t i = 0; i < (size_t)N * C; i++) din[i] += dout[i];
}

// ---- encoder: src (B,S), src_len (B) → a.mem (B,S,C) ----------------------------------------------------
inline void transformer_encode(const Transformer& m, TransformerActs& a, const int* src, const int* src_len, int B,
                               int S, Rng& rng, bool training) {
    // BEGIN SOLUTION
    const TransformerConfig& c = m.cfg;
    embed_forward(a.xs[0].data(), a.src_x.data(), a.src_keep.data(), m, m.src_emb, src, c.Vs, B, S, rng, training);
    const AttnMask pad{src_len, 1, false};  // padding keys get no weight
    for (int l = 0; l < c.enc_layers; l++)
        ch06::encoder_layer_forward(a.xs[l + 1].data(), a.enc_c[l], m.enc[l], a.xs[l].data(), pad, B, S, rng, training);
    final_norm_forward(a.mem.data(), a.mem_mean.data(), a.mem_rstd.data(), a.xs[c.enc_layers].data(), m.enc_ln, c.norm,
                       B * S, c.C);
    // END SOLUTION
}

// ---- decoder, teacher forced: dec_in (B,T) and a.mem → a.z (B·T,C), and a.logits (B·T,Vt) unless
// with_logits is false (transformer_forward then computes them for the rows with a target only) -------
inline void transformer_decode(const Transformer& m, TransformerActs& a, const int* dec_in, const int* src_len, int B,
                               int T, int S, Rng& rng, bool training, bool with_logits = true) {
    // BEGIN SOLUTION
    const TransformerConfig& c = m.cfg;
    embed_forward(a.ys[0].data(), a.tgt_x.data(), a.tgt_keep.data(), m, m.tgt_emb, dec_in, c.Vt, B, T, rng, training);
    for (int l = 0; l < c.dec_layers; l++)
        decoder_layer_forward(a.ys[l + 1].data(), a.dec_c[l], m.dec[l], a.ys[l].data(), a.mem.data(), src_len, B, T, S,
                              rng, training);
    final_norm_forward(a.z.data(), a.z_mean.data(), a.z_rstd.data(), a.ys[c.dec_layers].data(), m.dec_ln, c.norm, B * T,
                       c.C);
    if (with_logits)  // z W_outᵀ + b
        linear_forward(a.logits.data(), a.z.data(), m.out_weight(), m.b_out.data, B * T, c.C, c.Vt);
    // END SOLUTION
}

// The whole model with teacher forcing: the mean label-smoothed cross-entropy per target token.
inline float transformer_forward(const Transformer& m, TransformerActs& a, const Seq2SeqBatch& b, Rng& rng,
                                 bool training) {
    a.resize(m.cfg, b.B, b.S, b.T);
    a.training = training;
    transformer_encode(m, a, b.src.data(), b.src_len.data(), b.B, b.S, rng, training);
    transformer_decode(m, a, b.dec_in.data(), b.src_len.data(), b.B, b.T, b.S, rng, training, /*with_logits=*/false);
    // logits = z W_outᵀ + b and the loss on the rows with a target (a <pad> row counts nowhere:
    // common/nn/packed_rows.hpp)
    return packed_output_forward(a.rows, a.logits.data(), a.probs.data(), a.z.data(), b.dec_out.data(), m.out_weight(),
                                 m.b_out.data, b.B * b.T, m.cfg.C, m.cfg.Vt, Vocab::PAD,
                                 training ? m.cfg.smoothing : 0.0f);
}

// Adds ∂L/∂θ into m.params.grad (the caller zeroes it). Must follow transformer_forward on b.
inline void transformer_backward(Transformer& m, TransformerActs& a, const Seq2SeqBatch& b) {
    // BEGIN SOLUTION
    const TransformerConfig& c = m.cfg;
    const int B = b.B, S = b.S, T = b.T, C = c.C, NT = B * T, NS = B * S;
    const size_t nt = (size_t)NT * C, ns = (size_t)NS * C;
    // L = CE(logits) → dlogits;  logits = z W_outᵀ + b → dz (on the R packed rows, then back to
    // theirs: <pad> rows get none), dW_out (dE_tgt when tied)
    std::fill_n(a.dz.data(), nt, 0.0f);
    packed_output_backward(a.dz.data(), m.out_weight_grad(), m.b_out.grad, a.rows, a.dlogits.data(), a.probs.data(),
                           m.out_weight(), C, c.Vt, a.training ? c.smoothing : 0.0f);
    // the decoder stack, top down; every layer adds its part of ∂L/∂mem into dmem
    std::fill_n(a.dy.data(), nt, 0.0f), std::fill_n(a.dmem.data(), ns, 0.0f);
    final_norm_backward(a.dy.data(), m.dec_ln, a.dz.data(), a.ys[c.dec_layers].data(), a.z_mean.data(),
                        a.z_rstd.data(), c.norm, NT, C);
    for (int l = c.dec_layers - 1; l >= 0; l--) {
        std::fill_n(a.dy2.data(), nt, 0.0f);
        decoder_layer_backward(a.dy2.data(), a.dmem.data(), m.dec[l], a.dec_c[l], a.dy.data(), a.ys[l].data(),
                               a.mem.data(), B, T, S);
        std::swap(a.dy, a.dy2);
    }
    embed_backward(m.tgt_emb, a.dy2.data(), a.dy.data(), a.tgt_keep.data(), m, b.dec_in.data(), c.Vt, B, T, a.training);
    // the encoder stack, from ∂L/∂mem
    std::fill_n(a.dx.data(), ns, 0.0f);
    final_norm_backward(a.dx.data(), m.enc_ln, a.dmem.data(), a.xs[c.enc_layers].data(), a.mem_mean.data(),
                        a.mem_rstd.data(), c.norm, NS, C);
    for (int l = c.enc_layers - 1; l >= 0; l--) {
        std::fill_n(a.dx2.data(), ns, 0.0f);
        ch06::encoder_layer_backward(a.dx2.data(), m.enc[l], a.enc_c[l], a.dx.data(), a.xs[l].data(), B, S);
        std::swap(a.dx, a.dx2);
    }
    embed_backward(m.src_emb, a.dx2.data(), a.dx.data(), a.src_keep.data(), m, b.src.data(), c.Vs, B, S, a.training);
    // END SOLUTION
}

}  // namespace ch07
