// aligned_luong.hpp — chapter 04's model: chapter 03's Luong decoder (luong_seq2seq.hpp) with the
// step "α_t from the scores e_t" swapped. Nothing of the decoder loop is copied: each variant is a
// LuongAligner (forward / backward of one step) built from local_attention.hpp and hard_attention.hpp.
//
//   soft     α_t = softmax over all valid s of e_t                          (chapter 03, global)
//   local-m  α_t = softmax of e_t on the window [t − D, t + D]                Luong et al. 2015, eq. 7 on a window
//   local-p  p_t = S · sigmoid(v_pᵀ tanh(W_p h_t)),  α_ts = softmax_window(e_t)_s · exp(−(s − p_t)² / 2σ²), σ = D/2
//   hard     i_t ~ Categorical(softmax(e_t)) while training (argmax at test), α_t = onehot(i_t)  Xu et al. 2015
//
// Hard attention learns its scores by REINFORCE (hard_attention.hpp): per decoder step, the reward is
// the log-probability the model gave the correct target word, r_t = log p(y_t | …); a learned baseline
// b̂_t = w_bᵀ h_t + b (trained by ½ (b̂ − r)², no gradient into h_t) is subtracted, and an entropy bonus
// β H(α_t) keeps the sampling distribution from collapsing early. Rows whose target is <pad> get no
// REINFORCE gradient. Everything else (decoder, output layer, the attended h̄_{i_t}) trains by
// ordinary backprop through c_t = h̄_{i_t}. Both objectives are divided by the number of target
// tokens N, like the cross-entropy.
//
// Shape legend: B batch, S source positions, T target positions, H decoder state, A local-p predictor size.
#pragma once
#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "chapters/01_seq2seq/train_seq2seq.hpp"
#include "chapters/03_multiplicative_attention/luong_seq2seq.hpp"
#include "chapters/04_local_hard_soft_attention/hard_attention.hpp"
#include "chapters/04_local_hard_soft_attention/local_attention.hpp"

namespace s2s {

// ---- local-m: the window sits at p_t = t ------------------------------------------------------------
struct LocalMAligner : LuongAligner {
    int D;
    explicit LocalMAligner(int window) : D(window) {}
    std::string name() const override { return "local-m"; }
    void forward(float* alpha, const float* e, const float*, const int* len, int t, int B, int S, int, bool) override {
        local_m_align_forward(alpha, e, len, t, D, B, S);
    }
    void backward(float* de, float*, const float* dalpha, const float* alpha, const float*, const float*, const int*,
                  int, int B, int S, int) override {
        local_m_align_backward(de, dalpha, alpha, B, S);
    }
};

// ---- local-p: the model predicts p_t from h_t ------------------------------------------------------
struct LocalPAligner : LuongAligner {
    int D, A = 0, S_max = 0, B_max = 0;
    Tensor W_p, v_p;      // (A,H), (A)
    Buf p, z, soft;       // (T,B), (T,B,A), (T,B,S)
    Buf dec_p, dec_z, dec_soft, dp;
    explicit LocalPAligner(int window) : D(window) {}
    std::string name() const override { return "local-p"; }
    void declare(ParamSet& ps, const LuongConfig& c) override {
        A = c.A;
        ps.add(W_p, "local_p.W_p", {A, c.H});
        ps.add(v_p, "local_p.v_p", {A});
    }
    void init(Rng& rng) override {
        const float a = 1.0f / std::sqrt((float)W_p.shape[1]), av = 1.0f / std::sqrt((float)A);
        for (size_t i = 0; i < W_p.size; i++) W_p.data[i] = rng.uniform(-a, a);
        for (size_t i = 0; i < v_p.size; i++) v_p.data[i] = rng.uniform(-av, av);
    }
    void reserve(int B, int S, int T) override {
        B_max = B, S_max = S;
        p.assign((size_t)T * B, 0), z.assign((size_t)T * B * A, 0), soft.assign((size_t)T * B * S, 0), dp.assign(B, 0);
    }
    void forward(float* alpha, const float* e, const float* h, const int* len, int t, int B, int S, int H,
                 bool train) override {
        // training: step t's slot of the caches; decoding: scratch for these n rows
        if (!train) dec_p.resize((size_t)B), dec_z.resize((size_t)B * A), dec_soft.resize((size_t)B * S);
        float* pt = train ? p.data() + (size_t)t * B_max : dec_p.data();
        float* zt = train ? z.data() + (size_t)t * B_max * A : dec_z.data();
        float* st = train ? soft.data() + (size_t)t * B_max * S_max : dec_soft.data();
        local_p_position_forward(pt, zt, h, W_p.data, v_p.data, len, B, H, A);  // p_t = len · σ(v_pᵀ tanh(W_p h_t))
        local_p_align_forward(alpha, st, e, pt, len, D, B, S);                   // window softmax × Gaussian
    }
    void backward(float* de, float* dh, const float* dalpha, const float* alpha, const float*, const float* h,
                  const int* len, int t, int B, int S, int H) override {
        const float* pt = p.data() + (size_t)t * B_max;
        std::fill(dp.begin(), dp.begin() + B, 0.0f);
        local_p_align_backward(de, dp.data(), dalpha, alpha, soft.data() + (size_t)t * B_max * S_max, pt, len, D, B, S);
        local_p_position_backward(dh, W_p.grad, v_p.grad, dp.data(), z.data() + (size_t)t * B_max * A, h, W_p.data,
                                  v_p.data, len, B, H, A);
    }
};

// ---- hard: sample one position, learn the scores by REINFORCE ---------------------------------------
struct HardAligner : LuongAligner {
    float beta;                   // entropy bonus β
    bool sampling = false;        // true: i_t ~ α_t (training); false: argmax (evaluation, decoding)
    bool replay = false;          // true: reuse the stored i_t (gradient checks with the positions fixed)
    bool reinforce = true;        // false: no REINFORCE / baseline gradients (gradient checks)
    Rng rng;
    int B_max = 0, S_max = 0;
    Tensor w_b, b_b;              // (H), (1)   baseline b̂ = w_bᵀ h + b
    Buf soft, bhat, reward, valid;  // (T,B,S) sampling distribution, (T,B) b̂, (T,B) r, (T,B) 1 = real target
    std::vector<int> idx;         // (T,B)
    Buf dec_soft, dw, db;         // decoding scratch; the baseline's gradient summed over the steps
    std::vector<int> dec_idx;
    std::vector<std::vector<float>>* record = nullptr;  // decoding: π_t of row 0 at every step (figures)
    float inv_n = 1.0f;           // 1 / (number of target tokens of the batch)
    double baseline_loss = 0;     // ½ Σ (b̂ − r)² / N of the last backward (for printing)
    HardAligner(float entropy_beta, uint64_t seed) : beta(entropy_beta), rng(seed) {}
    std::string name() const override { return "hard"; }
    void declare(ParamSet& ps, const LuongConfig& c) override {
        ps.add(w_b, "baseline.w", {c.H});
        ps.add(b_b, "baseline.b", {1});
    }
    void init(Rng&) override {}  // the baseline starts at 0
    void reserve(int B, int S, int T) override {
        B_max = B, S_max = S;
        soft.assign((size_t)T * B * S, 0), bhat.assign((size_t)T * B, 0), reward.assign((size_t)T * B, 0);
        valid.assign((size_t)T * B, 0), idx.assign((size_t)T * B, 0);
        dw.assign(w_b.size, 0), db.assign(1, 0);
    }
    void forward(float* alpha, const float* e, const float* h, const int* len, int t, int B, int S, int H,
                 bool train) override {
        if (!train) {  // decoding: argmax of the soft weights
            dec_soft.resize((size_t)B * S), dec_idx.resize(B);
            masked_softmax_forward(dec_soft.data(), e, nullptr, len, B, S);
            hard_sample_forward(dec_idx.data(), alpha, dec_soft.data(), len, false, rng, B, S);
            if (record) record->emplace_back(dec_soft.begin(), dec_soft.begin() + len[0]);
            return;
        }
        float* st = soft.data() + (size_t)t * B_max * S_max;
        int* it = idx.data() + (size_t)t * B_max;
        masked_softmax_forward(st, e, nullptr, len, B, S);  // the distribution positions are drawn from
        if (replay) {
            for (int b = 0; b < B; b++) {
                std::fill(alpha + (size_t)b * S, alpha + (size_t)(b + 1) * S, 0.0f);
                if (it[b] >= 0) alpha[(size_t)b * S + it[b]] = 1.0f;
            }
        } else {
            hard_sample_forward(it, alpha, st, len, sampling, rng, B, S);  // α_t = onehot(i_t)
        }
        baseline_forward(bhat.data() + (size_t)t * B_max, h, w_b.data, b_b.data, B, H);  // b̂_t = w_bᵀ h_t + b
    }
    // After the teacher-forced forward: r_t = log p(y_t) per real target (probs is the forward's (B,T,V)).
    void set_rewards(const float* probs, const Seq2SeqBatch& b, int V) {
        int n = 0;
        for (int r = 0; r < b.B; r++)
            for (int t = 0; t < b.T; t++) {
                const int y = b.dec_out[(size_t)r * b.T + t];
                const bool real = y != Vocab::PAD;
                valid[(size_t)t * B_max + r] = real ? 1.0f : 0.0f;
                reward[(size_t)t * B_max + r] =
                    real ? std::log(std::max(probs[((size_t)r * b.T + t) * V + y], 1e-30f)) : 0.0f;
                n += real;
            }
        inv_n = 1.0f / std::max(n, 1);
        baseline_loss = 0;
    }
    void backward(float* de, float*, const float*, const float*, const float*, const float* h, const int* len, int t,
                  int B, int S, int H) override {
        // ∂c_t does NOT go through the one-hot into α: the scores learn only from REINFORCE.
        if (!reinforce) return;
        for (int b = 0; b < B; b++) {
            const size_t k = (size_t)t * B_max + b;
            if (valid[k] == 0.0f) continue;  // a <pad> target: no reward, no gradient
            // L_b = −A · log α[i] − β H(α),  A = (r − b̂) / N   (b̂ a constant here)
            const float adv = (reward[k] - bhat[k]) * inv_n;
            hard_reinforce_backward(de + (size_t)b * S, soft.data() + (size_t)t * B_max * S_max + (size_t)b * S, &idx[k],
                                    &adv, beta * inv_n, len + b, 1, S);
            // ½ (b̂ − r)² -> the baseline's parameters only (dh = nullptr: it must not reshape the decoder)
            baseline_loss += baseline_backward(nullptr, dw.data(), db.data(), &bhat[k], &reward[k], h + (size_t)b * H,
                                               w_b.data, 1, H);
        }
        if (t == 0) {  // the last step of the backward: the baseline's gradient, divided by N like the rest
            for (int j = 0; j < H; j++) w_b.grad[j] += dw[j] * inv_n, dw[j] = 0;
            b_b.grad[0] += db[0] * inv_n, db[0] = 0;
            baseline_loss *= inv_n;
        }
    }
};

// ---- the variants by name ----------------------------------------------------------------------
struct AlignedConfig {
    std::string attention = "soft";  // soft | hard | local-m | local-p
    int D = 2;                       // window half-width (local-m, local-p)
    float beta = 0.01f;              // hard: entropy bonus
};

inline std::unique_ptr<LuongAligner> make_aligner(const AlignedConfig& c, uint64_t seed) {
    if (c.attention == "soft") return nullptr;
    if (c.attention == "local-m") return std::make_unique<LocalMAligner>(c.D);
    if (c.attention == "local-p") {
        if (c.D < 1) fail("--window", "D >= 1 for local-p (its Gaussian has sigma = D/2)", "e.g. --window 2");
        return std::make_unique<LocalPAligner>(c.D);
    }
    if (c.attention == "hard") return std::make_unique<HardAligner>(c.beta, seed);
    fail("--attention", "soft, hard, local-m or local-p, found '" + c.attention + "'");
}

// The whole model: chapter 03's Luong model with an aligner.
struct AlignedLuong {
    Luong net;
    std::unique_ptr<LuongAligner> align;
    AlignedConfig ac;
    HardAligner* hard() { return dynamic_cast<HardAligner*>(align.get()); }
};

inline void aligned_build(AlignedLuong& m, const LuongConfig& cfg, const AlignedConfig& ac, Rng& rng) {
    m.ac = ac;
    m.align = make_aligner(ac, 0);
    luong_build(m.net, cfg, rng, m.align.get());  // soft: exactly chapter 03's model, same seed, same weights
    if (HardAligner* h = m.hard()) h->rng.reseed(rng.next_u64());  // its own stream for the sampling
}

// One training step's gradient: hard attention re-runs the forward with SAMPLED positions, sets the
// rewards from its per-token log-probabilities, then backpropagates; the others are chapter 03's.
// The forward of a training step: hard attention draws i_t ~ α_t here (evaluation and decoding take
// the argmax); the other variants are chapter 03's forward.
inline float aligned_train_forward(AlignedLuong& m, LuongActs& a, const Seq2SeqBatch& b) {
    HardAligner* h = m.hard();
    if (!h || h->replay) return luong_forward(m.net, a, b);
    h->sampling = true;
    float loss = luong_forward(m.net, a, b);
    h->sampling = false;
    return loss;
}
// Must follow aligned_train_forward (or a replayed forward) on b: hard attention's rewards
// r_t = log p(y_t) are that forward's, and its REINFORCE gradient is for the positions it drew.
inline void aligned_backward(AlignedLuong& m, LuongActs& a, const Seq2SeqBatch& b) {
    if (HardAligner* h = m.hard()) h->set_rewards(a.probs.data(), b, m.net.cfg.Vt);
    luong_backward(m.net, a, b);
}

// Mean entropy (nats) of the attention weights over every real target token of `idx`, teacher forced.
// For hard attention: of the distribution the positions are drawn from (its α is one-hot, entropy 0).
inline double aligned_mean_entropy(AlignedLuong& m, LuongActs& a, const Seq2SeqData& d, const std::vector<int>& idx,
                                   int batch) {
    Rng unused(0);
    double sum = 0;
    long n = 0;
    for (const auto& bi : make_batches(d, idx, batch, unused, false)) {
        Seq2SeqBatch b = make_seq2seq_batch(d.src_ids, d.tgt_ids, bi);
        luong_forward(m.net, a, b);
        HardAligner* h = m.hard();
        for (int t = 0; t < b.T; t++)
            for (int r = 0; r < b.B; r++) {
                if (b.dec_out[(size_t)r * b.T + t] == Vocab::PAD) continue;
                // rows of step t are b.S apart in both caches (the step slots are B_max·S_max apart)
                const float* row = h ? h->soft.data() + (size_t)t * h->B_max * h->S_max + (size_t)r * b.S
                                     : a.alpha.data() + ((size_t)t * b.B + r) * b.S;
                sum += row_entropy(row, b.src_len[r]), n++;
            }
    }
    return n ? sum / n : 0.0;
}

// ---- the model as the shared driver sees it ---------------------------------------------------------
// Config text: chapter 03's "Vs Vt E H A score feed", then "attention D beta".
inline std::string aligned_config_text(const AlignedLuong& m) {
    char tail[96];
    std::snprintf(tail, sizeof tail, " %s %d %g", m.ac.attention.c_str(), m.ac.D, (double)m.ac.beta);
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
    ac->attention = att, ac->D = v[6], ac->beta = beta;
}

inline std::string fmt_beta(float b) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", (double)b);
    return buf;
}

// m and a must outlive the returned functions.
inline TranslationModel aligned_model(AlignedLuong& m, LuongActs& a) {
    TranslationModel t = luong_model(m.net, a);
    t.kind = "luong_aligned";
    const std::string v = m.ac.attention;
    t.title = "Luong seq2seq, " + v + " attention" +
              (v == "local-m" || v == "local-p" ? " (D=" + std::to_string(m.ac.D) + ")" : "") +
              (v == "hard" ? " (REINFORCE, entropy beta " + fmt_beta(m.ac.beta) + ")" : "") + ", score " +
              luong_score_name(m.net.cfg.score) + ", input feeding " + (m.net.cfg.feed ? "on" : "off") +
              ", E=" + std::to_string(m.net.cfg.E) + ", H=" + std::to_string(m.net.cfg.H);
    t.config = aligned_config_text(m);
    t.train_forward = [&m, &a](const Seq2SeqBatch& b) { return aligned_train_forward(m, a, b); };
    t.backward = [&m, &a](const Seq2SeqBatch& b) { aligned_backward(m, a, b); };
    return t;
}

}  // namespace s2s
