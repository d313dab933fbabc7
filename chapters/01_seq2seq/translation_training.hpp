// translation_training.hpp — what the training loops of chapters 01–04 (and 07) share, as plain
// functions: the data as the program prints it, batches of similar length, an epoch's running loss,
// the validation after each epoch, and the log of the run. The loop itself — batch → forward → zero
// grads → backward → clip → step — is in each chapter's own train.hpp, with its model's functions.
#pragma once
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "chapters/01_seq2seq/decoding.hpp"
#include "chapters/01_seq2seq/seq2seq_data.hpp"
#include "chapters/01_seq2seq/translation_eval.hpp"
#include "chapters/01_seq2seq/translation_flags.hpp"
#include "common/core/rng.hpp"
#include "common/core/thread_pool.hpp"
#include "common/run/progress.hpp"
#include "common/run/summary.hpp"

namespace ch01 {

// ---- data --------------------------------------------------------------------------------------
// Loads, splits and encodes the run's data (seq2seq_data.hpp) and says what it is in two lines.
inline Seq2SeqData load_translation_data(const TranslationSettings& s) {
    std::string note;
    Seq2SeqData d = load_seq2seq_data(s.data, &note);
    if (!note.empty()) std::printf("%s\n", note.c_str());
    std::printf("data: %s (%s), %zu pairs%s\n", d.dataset.c_str(), d.source.c_str(), d.pairs.pairs.size(),
                d.dataset == "fra-eng" ? (", " + d.direction + ", max " + std::to_string(s.data.max_len) + " tokens").c_str() : "");
    std::printf("split by distinct %s sentence (seed %ld): train %zu, val %zu, test %zu pairs\n",
                d.dataset == "fra-eng" ? "English" : "source", s.f.seed, d.split.train.size(), d.split.val.size(),
                d.split.test.size());
    return d;
}

// The vocabularies and the model's parameters per layer, before training.
inline void print_translation_model(const std::string& title, const ParamSet& params, const TranslationSettings& s,
                                    const Seq2SeqData& d) {
    std::printf("vocabulary (train, min_freq %d): source %d, target %d tokens (incl. 4 specials)\n\n",
                s.data.min_freq, d.src_vocab.size(), d.tgt_vocab.size());
    print_summary(title, summary_from_params(params));
}

// The longest source (with <eos>) and target (with <eos>) of the whole dataset: a model reserves its
// activations for batches up to (batch, longest_source, longest_target) once, before training.
inline int longest_source(const Seq2SeqData& d) {
    int S = 1;
    for (const auto& x : d.src_ids) S = std::max(S, (int)x.size());
    return S;
}
inline int longest_target(const Seq2SeqData& d) {
    int T = 1;
    for (const auto& y : d.tgt_ids) T = std::max(T, (int)y.size() + 1);
    return T;
}

// ---- batches -------------------------------------------------------------------------------------
// Batches of similar source length (little padding) of the pairs idx, in a random order drawn from
// rng when shuffling. Returns lists of pair indices; make_seq2seq_batch turns one into a batch.
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

// Mean cross-entropy per target token over the pairs idx, teacher forced, no update.
// loss(batch) is the model's forward: the mean loss per target token of that batch.
template <class LossFn>
double evaluate_loss(LossFn&& loss, const Seq2SeqData& d, const std::vector<int>& idx, int batch) {
    Rng unused(0);
    double loss_sum = 0;
    long tokens = 0;
    for (const auto& bi : make_batches(d, idx, batch, unused, false)) {
        Seq2SeqBatch b = make_seq2seq_batch(d.src_ids, d.tgt_ids, bi);
        int n = count_targets(b);
        loss_sum += (double)loss(b) * n, tokens += n;
    }
    return loss_sum / std::max(tokens, 1L);
}

// ---- one epoch's running numbers -----------------------------------------------------------------
struct EpochStats {
    double loss = 0;       // mean cross-entropy per target token
    double seconds = 0;
    double grad_norm = 0;  // mean over steps, before clipping
    long steps = 0;        // optimiser steps (batches)
};

// Adds up the steps of one epoch (loss weighted by target tokens) and keeps the progress bar moving.
struct EpochMeter {
    ProgressBar* bar;  // may be nullptr (tests)
    std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
    double loss_sum = 0, norm_sum = 0;
    long tokens = 0, seen = 0, steps = 0;
    explicit EpochMeter(ProgressBar* progress) : bar(progress) {}
    void add(float loss, const Seq2SeqBatch& b, double grad_norm) {
        const int n = count_targets(b);
        loss_sum += (double)loss * n, tokens += n, seen += b.B, norm_sum += grad_norm, steps++;
        if (bar) bar->update(seen, metrics_str({{"loss", loss_sum / tokens}}));
    }
    EpochStats stats() const {
        EpochStats st;
        st.loss = loss_sum / std::max(tokens, 1L);
        st.grad_norm = norm_sum / std::max<long>(steps, 1);
        st.steps = steps;
        st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        return st;
    }
};

// ---- the run's log: what each epoch ended with ----------------------------------------------------
struct TrainingLog {
    int epochs_done = 0;  // epochs trained, including those of a loaded checkpoint
    std::vector<double> train_loss, val_loss, val_bleu;  // one per epoch of THIS run
    double seconds = 0;   // training time of this run
    long steps = 0;
};

// The source-length bucket width of the BLEU tables: --bucket, or about 8 buckets of at least 2 tokens.
inline int bucket_width(const TranslationSettings& s, const Seq2SeqData& d) {
    if (s.bucket > 0) return s.bucket;
    int longest = 1;
    for (const auto& p : d.pairs.pairs) longest = std::max(longest, count_tokens(p.src));
    return std::max(2, (longest + 7) / 8);
}

// After an epoch: the validation loss (teacher forced) and greedy BLEU on the first --bleu-val
// validation sentences, printed on the epoch's finished progress line and kept in the log.
// loss(batch) and translate(sources, beam) are the model's (as in evaluate_loss / translation_eval.hpp).
template <class LossFn, class TranslateFn>
void end_epoch(TrainingLog& log, ProgressBar& bar, int epoch, const EpochStats& st, LossFn&& loss,
               TranslateFn&& translate, const Seq2SeqData& d, const TranslationSettings& s) {
    std::vector<EvalItem> val_items = group_by_source(d.pairs, d.split.val);
    val_items.resize(std::min((size_t)s.bleu_val, val_items.size()));
    double vl = evaluate_loss(loss, d, d.split.val, s.f.batch);
    double vb = evaluate_translations(val_items, translate, d.tgt_vocab, 1, bucket_width(s, d)).corpus.bleu;
    bar.finish(metrics_str({{"loss", st.loss}}) + " | " + metrics_str({{"val_loss", vl}, {"val_bleu", vb}}, 2) +
               " | " + fmt_metric("steps/s", st.steps / std::max(st.seconds, 1e-9), 1));
    log.train_loss.push_back(st.loss), log.val_loss.push_back(vl), log.val_bleu.push_back(vb);
    log.seconds += st.seconds, log.steps += st.steps;
    log.epochs_done = epoch;
}

// Epochs log.epochs_done+1 .. s.last_epoch(): each is one_epoch(&bar) — the chapter's train_epoch, with
// its training step — then the validation (end_epoch). loss and translate are the model's. Nothing
// to do (and nothing printed) when a loaded checkpoint has done them all.
template <class EpochFn, class LossFn, class TranslateFn>
void run_epochs(TrainingLog& log, const TranslationSettings& s, const Seq2SeqData& d, EpochFn&& one_epoch,
                LossFn&& loss, TranslateFn&& translate) {
    if (log.epochs_done >= s.last_epoch()) return;
    std::printf("\ntraining: epochs %d-%d of %d, batch %d, Adam lr %g, clip %g, %s\n", log.epochs_done + 1,
                s.last_epoch(), s.f.epochs, s.f.batch, s.f.lr, s.clip, threads_text().c_str());
    for (int e = log.epochs_done + 1; e <= s.last_epoch(); e++) {
        ProgressBar bar(e, s.f.epochs, (long)d.split.train.size());
        EpochStats st = one_epoch(&bar);
        end_epoch(log, bar, e, st, loss, translate, d, s);
    }
}

}  // namespace ch01
