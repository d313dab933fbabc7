// train.hpp — chapter 06's training step, evaluation and checkpoints (main.cpp and the tests use them).
// The epoch's running totals and the evaluation loop are common/run/classifier.hpp; batches of similar
// length are common/data/batching.hpp; the step itself — forward, zero the gradients, backward, clip,
// optimiser step — is written out here.
#pragma once
#include <sstream>
#include <string>
#include <vector>

#include "chapters/06_self_attention/encoder_classifier.hpp"
#include "chapters/06_self_attention/text_data.hpp"
#include "common/data/batching.hpp"
#include "common/nn/optim.hpp"
#include "common/run/checkpoint.hpp"
#include "common/run/training_state.hpp"  // kMaxEpochs
#include "common/run/cli_values.hpp"
#include "common/run/classifier.hpp"
#include "common/run/progress.hpp"

namespace ch06 {
using namespace attn;

// One pass over `train` in batches of similar length, in a fresh random order (drawn from rng).
// lr_at(step) gives the learning rate of each optimiser step; clip the gradient norm (0: none).
template <class LrFn>
EpochStats train_epoch(Classifier& m, Adam& opt, const TextSplit& train, int batch, float clip, Rng& rng, LrFn lr_at,
                       ProgressBar* bar) {
    EpochMeter meter;
    ClassifierActs acts;
    std::vector<int> y(batch);
    for (const std::vector<int>& idx : bucket_batches(train.ids, batch, rng, /*shuffle=*/true)) {
        const TokenBatch tb = make_batch(train.ids, idx);
        for (int b = 0; b < tb.B; b++) y[b] = train.labels[idx[b]];
        float loss = classifier_forward(m, acts, tb.ids.data(), tb.lengths.data(), y.data(), tb.B, tb.T, rng, true);
        m.params.zero_grad();
        classifier_backward(m, acts, tb.ids.data(), y.data(), tb.B, tb.T);
        if (clip > 0) clip_grad_norm(m.params, clip);
        opt.lr = lr_at(opt.t);
        opt.step(m.params);
        meter.add(loss, acts.probs.data(), y.data(), tb.B, m.cfg.K);
        if (bar) bar->update(meter.seen, meter.progress());
    }
    return meter.stats();
}

// Mean loss and accuracy over a split, without dropout; predictions (optional) per text.
inline EpochStats evaluate(Classifier& m, const TextSplit& s, int batch, std::vector<int>* predictions = nullptr) {
    ClassifierActs acts;
    Rng unused(0);  // evaluation draws no random numbers
    std::vector<int> y(batch);
    auto forward = [&](const std::vector<int>& idx, double& loss_sum) {
        const TokenBatch tb = make_batch(s.ids, idx);
        for (int b = 0; b < tb.B; b++) y[b] = s.labels[idx[b]];
        loss_sum += (double)classifier_forward(m, acts, tb.ids.data(), tb.lengths.data(), y.data(), tb.B, tb.T, unused,
                                               false) * tb.B;
        return acts.probs.data();
    };
    return evaluate_batches(batches_in_order(s.count(), batch), s.labels, m.cfg.K, forward, predictions);
}

// ---- checkpoints: the model's configuration, vocabulary and classes decide the model on --load ----
inline std::string config_str(const ModelConfig& c) {
    std::ostringstream s;
    s << "V=" << c.V << " K=" << c.K << " C=" << c.C << " NH=" << c.NH << " F=" << c.F << " L=" << c.L
      << " Tmax=" << c.Tmax << " pos=" << (c.pos == PosKind::Learned ? "learned" : "sinusoidal")
      << " norm=" << (c.norm == NormPlace::Pre ? "pre" : "post") << " dropout=" << c.dropout;
    return s.str();
}
inline ModelConfig parse_config(const std::string& text, const std::string& where) {
    ModelConfig c;
    std::istringstream in(text);
    std::string kv;
    int fields = 0;
    while (in >> kv) {
        const size_t eq = kv.find('=');
        if (eq == std::string::npos) fail(where, "key=value fields in the model config, got '" + kv + "'");
        const std::string k = kv.substr(0, eq), v = kv.substr(eq + 1);
        auto size = [&](int& field, int lo = 1) {  // a model size: a whole number from lo to 1,000,000
            long long x = 0;
            if (!cli_values::parse_integer(v, lo, 1000000, &x))
                fail(where, "expected the model config's " + k + " to be a whole number from " + std::to_string(lo) +
                                " to 1000000, found '" + v + "'",
                     "the checkpoint is corrupt or was edited by hand");
            field = (int)x;
        };
        fields++;
        if (k == "V") size(c.V);
        else if (k == "K") size(c.K);
        else if (k == "C") size(c.C);
        else if (k == "NH") size(c.NH);
        else if (k == "F") size(c.F);
        else if (k == "L") size(c.L, 0);  // 0: the pooling-only baseline
        else if (k == "Tmax") size(c.Tmax);
        else if (k == "pos") c.pos = v == "learned" ? PosKind::Learned : PosKind::Sinusoidal;
        else if (k == "norm") c.norm = v == "pre" ? NormPlace::Pre : NormPlace::Post;
        else if (k == "dropout") {
            double p = 0;
            if (!cli_values::parse_real(v, 1.0, &p) || p < 0 || p >= 1)
                fail(where, "expected the model config's dropout to be a number in [0, 1), found '" + v + "'",
                     "the checkpoint is corrupt or was edited by hand");
            c.dropout = (float)p;
        } else fields--;
    }
    if (fields != 10) fail(where, "a chapter 06 model config of 10 fields, got '" + text + "'", "is this a chapter 06 checkpoint?");
    return c;
}

struct SavedRun {
    ModelConfig cfg;
    std::string data_flag;  // the --data it was trained on: ag_news, tweets, keywords, relations
    std::vector<std::string> class_names;
    Vocab vocab;
    int epochs_done = 0;
};

inline void save_checkpoint(const std::string& path, const Classifier& m, const Adam& opt, const Rng& rng,
                            const TextData& d, int epochs_done) {
    Checkpoint ck;
    ck.add_bytes("config", config_str(m.cfg));
    ck.add_bytes("data", d.flag);
    std::string classes;
    for (const auto& c : d.class_names) classes += c + "\n";
    ck.add_bytes("classes", classes);
    ck.add_bytes("vocab", d.vocab.serialize());
    ck.add_bytes("epochs_done", std::to_string(epochs_done));
    ck.add_params(m.params);
    ck.add_adam(opt);
    ck.add_rng(rng);
    ck.save(path);
}

// What a checkpoint says about its model (read before the model is built).
inline SavedRun read_checkpoint_header(const Checkpoint& ck) {
    SavedRun s;
    s.cfg = parse_config(ck.bytes("config"), ck.path);
    s.data_flag = ck.bytes("data");
    std::istringstream in(ck.bytes("classes"));
    for (std::string line; std::getline(in, line);) s.class_names.push_back(line);
    s.vocab = Vocab::deserialize(ck.bytes("vocab"), ck.path);
    s.epochs_done = (int)ck.integer("epochs_done", 0, kMaxEpochs);
    return s;
}

inline void restore_checkpoint(const Checkpoint& ck, Classifier& m, Adam& opt, Rng& rng) {
    ck.restore_params(m.params);
    ck.restore_adam(opt);
    ck.restore_rng(rng);
}

}  // namespace ch06
