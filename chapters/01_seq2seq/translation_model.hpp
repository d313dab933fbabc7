// translation_model.hpp — a translation model as the shared driver (translation_driver.hpp) and the
// tests see it: a handful of plain functions over the chapter's own model. Each chapter's model header
// ends with one function that fills this in (gru_seq2seq_model, bahdanau_model, luong_model, ...).
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "chapters/01_seq2seq/decoding.hpp"
#include "chapters/01_seq2seq/seq2seq_data.hpp"
#include "common/core/params.hpp"
#include "common/data/vocab.hpp"

namespace s2s {

// α of each translated sentence: one row per output token, one column per source token incl. <eos>.
using Alignments = std::vector<std::vector<std::vector<float>>>;

struct TranslationModel {
    std::string kind;    // the checkpoint's tag, e.g. "bahdanau"; --load refuses another chapter's
    std::string title;   // the summary's heading
    std::string config;  // the configuration as text (kept in checkpoints, handed back on --load)
    ParamSet* params = nullptr;
    std::function<void(int B, int S, int T)> reserve;   // activations for batches up to this size
    std::function<float(const Seq2SeqBatch&)> forward;  // mean loss per target token (teacher forcing)
    // The forward of a training step, when it differs from evaluation's (chapter 04's hard attention
    // samples its positions here and argmaxes in `forward`); empty = `forward`.
    std::function<float(const Seq2SeqBatch&)> train_forward;
    std::function<void(const Seq2SeqBatch&)> backward;  // adds into params->grad
    // The best hypothesis per (normalised) source sentence; beam 1 = greedy. With `attention` (greedy
    // only; models without attention ignore it) also each sentence's weights.
    std::function<std::vector<Hypothesis>(const Vocab& src_vocab, const std::vector<std::string>& srcs, int beam,
                                          float alpha, Alignments* attention)>
        translate;
};

}  // namespace s2s
