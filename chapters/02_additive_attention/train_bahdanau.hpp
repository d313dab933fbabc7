// train_bahdanau.hpp — chapter 02's training loop, validation loss and checkpoints. The same loop as
// chapter 01's (its batching helpers and EpochStats are reused from train_seq2seq.hpp), over the
// attention model.
#pragma once
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "chapters/01_seq2seq/train_seq2seq.hpp"
#include "chapters/02_additive_attention/bahdanau_seq2seq.hpp"

namespace s2s {

// Reserve activations for the longest source and target of the whole dataset.
inline void bahdanau_reserve_for(BahdanauActs& a, const Bahdanau& m, const Seq2SeqData& d, int batch) {
    int S = 1, T = 1;
    for (const auto& s : d.src_ids) S = std::max(S, (int)s.size());
    for (const auto& t : d.tgt_ids) T = std::max(T, (int)t.size() + 1);
    bahdanau_reserve(a, m.cfg, batch, S, T);
}

// Chapter 01's model-agnostic loop (train_seq2seq.hpp) with this chapter's model.
inline EpochStats bahdanau_train_epoch(Bahdanau& m, BahdanauActs& a, Adam& opt, const Seq2SeqData& d, int batch,
                                       Rng& rng, float clip, ProgressBar* bar) {
    return train_epoch_with(
        m.params, [&](const Seq2SeqBatch& b) { return bahdanau_forward(m, a, b); },
        [&](const Seq2SeqBatch& b) { bahdanau_backward(m, a, b); }, opt, d, batch, rng, clip, bar);
}
inline double bahdanau_evaluate_loss(Bahdanau& m, BahdanauActs& a, const Seq2SeqData& d, const std::vector<int>& idx,
                                     int batch) {
    return evaluate_loss_with([&](const Seq2SeqBatch& b) { return bahdanau_forward(m, a, b); }, d, idx, batch);
}

// ---- checkpoints ----------------------------------------------------------------------------------
inline void bahdanau_save(const std::string& path, const Bahdanau& m, const Adam& opt, const Vocab& sv,
                          const Vocab& tv, int epochs_done) {
    const BahdanauConfig& c = m.cfg;
    Checkpoint ck;
    ck.add_bytes("model", "bahdanau");
    ck.add_bytes("config", std::to_string(c.Vs) + " " + std::to_string(c.Vt) + " " + std::to_string(c.E) + " " +
                               std::to_string(c.H) + " " + std::to_string(c.A));
    ck.add_bytes("src_vocab", sv.serialize());
    ck.add_bytes("tgt_vocab", tv.serialize());
    ck.add_bytes("epochs", std::to_string(epochs_done));
    ck.add_params(m.params);
    ck.add_adam(opt);
    ck.save(path);
}

struct LoadedBahdanau {
    std::unique_ptr<Bahdanau> model;  // heap: its Tensors point into its ParamSet
    Vocab src_vocab, tgt_vocab;
    int epochs = 0;
    Checkpoint ck;
};

inline LoadedBahdanau bahdanau_load(const std::string& path) {
    LoadedBahdanau lm;
    lm.ck = Checkpoint::load(path);
    if (!lm.ck.has("model") || lm.ck.bytes("model") != "bahdanau")
        fail(path, "expected a chapter 02 checkpoint (model = bahdanau)",
             "a checkpoint of another chapter cannot be loaded here");
    BahdanauConfig c;
    std::string cs = lm.ck.bytes("config");
    if (std::sscanf(cs.c_str(), "%d %d %d %d %d", &c.Vs, &c.Vt, &c.E, &c.H, &c.A) != 5)
        fail(path, "expected a chapter 02 model config 'Vs Vt E H A', found '" + cs + "'");
    lm.src_vocab = Vocab::deserialize(lm.ck.bytes("src_vocab"), path + ": src_vocab");
    lm.tgt_vocab = Vocab::deserialize(lm.ck.bytes("tgt_vocab"), path + ": tgt_vocab");
    if (lm.src_vocab.size() != c.Vs || lm.tgt_vocab.size() != c.Vt)
        fail(path, "vocabulary sizes equal to the model's (" + std::to_string(c.Vs) + ", " + std::to_string(c.Vt) + ")");
    lm.epochs = std::stoi(lm.ck.bytes("epochs"));
    lm.model = std::make_unique<Bahdanau>();
    Rng unused(0);
    bahdanau_build(*lm.model, c, unused);
    lm.ck.restore_params(lm.model->params);
    return lm;
}

}  // namespace s2s
