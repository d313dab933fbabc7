// train_seq2seq.hpp — the training loop and validation loss of every translation model (chapters 01–04,
// 07): the model comes in as two functions, forward(batch) -> loss and backward(batch).
#pragma once
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "chapters/01_seq2seq/seq2seq_data.hpp"
#include "common/nn/optim.hpp"
#include "common/run/progress.hpp"

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

inline int count_targets(const Seq2SeqBatch& b) {
    int n = 0;
    for (int L : b.dec_len) n += L;
    return n;
}

struct EpochStats {
    double loss = 0;      // mean cross-entropy per target token
    double seconds = 0;
    double grad_norm = 0;  // mean over steps, before clipping
    long steps = 0;        // optimiser steps (batches)
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
    st.steps = (long)batches.size();
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

}  // namespace s2s
