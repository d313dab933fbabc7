// train_seq2seq.hpp — chapter 01's training loop and validation loss (main.cpp and the tests use them).
#pragma once
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "chapters/01_seq2seq/gru_seq2seq.hpp"
#include "chapters/01_seq2seq/seq2seq_data.hpp"
#include "common/checkpoint.hpp"
#include "common/optim.hpp"
#include "common/progress.hpp"

namespace s2s {

// Batches of similar source length (little padding), in a random order drawn from rng.
// Returns lists of pair indices.
inline std::vector<std::vector<int>> make_batches(const Seq2SeqData& d, const std::vector<int>& idx, int batch,
                                                  Rng& rng, bool shuffle) {
    std::vector<std::vector<int>> seqs;
    for (int i : idx) seqs.push_back(d.src_ids[i]);
    std::vector<std::vector<int>> out = bucket_batches(seqs, batch, rng, shuffle);
    for (auto& b : out)
        for (int& j : b) j = idx[j];
    return out;
}

// Reserve activations for the longest source and target of the whole dataset.
inline void reserve_for(GRUSeq2SeqActs& a, const GRUSeq2Seq& m, const Seq2SeqData& d, int batch) {
    int S = 1, T = 1;
    for (const auto& s : d.src_ids) S = std::max(S, (int)s.size());
    for (const auto& t : d.tgt_ids) T = std::max(T, (int)t.size() + 1);
    gru_seq2seq_reserve(a, m.cfg, batch, S, T);
}

inline int count_targets(const Seq2SeqBatch& b) {
    int n = 0;
    for (int L : b.dec_len) n += L;
    return n;
}

struct EpochStats {
    double loss = 0;      // mean cross-entropy per target token
    double seconds = 0;
    double grad_norm = 0;  // mean over steps, before clipping
};

// One pass over the train split, for any seq2seq model of chapters 01–04 and 07:
//   forward(batch) -> mean loss per target token (teacher forcing), backward(batch) adds into params.grad.
// clip > 0 clips the global gradient norm. bar may be nullptr.
template <class Forward, class Backward>
EpochStats train_epoch_with(ParamSet& params, Forward forward, Backward backward, Adam& opt, const Seq2SeqData& d,
                            int batch, Rng& rng, float clip, ProgressBar* bar) {
    auto t0 = std::chrono::steady_clock::now();
    EpochStats st;
    double loss_sum = 0, norm_sum = 0;
    long tokens = 0, seen = 0;
    auto batches = make_batches(d, d.split.train, batch, rng, true);
    for (const auto& idx : batches) {
        Seq2SeqBatch b = make_seq2seq_batch(d.src_ids, d.tgt_ids, idx);
        float loss = forward(b);
        params.zero_grad();
        backward(b);
        norm_sum += clip > 0 ? clip_grad_norm(params, clip) : 0.0;
        opt.step(params);
        int n = count_targets(b);
        loss_sum += (double)loss * n, tokens += n, seen += b.B;
        if (bar) bar->update(seen, metrics_str({{"loss", loss_sum / tokens}}));
    }
    st.loss = loss_sum / std::max(tokens, 1L);
    st.grad_norm = norm_sum / std::max<size_t>(batches.size(), 1);
    st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return st;
}

// Mean cross-entropy per target token over idx (teacher forcing, no update), for any model.
template <class Forward>
double evaluate_loss_with(Forward forward, const Seq2SeqData& d, const std::vector<int>& idx, int batch) {
    Rng unused(0);
    double loss_sum = 0;
    long tokens = 0;
    for (const auto& bi : make_batches(d, idx, batch, unused, false)) {
        Seq2SeqBatch b = make_seq2seq_batch(d.src_ids, d.tgt_ids, bi);
        int n = count_targets(b);
        loss_sum += (double)forward(b) * n, tokens += n;
    }
    return loss_sum / std::max(tokens, 1L);
}

// Chapter 01's model through them.
inline EpochStats train_epoch(GRUSeq2Seq& m, GRUSeq2SeqActs& a, Adam& opt, const Seq2SeqData& d, int batch, Rng& rng,
                              float clip, ProgressBar* bar) {
    return train_epoch_with(
        m.params, [&](const Seq2SeqBatch& b) { return gru_seq2seq_forward(m, a, b); },
        [&](const Seq2SeqBatch& b) { gru_seq2seq_backward(m, a, b); }, opt, d, batch, rng, clip, bar);
}
inline double evaluate_loss(GRUSeq2Seq& m, GRUSeq2SeqActs& a, const Seq2SeqData& d, const std::vector<int>& idx,
                            int batch) {
    return evaluate_loss_with([&](const Seq2SeqBatch& b) { return gru_seq2seq_forward(m, a, b); }, d, idx, batch);
}

// ---- checkpoints: weights, vocabularies and configuration (and Adam's state, to continue) -------
inline std::string config_text(const GRUSeq2SeqConfig& c) {
    return std::to_string(c.Vs) + " " + std::to_string(c.Vt) + " " + std::to_string(c.E) + " " +
           std::to_string(c.H) + " " + std::to_string((int)c.reverse_source);
}
inline GRUSeq2SeqConfig parse_config(const std::string& s, const std::string& where) {
    GRUSeq2SeqConfig c;
    int rev = 0;
    if (std::sscanf(s.c_str(), "%d %d %d %d %d", &c.Vs, &c.Vt, &c.E, &c.H, &rev) != 5)
        fail(where, "expected a chapter 01 model config 'Vs Vt E H reverse', found '" + s + "'",
             "was this checkpoint written by 01_seq2seq?");
    c.reverse_source = rev != 0;
    return c;
}

inline void save_model(const std::string& path, const GRUSeq2Seq& m, const Adam& opt, const Vocab& sv,
                       const Vocab& tv, int epochs_done) {
    Checkpoint ck;
    ck.add_bytes("model", "gru_seq2seq");
    ck.add_bytes("config", config_text(m.cfg));
    ck.add_bytes("src_vocab", sv.serialize());
    ck.add_bytes("tgt_vocab", tv.serialize());
    ck.add_bytes("epochs", std::to_string(epochs_done));
    ck.add_params(m.params);
    ck.add_adam(opt);
    ck.save(path);
}

// A model rebuilt from a checkpoint: configuration, vocabularies and weights (the checkpoint is kept
// so the caller can also restore Adam's state to continue training).
struct LoadedModel {
    std::unique_ptr<GRUSeq2Seq> model;  // heap: the Tensors point into its ParamSet, it must not move
    Vocab src_vocab, tgt_vocab;
    int epochs = 0;
    Checkpoint ck;
};

inline LoadedModel load_model(const std::string& path) {
    LoadedModel lm;
    lm.ck = Checkpoint::load(path);
    if (!lm.ck.has("model") || lm.ck.bytes("model") != "gru_seq2seq")
        fail(path, "expected a chapter 01 checkpoint (model = gru_seq2seq)",
             "a checkpoint of another chapter cannot be loaded here");
    GRUSeq2SeqConfig cfg = parse_config(lm.ck.bytes("config"), path);
    lm.src_vocab = Vocab::deserialize(lm.ck.bytes("src_vocab"), path + ": src_vocab");
    lm.tgt_vocab = Vocab::deserialize(lm.ck.bytes("tgt_vocab"), path + ": tgt_vocab");
    if (lm.src_vocab.size() != cfg.Vs || lm.tgt_vocab.size() != cfg.Vt)
        fail(path, "vocabulary sizes equal to the model's (" + std::to_string(cfg.Vs) + ", " + std::to_string(cfg.Vt) + ")");
    lm.epochs = std::stoi(lm.ck.bytes("epochs"));
    lm.model = std::make_unique<GRUSeq2Seq>();
    Rng unused(0);  // the weights are overwritten by the checkpoint's
    gru_seq2seq_build(*lm.model, cfg, unused);
    lm.ck.restore_params(lm.model->params);
    return lm;
}

}  // namespace s2s
