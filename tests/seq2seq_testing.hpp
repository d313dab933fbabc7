// seq2seq_testing.hpp — what the translation chapters' tests (01–04) share: a small synthetic
// translation set, built through the same loader the programs use, and the short training run and
// greedy BLEU that their training and determinism tests are made of.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "chapters/01_seq2seq/seq2seq_data.hpp"
#include "chapters/01_seq2seq/translation_driver.hpp"
#include "chapters/01_seq2seq/translation_eval.hpp"

namespace s2s::test_data {

// n synthetic pairs of 3..max_len source tokens (no real data is looked for), every word in the vocabulary.
inline Seq2SeqData small_synthetic(int n, uint64_t seed, int max_len = 6) {
    DataOptions o;
    o.data = "synthetic";
    o.data_dir = "/nonexistent";
    o.synth_pairs = n, o.synth_min_len = 3, o.synth_max_len = max_len, o.min_freq = 1, o.seed = seed;
    return load_seq2seq_data(o);
}

// The driver's training loop without its printing: room for the longest pair, Adam at lr, `epochs`
// epochs in batches of `batch` (clipping at 1, shuffles from rng). Returns the validation loss per
// target token before and after.
struct ValLoss {
    double before = 0, after = 0;
};
inline ValLoss train_for(TranslationModel& tm, const Seq2SeqData& d, int epochs, int batch, float lr, attn::Rng& rng) {
    reserve_for(tm, d, batch);
    attn::Adam opt = attn::make_adam(*tm.params, lr);
    ValLoss v;
    v.before = evaluate_loss(tm, d, d.split.val, batch);
    for (int e = 0; e < epochs; e++) train_epoch(tm, opt, d, batch, rng, 1.0f);
    v.after = evaluate_loss(tm, d, d.split.val, batch);
    return v;
}

// Corpus BLEU (with its n-gram precisions) of greedy decoding on the validation split;
// translate(srcs, beam) as the driver's.
template <class TranslateFn>
attn::BleuScore greedy_val_score(const Seq2SeqData& d, TranslateFn&& translate, int bucket_width = 3) {
    auto items = group_by_source(d.pairs, d.split.val);
    return evaluate_translations(items, translate, d.tgt_vocab, 1, bucket_width).corpus;
}
template <class TranslateFn>
double greedy_val_bleu(const Seq2SeqData& d, TranslateFn&& translate, int bucket_width = 3) {
    return greedy_val_score(d, translate, bucket_width).bleu;
}

}  // namespace s2s::test_data
