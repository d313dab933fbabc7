// aligned_luong.hpp — chapter 04's model: chapter 03's Luong decoder step (luong_seq2seq.hpp) with the
// alignment "α_t from the scores e_t" chosen by an enum and a switch. The step is chapter 03's two
// halves with the variant between them; nothing of chapter 03 is copied:
//
//   luong_step_scores_forward    x_t, h_t = GRU_dec(x_t, h_{t−1}), e_t = score(h_t, h̄)       (chapter 03)
//   aligned_align_forward        α_t from e_t, by the variant:
//     soft     α_t = softmax over all valid s of e_t                          (chapter 03, global)
//     local-m  α_t = softmax of e_t on the window [t − D, t + D]                Luong et al. 2015, eq. 7 on a window
//     local-p  p_t = S · sigmoid(v_pᵀ tanh(W_p h_t)),  α_ts = softmax_window(e_t)_s · exp(−(s − p_t)² / 2σ²), σ = D/2
//     hard     i_t ~ Categorical(π_t = softmax(e_t)) while training (argmax at test), α_t = onehot(i_t)  Xu et al. 2015
//   luong_step_attend_forward    c_t = Σ_s α_ts h̄_s, h̃_t = tanh(W_c [c_t ; h_t])             (chapter 03)
//
// Hard attention learns its scores by REINFORCE (hard_attention.hpp): per decoder step, the reward is
// the log-probability the model gave the correct target word, r_t = log p(y_t | …); a learned baseline
// b̂_t = w_bᵀ h_t + b (trained by ½ (b̂ − r)², no gradient into h_t) is subtracted, and an entropy bonus
// β H(π_t) keeps the sampling distribution from collapsing early. Rows whose target is <pad> get no
// REINFORCE gradient. Everything else (decoder, output layer, the attended h̄_{i_t}) trains by
// ordinary backprop through c_t = h̄_{i_t}. Both objectives are divided by the number of target
// tokens N, like the cross-entropy, and weighted by the backward's w_reinforce (1 in training; 0
// leaves only the cross-entropy, for gradient checks).
//
// Shape legend: B batch, S source positions, T target positions, E embedding, H decoder state,
// A local-p predictor size (= chapter 03's A), D window half-width, Vt target vocabulary.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "chapters/01_seq2seq/translation_training.hpp"
#include "chapters/03_multiplicative_attention/luong_seq2seq.hpp"
#include "chapters/04_local_hard_soft_attention/hard_attention.hpp"
#include "chapters/04_local_hard_soft_attention/local_attention.hpp"

namespace ch04 {
using namespace attn;
using namespace ch01;
using namespace ch03;

enum class Attention { soft, local_m, local_p, hard };

inline std::string attention_name(Attention a) {
    switch (a) {
        case Attention::soft: return "soft";
        case Attention::local_m: return "local-m";
        case Attention::local_p: return "local-p";
        case Attention::hard: return "hard";
    }
    return "?";
}
inline Attention parse_attention(const std::string& s) {
    for (Attention a : {Attention::soft, Attention::local_m, Attention::local_p, Attention::hard})
        if (attention_name(a) == s) return a;
    fail("--attention", "soft, hard, local-m or local-p, found '" + s + "'");
}

struct AlignedConfig {
    Attention attention = Attention::soft;
    int D = 2;           // window half-width (local-m, local-p)
    float beta = 0.01f;  // hard: entropy bonus β
};

// The whole model: chapter 03's Luong model, and the parameters of the variant that uses them.
struct AlignedLuong {
    Luong net;          // encoder, keys, decoder GRU, score, W_c, output layer — and the one ParamSet
    AlignedConfig ac;
    Tensor W_p, v_p;    // local-p: (A,H), (A)   p_t = len · σ(v_pᵀ tanh(W_p h_t))
    Tensor w_b, b_b;    // hard: (H), (1)        the baseline b̂_t = w_bᵀ h_t + b
    Rng sampling;       // hard: draws i_t ~ π_t while training (its own stream, seeded from the run's)
};

// Chapter 03's parameters, then the variant's, in one ParamSet; chapter 03's initialisation, then the
// variant's (the random draws in that order). Soft: exactly chapter 03's model, same seed, same weights.
inline void aligned_build(AlignedLuong& m, const LuongConfig& cfg, const AlignedConfig& ac, Rng& rng) {
    if (ac.attention == Attention::local_p && ac.D < 1)
        fail("--window", "D >= 1 for local-p (its Gaussian has sigma = D/2)", "e.g. --window 2");
    m.ac = ac;
    luong_declare(m.net, cfg);
    if (ac.attention == Attention::local_p) {
        m.net.params.add(m.W_p, "local_p.W_p", {cfg.A, cfg.H});
        m.net.params.add(m.v_p, "local_p.v_p", {cfg.A});
    }
    if (ac.attention == Attention::hard) {
        m.net.params.add(m.w_b, "baseline.w", {cfg.H});
        m.net.params.add(m.b_b, "baseline.b", {1});
    }
    m.net.params.allocate();
    luong_init(m.net, rng);
    if (ac.attention == Attention::local_p) {  // U(−1/√fan_in, 1/√fan_in); the baseline starts at 0
        const float a = 1.0f / std::sqrt((float)cfg.H), av = 1.0f / std::sqrt((float)cfg.A);
        for (size_t i = 0; i < m.W_p.size; i++) m.W_p.data[i] = rng.uniform(-a, a);
        for (size_t i = 0; i < m.v_p.size; i++) m.v_p.data[i] = rng.uniform(-av, av);
    }
    if (ac.attention == Attention::hard) m.sampling.reseed(rng.next_u64());
}

// Chapter 03's activations, and what the variants keep for backward, for batches up to (B, S, T).
// Every variant's caches are reserved (they are small beside chapter 03's).
struct AlignedActs {
    LuongActs net;
    Buf p, z;                 // (T,B), (T,B,A)  local-p: p_t, tanh(W_p h_t)
    Buf soft;                 // (T,B,S)         local-p: the window softmax; hard: π_t
    std::vector<int> idx;     // (T,B)           hard: i_t
    Buf bhat, reward, valid;  // (T,B)           hard: b̂_t, r_t, 1 = a real target (set before the backward)
    Buf dp;                   // (B)             local-p: ∂L/∂p_t (scratch)
    Buf dw_b, db_b;           // (H), (1)        hard: the baseline's gradient, summed over the steps
    float inv_n = 1.0f;       // hard: 1 / (target tokens of the batch)
    double baseline_loss = 0;  // hard: ½ Σ (b̂ − r)² / N of the last backward
};
inline void aligned_reserve(AlignedActs& a, const LuongConfig& c, int B, int S, int T) {
    luong_reserve(a.net, c, B, S, T);
    const size_t TB = (size_t)T * B;
    a.p.assign(TB, 0), a.z.assign(TB * c.A, 0), a.soft.assign(TB * S, 0), a.idx.assign(TB, 0);
    a.bhat.assign(TB, 0), a.reward.assign(TB, 0), a.valid.assign(TB, 0), a.dp.assign(B, 0);
    a.dw_b.assign(c.H, 0), a.db_b.assign(1, 0);
}

// ---- the alignment of one step, by the variant --------------------------------------------------
// What the variant keeps for backward: views into step t's slot of AlignedActs while training, into
// the decoder's own buffers while searching (aligned_decoder.hpp; reward and valid are nullptr there).
struct AlignStepCache {
    float* p;       // (B)    local-p: p_t
    float* z;       // (B,A)  local-p: tanh(W_p h_t)
    float* soft;    // (B,S)  local-p: the window softmax; hard: π_t
    int* idx;       // (B)    hard: i_t
    float* bhat;    // (B)    hard: b̂_t
    float* reward;  // (B)    hard: r_t   (training only: set by hard_set_rewards)
    float* valid;   // (B)    hard: 1 for a real target, 0 for <pad>
};
inline AlignStepCache aligned_step_cache(AlignedActs& a, const LuongConfig& c, int t, int B, int S) {
    const size_t tB = (size_t)t * B;
    return {a.p.data() + tB,    a.z.data() + tB * c.A, a.soft.data() + tB * S,  a.idx.data() + tB,
            a.bhat.data() + tB, a.reward.data() + tB,  a.valid.data() + tB};
}

// alpha (B,S) = α_t from the scores e (B,S; −∞ at padding) and h = h_t (B,H). t: the decoder step
// (local-m's window centre). rng: hard attention draws i_t ~ π_t from it (training); nullptr = argmax
// (evaluation and search). The other variants ignore it.
inline void aligned_align_forward(float* alpha, AlignStepCache c, const AlignedLuong& m, const float* e,
                                  const float* h, const int* len, int t, int B, int S, Rng* rng) {
    const int H = m.net.cfg.H, A = m.net.cfg.A, D = m.ac.D;
    switch (m.ac.attention) {
        case Attention::soft:  // α_ts = exp(e_ts) / Σ_{s' < len} exp(e_ts')
            masked_softmax_forward(alpha, e, nullptr, len, B, S);
            break;
        case Attention::local_m:  // the same softmax on the window [t − D, t + D]
            local_m_align_forward(alpha, e, len, t, D, B, S);
            break;
        case Attention::local_p:  // p_t = len · σ(v_pᵀ tanh(W_p h_t)); the window's softmax × a Gaussian at p_t
            local_p_position_forward(c.p, c.z, h, m.W_p.data, m.v_p.data, len, B, H, A);
            local_p_align_forward(alpha, c.soft, e, c.p, len, D, B, S);
            break;
        case Attention::hard:  // π_t = softmax(e_t), α_t = onehot(i_t), b̂_t = w_bᵀ h_t + b
            masked_softmax_forward(c.soft, e, nullptr, len, B, S);
            hard_sample_forward(c.idx, alpha, c.soft, len, rng, B, S);
            baseline_forward(c.bhat, h, m.w_b.data, m.b_b.data, B, H);
            break;
    }
}

// REINFORCE for one step's rows (hard attention): L_b = −A_b log π_b[i_b] − β H(π_b) with the advantage
// A_b = (r_b − b̂_b)·w/N (b̂ a constant here) -> de (B,S) +=; rows whose target is <pad> get nothing. The
// baseline's ½ (b̂ − r)² adds into a.dw_b, a.db_b (hard_baseline_backward finishes it after the steps).
inline void hard_step_backward(float* de, const AlignedLuong& m, AlignedActs& a, AlignStepCache c, const float* h,
                               const int* len, int B, int S, float w_reinforce) {
    const int H = m.net.cfg.H;
    const float scale = a.inv_n * w_reinforce;
    for (int b = 0; b < B; b++) {
        if (c.valid[b] == 0.0f) continue;  // a <pad> target: no reward, no gradient
        const float adv = (c.reward[b] - c.bhat[b]) * scale;
        hard_reinforce_backward(de + (size_t)b * S, c.soft + (size_t)b * S, &c.idx[b], &adv, m.ac.beta * scale,
                                len + b, 1, S);
        // ½ (b̂ − r)² -> the baseline's parameters only (dh = nullptr: it must not reshape the decoder)
        a.baseline_loss += baseline_backward(nullptr, a.dw_b.data(), a.db_b.data(), &c.bhat[b], &c.reward[b],
                                             h + (size_t)b * H, m.w_b.data, 1, H);
    }
}

// Back through α_t: dalpha (B,S) = ∂L/∂α_t -> de (B,S) += and, for local-p whose window moves with h_t,
// dh (B,H) +=, ∂W_p, ∂v_p. Hard attention's α has no derivative: ∂c_t stops at the one-hot, and the
// scores learn by REINFORCE instead (weighted by w_reinforce; 0 = none).
inline void aligned_align_backward(float* de, float* dh, AlignedLuong& m, AlignedActs& a, AlignStepCache c,
                                   const float* dalpha, const float* alpha, const float* h, const int* len, int B,
                                   int S, float w_reinforce) {
    const int H = m.net.cfg.H, A = m.net.cfg.A, D = m.ac.D;
    switch (m.ac.attention) {
        case Attention::soft:  // ∂e_s = α_s (∂α_s − Σ_s' α_s' ∂α_s')
            masked_softmax_backward(de, dalpha, alpha, B, S);
            break;
        case Attention::local_m:  // the same, 0 off the window
            local_m_align_backward(de, dalpha, alpha, B, S);
            break;
        case Attention::local_p:  // -> ∂e and ∂p_t, then p_t = len · σ(v_pᵀ tanh(W_p h_t)) -> ∂h_t, ∂W_p, ∂v_p
            std::fill_n(a.dp.begin(), B, 0.0f);
            local_p_align_backward(de, a.dp.data(), dalpha, alpha, c.soft, c.p, len, D, B, S);
            local_p_position_backward(dh, m.W_p.grad, m.v_p.grad, a.dp.data(), c.z, h, m.W_p.data, m.v_p.data, len,
                                      B, H, A);
            break;
        case Attention::hard:
            if (w_reinforce != 0.0f) hard_step_backward(de, m, a, c, h, len, B, S, w_reinforce);
            break;
    }
}

// ---- hard attention's rewards and baseline, around the backward's steps ------------------------------
// Before the steps: r_t = log p(y_t | …) of the forward just run per real target, and 1/N; the
// baseline's sums start at 0. a.net.probs (N,Vt) holds the real targets' rows only, in (b,t) order:
// the n-th real target's is row n.
inline void hard_set_rewards(AlignedActs& a, const Seq2SeqBatch& b, int V) {
    int n = 0;
    for (int r = 0; r < b.B; r++)
        for (int t = 0; t < b.T; t++) {
            const int y = b.dec_out[(size_t)r * b.T + t];
            const bool real = y != Vocab::PAD;
            const size_t k = (size_t)t * b.B + r;
            a.valid[k] = real ? 1.0f : 0.0f;
            a.reward[k] = real ? std::log(std::max(a.net.probs[(size_t)n * V + y], 1e-30f)) : 0.0f;
            n += real;
        }
    a.inv_n = 1.0f / std::max(n, 1);
    a.baseline_loss = 0;
    std::fill(a.dw_b.begin(), a.dw_b.end(), 0.0f), a.db_b[0] = 0;
}
// After the steps: the baseline's summed gradient, divided by N and weighted like the rest.
inline void hard_baseline_backward(AlignedLuong& m, AlignedActs& a, float w_reinforce) {
    const float scale = a.inv_n * w_reinforce;
    for (size_t j = 0; j < m.w_b.size; j++) m.w_b.grad[j] += a.dw_b[j] * scale;
    m.b_b.grad[0] += a.db_b[0] * scale;
    a.baseline_loss *= a.inv_n;
}

// ---- one decoder step: chapter 03's two halves with the variant between them ---------------------
// As luong_step_forward (chapter 03), plus the variant's cache ac, the step t and the sampling rng.
inline void aligned_step_forward(float* h_new, float* out, LuongStepCache c, AlignStepCache ac, const AlignedLuong& m,
                                 const float* emb, const float* htil_prev, const float* h_prev, const float* keys,
                                 const float* values, const int* len, int t, int B, int S, int row_step,
                                 float* gru_scratch, Rng* rng) {
    luong_step_scores_forward(h_new, c, m.net, emb, htil_prev, h_prev, keys, len, B, S, row_step, gru_scratch);
    aligned_align_forward(c.alpha, ac, m, c.e, h_new, len, t, B, S, rng);
    luong_step_attend_forward(out, c, m.net, h_new, values, len, B, S, row_step);
}
inline void aligned_step_backward(float* demb, AlignedLuong& m, AlignedActs& a, const float* dout, LuongStepCache c,
                                  AlignStepCache ac, const float* h_prev, const float* h_t, const float* keys,
                                  const float* values, const int* len, int B, int S, int row_step, float w_reinforce) {
    LuongActs& n = a.net;
    luong_step_attend_backward(m.net, n, dout, c, values, len, B, S, row_step);
    std::fill_n(n.de.begin(), (size_t)B * S, 0.0f);
    aligned_align_backward(n.de.data(), n.dh.data(), m, a, ac, n.dalpha.data(), c.alpha, h_t, len, B, S, w_reinforce);
    luong_step_scores_backward(demb, m.net, n, c, h_prev, h_t, keys, len, B, S, row_step);
}

// ---- the whole model with teacher forcing: mean cross-entropy per target token ------------------
// rng: hard attention's positions are drawn from it (a training step); nullptr = argmax (evaluation).
inline float aligned_forward(AlignedLuong& m, AlignedActs& a, const Seq2SeqBatch& b, Rng* rng) {
    LuongActs& n = a.net;
    const int B = b.B, S = b.S, T = b.T, E = m.net.cfg.E, H = m.net.cfg.H;
    const size_t BH = (size_t)B * H;
    luong_check_fits(n, B, S, T);
    luong_encode(m.net, n, b.src.data(), b.src_len.data(), B, S);                                 // h̄, keys, h_0
    embedding_forward(n.dec_emb.data(), b.dec_in.data(), m.net.tgt_emb.data, B * T, E, m.net.cfg.Vt);  // E_tgt[y_{t−1}]
    std::fill_n(n.htil.begin(), BH, 0.0f);                                                          // h̃_0 = 0
    for (int t = 0; t < T; t++)
        aligned_step_forward(n.h.data() + (t + 1) * BH, n.out.data() + (size_t)t * H,
                             luong_step_cache(n, m.net.cfg, t, B, S), aligned_step_cache(a, m.net.cfg, t, B, S), m,
                             n.dec_emb.data() + (size_t)t * E, n.htil.data() + t * BH, n.h.data() + t * BH,
                             n.keys.data(), n.hbar.data(), b.src_len.data(), t, B, S, T, n.gru_scratch.data(), rng);
    return luong_output_forward(m.net, n, b);
}

// Adds ∂L/∂θ into m.net.params.grad (the caller zeroes it). Must follow aligned_forward on b: hard
// attention's rewards r_t = log p(y_t) are that forward's, and its REINFORCE gradient (weighted by
// w_reinforce) is for the positions it drew.
inline void aligned_backward(AlignedLuong& m, AlignedActs& a, const Seq2SeqBatch& b, float w_reinforce) {
    LuongActs& n = a.net;
    const int B = b.B, S = b.S, T = b.T, E = m.net.cfg.E, H = m.net.cfg.H;
    const size_t BH = (size_t)B * H;
    const bool reinforce = m.ac.attention == Attention::hard && w_reinforce != 0.0f;
    luong_output_backward(m.net, n, b);
    if (reinforce) hard_set_rewards(a, b, m.net.cfg.Vt);
    gru_cell_pack_backward(n.dec_packed, m.net.dec, m.net.cfg.X(), H);
    for (int t = T - 1; t >= 0; t--) {  // as luong_backward, with the variant in each step
        aligned_step_backward(n.ddec_emb.data() + (size_t)t * E, m, a, n.dout.data() + (size_t)t * H,
                              luong_step_cache(n, m.net.cfg, t, B, S), aligned_step_cache(a, m.net.cfg, t, B, S),
                              n.h.data() + t * BH, n.h.data() + (t + 1) * BH, n.keys.data(), n.hbar.data(),
                              b.src_len.data(), B, S, T, w_reinforce);
        n.dh.swap(n.dh_prev);
    }
    if (reinforce) hard_baseline_backward(m, a, w_reinforce);
    embedding_backward(m.net.tgt_emb.grad, n.ddec_emb.data(), b.dec_in.data(), B * T, E, m.net.cfg.Vt);
    luong_encode_backward(m.net, n, b);
}

// Mean entropy (nats) of the attention weights over every real target token of `idx`, teacher forced.
// For hard attention: of the distribution π_t the positions are drawn from (its α is one-hot, entropy 0).
inline double aligned_mean_entropy(AlignedLuong& m, AlignedActs& a, const Seq2SeqData& d, const std::vector<int>& idx,
                                   int batch) {
    Rng unused(0);
    const bool hard = m.ac.attention == Attention::hard;
    double sum = 0;
    long n = 0;
    for (const auto& bi : make_batches(d, idx, batch, unused, false)) {
        Seq2SeqBatch b = make_seq2seq_batch(d.src_ids, d.tgt_ids, bi);
        aligned_forward(m, a, b, nullptr);
        for (int t = 0; t < b.T; t++)
            for (int r = 0; r < b.B; r++) {
                if (b.dec_out[(size_t)r * b.T + t] == Vocab::PAD) continue;
                const float* row = (hard ? a.soft.data() : a.net.alpha.data()) + ((size_t)t * b.B + r) * b.S;
                sum += row_entropy(row, b.src_len[r]), n++;
            }
    }
    return n ? sum / n : 0.0;
}

// ---- the model's name and configuration, as checkpoints keep them -------------------------------
inline const char* kAlignedKind = "luong_aligned";  // the checkpoint's tag; --load refuses another model's
// Config text: chapter 03's "Vs Vt E H A score feed", then "attention D beta".
inline std::string aligned_config_text(const AlignedLuong& m) {
    char tail[96];
    std::snprintf(tail, sizeof tail, " %s %d %g", attention_name(m.ac.attention).c_str(), m.ac.D, (double)m.ac.beta);
    return luong_config_text(m.net.cfg) + tail;
}
inline void aligned_parse_config(const std::string& s, const std::string& where, LuongConfig* c, AlignedConfig* ac) {
    *c = luong_parse_config(s, where);
    char att[32] = {0}, score[32] = {0};
    int v[7];
    float beta = 0;
    if (std::sscanf(s.c_str(), "%d %d %d %d %d %31s %d %31s %d %f", &v[0], &v[1], &v[2], &v[3], &v[4], score, &v[5], att,
                    &v[6], &beta) != 10)
        fail(where, "a chapter 04 model config 'Vs Vt E H A score feed attention D beta', found '" + s + "'",
             "was this checkpoint written by 04_local_hard_soft_attention?");
    ac->attention = parse_attention(att), ac->D = v[6], ac->beta = beta;
}
inline std::string aligned_title(const AlignedLuong& m) {
    const LuongConfig& c = m.net.cfg;
    const Attention v = m.ac.attention;
    char beta[32];
    std::snprintf(beta, sizeof beta, "%g", (double)m.ac.beta);
    return "Luong seq2seq, " + attention_name(v) + " attention" +
           (v == Attention::local_m || v == Attention::local_p ? " (D=" + std::to_string(m.ac.D) + ")" : "") +
           (v == Attention::hard ? std::string(" (REINFORCE, entropy beta ") + beta + ")" : "") + ", score " +
           luong_score_name(c.score) + ", input feeding " + (c.feed ? "on" : "off") + ", E=" + std::to_string(c.E) +
           ", H=" + std::to_string(c.H);
}

}  // namespace ch04
