// seq2seq_testing.hpp — what the translation chapters' tests (01–04) share: a small synthetic
// translation set, built through the same loader the programs use, and the short training run and
// greedy BLEU that their training and determinism tests are made of.
#pragma once
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "chapters/01_seq2seq/seq2seq_data.hpp"
#include "chapters/01_seq2seq/translation_eval.hpp"
#include "chapters/01_seq2seq/translation_training.hpp"

namespace seq2seq_testing {
using namespace ch01;

// n synthetic pairs of 3..max_len source tokens (no real data is looked for), every word in the vocabulary.
inline Seq2SeqData small_synthetic(int n, uint64_t seed, int max_len = 6) {
    DataOptions o;
    o.data = "synthetic";
    o.data_dir = "/nonexistent";
    o.synth_pairs = n, o.synth_min_len = 3, o.synth_max_len = max_len, o.min_freq = 1, o.seed = seed;
    return load_seq2seq_data(o);
}

// A short training run without printing: the validation loss per target token before and after
// `epochs` calls of one_epoch() (the chapter's train_epoch, with its own model, optimiser and rng);
// loss(batch) is the model's forward. The activations must have room for the longest pair
// (longest_source / longest_target).
struct ValLoss {
    double before = 0, after = 0;
};
template <class LossFn, class EpochFn>
ValLoss train_for(const Seq2SeqData& d, int epochs, int batch, LossFn&& loss, EpochFn&& one_epoch) {
    ValLoss v;
    v.before = evaluate_loss(loss, d, d.split.val, batch);
    for (int e = 0; e < epochs; e++) one_epoch();
    v.after = evaluate_loss(loss, d, d.split.val, batch);
    return v;
}

// Corpus BLEU (with its n-gram precisions) of greedy decoding on the validation split;
// translate(srcs, beam) as the programs'.
template <class TranslateFn>
attn::BleuScore greedy_val_score(const Seq2SeqData& d, TranslateFn&& translate, int bucket_width = 3) {
    auto items = group_by_source(d.pairs, d.split.val);
    return evaluate_translations(items, translate, d.tgt_vocab, 1, bucket_width).corpus;
}
template <class TranslateFn>
double greedy_val_bleu(const Seq2SeqData& d, TranslateFn&& translate, int bucket_width = 3) {
    return greedy_val_score(d, translate, bucket_width).bleu;
}

// Beam search's reorder, checked for any decoder: three rows (sentences 1, 0, 1 of at least two
// encoded ones) each read a different first token, then are reordered by parents {2, 2, 1} and read a
// second token. Each row's log-probabilities must equal those of a fresh decoder fed that row's prefix
// alone — the row's whole state (and its sentence's encoder outputs) moved with it.
// make_decoder(n_max) builds a decoder over the same encoded sentences; V is the vocabulary.
template <class MakeDecoder>
void check_reorder_equals_alone(MakeDecoder&& make_decoder, int V) {
    auto dec = make_decoder(3);
    std::vector<int> sent = {1, 0, 1}, first = {Vocab::BOS, 5, 6}, parents = {2, 2, 1}, second = {7, 8, 9};
    dec.start(sent.data(), 3);
    Buf lp((size_t)3 * V);
    dec.step(lp.data(), first.data(), 3);
    dec.reorder(parents.data(), 3);
    dec.step(lp.data(), second.data(), 3);
    for (int r = 0; r < 3; r++) {
        const int p = parents[r];
        auto alone = make_decoder(1);
        alone.start(&sent[p], 1);
        Buf one(V);
        alone.step(one.data(), &first[p], 1);
        alone.step(one.data(), &second[r], 1);
        for (int v = 0; v < V; v++) CHECK(lp[(size_t)r * V + v] == doctest::Approx(one[v]).epsilon(1e-5));
    }
}

}  // namespace seq2seq_testing
