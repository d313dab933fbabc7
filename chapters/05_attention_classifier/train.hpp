// train.hpp — chapter 05's training step, evaluation and checkpoints.
// The step, in plain calls: batch -> classifier_forward -> zero_grad -> classifier_backward ->
// clip -> Adam step. The epoch's running totals and the evaluation loop are common/run/classifier.hpp.
#pragma once
#include <cstdio>
#include <string>
#include <vector>

#include "chapters/05_attention_classifier/classifier_model.hpp"
#include "chapters/05_attention_classifier/text_data.hpp"
#include "common/nn/optim.hpp"
#include "common/run/checkpoint.hpp"
#include "common/run/training_state.hpp"  // kMaxEpochs
#include "common/run/classifier.hpp"
#include "common/run/progress.hpp"

namespace ch05 {
using namespace attn;

// Word dropout: each word's whole-word id becomes <unk> with probability p, so that the model
// learns to read a word from its character n-grams alone — as it must for words it never saw.
inline void word_dropout(TextBatch& tb, float p, Rng& rng) {
    if (p <= 0) return;
    for (int n = 0; n < tb.B * tb.T; n++)
        if (tb.offsets[n + 1] > tb.offsets[n] && rng.uniform() < p) tb.ids[tb.offsets[n]] = Vocab::UNK;
}

// One pass over set in a fresh random order (from rng, which also draws the dropout masks).
// lr_at(step) is the schedule; bar may be nullptr (tests).
template <class LrFn>
EpochStats train_epoch(Classifier& m, ClassifierActs& a, Adam& opt, const std::vector<Example>& set,
                       int batch, float clip, float p_word, Rng& rng, LrFn lr_at, ProgressBar* bar) {
    EpochMeter meter;
    const std::vector<int> order = shuffled_order((int)set.size(), rng);
    TextBatch tb;
    for (size_t i0 = 0; i0 < order.size(); i0 += batch) {
        const int B = batch_at(order.size(), i0, batch);
        make_text_batch(tb, set, {order.begin() + i0, order.begin() + i0 + B});
        word_dropout(tb, p_word, rng);
        const float loss = classifier_forward(m, a, tb, rng, /*training=*/true);
        m.params.zero_grad();
        classifier_backward(m, a, tb);
        if (clip > 0) clip_grad_norm(m.params, clip);
        opt.lr = lr_at(opt.t);
        opt.step(m.params);
        meter.add(loss, a.probs.data(), tb.labels.data(), B, m.cfg.V);
        if (bar) bar->update(meter.seen, meter.progress());
    }
    return meter.stats();
}

// Mean loss and accuracy over set, in order, dropout off; predictions (optional) per example.
inline EpochStats evaluate(Classifier& m, ClassifierActs& a, const std::vector<Example>& set, int batch,
                           std::vector<int>* predictions = nullptr) {
    std::vector<int> labels(set.size());
    for (size_t i = 0; i < set.size(); i++) labels[i] = set[i].label;
    Rng unused(0);  // no mask is drawn in evaluation
    TextBatch tb;
    auto forward = [&](const std::vector<int>& idx, double& loss_sum) {
        make_text_batch(tb, set, idx);
        loss_sum += (double)classifier_forward(m, a, tb, unused, false) * tb.B;
        return a.probs.data();
    };
    return evaluate_batches(batches_in_order((int)set.size(), batch), labels, m.cfg.V, forward, predictions);
}

// ---- checkpoints: the model, Adam, the random stream, the epochs done, AND what the model needs
// to read new text: its tokenisation, its class names and the dataset it was trained on.
inline void save_checkpoint(const std::string& path, const Classifier& m, const Adam& opt, const Rng& rng,
                            int epochs_done, const TextData& d) {
    Checkpoint ck;
    ck.add_bytes("config", config_str(m.cfg));
    ck.add_params(m.params);
    ck.add_adam(opt);
    ck.add_rng(rng);
    ck.add_bytes("epoch", std::to_string(epochs_done));
    ck.add_bytes("tokenizer", d.vocab.serialize());
    std::string classes;
    for (const auto& c : d.class_names) classes += c + "\n";
    ck.add_bytes("classes", classes);
    ck.add_bytes("dataset", d.name);
    ck.add_bytes("sizes", std::to_string(m.cfg.E) + " " + std::to_string(m.cfg.H) + " " +
                              std::to_string(m.cfg.A) + " " + std::to_string(m.cfg.M));
    ck.save(path);
}

// What a checkpoint says about the model before any weight is read.
struct CheckpointInfo {
    std::string dataset;
    std::vector<std::string> class_names;
    NgramVocab vocab;
    Pooling pooling = Pooling::Attention;
    int E = 0, H = 0, A = 0, M = 0;
};
inline CheckpointInfo read_checkpoint_info(const std::string& path) {
    Checkpoint ck = Checkpoint::load(path);
    for (const char* k : {"config", "tokenizer", "classes", "dataset", "sizes"})
        if (!ck.has(k))
            fail(path, std::string("a chapter 05 checkpoint with a '") + k + "' record, found none",
                 "was it written by 05_attention_classifier --save?");
    CheckpointInfo info;
    info.dataset = ck.bytes("dataset");
    info.vocab = NgramVocab::deserialize(ck.bytes("tokenizer"), path);
    const std::string& cls = ck.bytes("classes");
    for (size_t i = 0, j; i < cls.size(); i = j + 1) {
        j = cls.find('\n', i);
        if (j == std::string::npos) j = cls.size();
        if (j > i) info.class_names.push_back(cls.substr(i, j - i));
    }
    const std::string& cfg = ck.bytes("config");
    info.pooling = pooling_from_name(cfg.substr(0, cfg.find(' ')));
    if (std::sscanf(ck.bytes("sizes").c_str(), "%d %d %d %d", &info.E, &info.H, &info.A, &info.M) != 4)
        fail(path, "a 'sizes' record 'E H A M', found '" + ck.bytes("sizes") + "'");
    return info;
}

// Restores the weights (and Adam and rng) into m, built with the checkpoint's config. Returns the
// epochs done.
inline int load_checkpoint(const std::string& path, Classifier& m, Adam& opt, Rng& rng) {
    Checkpoint ck = Checkpoint::load(path);
    if (ck.bytes("config") != config_str(m.cfg))
        fail(path,
             "a checkpoint of this model (" + config_str(m.cfg) + "), found '" + ck.bytes("config") + "'",
             "the checkpoint decides the sizes; do not pass --emb/--hidden/--attn/--mlp with --load");
    const int epochs_done = (int)ck.integer("epoch", 0, kMaxEpochs);  // checked before anything is changed
    ck.restore_params(m.params);
    ck.restore_adam(opt);
    ck.restore_rng(rng);
    return epochs_done;
}

}  // namespace ch05
