// translation_checkpoint.hpp — a translation model's checkpoint: its kind and configuration (as text),
// weights, the vocabularies (which decide the token ids), and what it takes to continue training
// exactly: Adam's moments, the random stream and the epochs done (common/run/checkpoint.hpp).
//
//   --save: save_translation_checkpoint(path, kind, config_text, net.params, opt, rng, d, epochs)
//   --load: auto ck = checkpoint_to_load(s, kind, d);   (the data takes the checkpoint's vocabularies)
//           build the model from ck->config, ck->ck.restore_params(net.params); resume_training(ck, ...)
#pragma once
#include <cstdio>
#include <optional>
#include <string>

#include "chapters/01_seq2seq/seq2seq_data.hpp"
#include "chapters/01_seq2seq/translation_training.hpp"
#include "common/core/error.hpp"
#include "common/core/params.hpp"
#include "common/nn/optim.hpp"
#include "common/run/checkpoint.hpp"
#include "common/run/training_state.hpp"  // kMaxEpochs

namespace ch01 {

inline void save_translation_checkpoint(const std::string& path, const std::string& kind, const std::string& config,
                                        const ParamSet& params, const Adam& opt, const Rng& rng,
                                        const Seq2SeqData& d, int epochs_done) {
    Checkpoint ck;
    ck.add_bytes("model", kind);
    ck.add_bytes("config", config);
    ck.add_bytes("src_vocab", d.src_vocab.serialize());
    ck.add_bytes("tgt_vocab", d.tgt_vocab.serialize());
    ck.add_bytes("epochs", std::to_string(epochs_done));
    ck.add_params(params);
    ck.add_adam(opt);
    ck.add_rng(rng);
    ck.save(path);
}

// A checkpoint of model `kind` (another chapter's, or another --score / --attention variant's, is
// refused): its config text, vocabularies and epochs; the weights are restored by the caller into the
// model built from the config.
struct TranslationCheckpoint {
    Checkpoint ck;
    std::string config;
    Vocab src_vocab, tgt_vocab;
    int epochs = 0;
};
inline TranslationCheckpoint load_translation_checkpoint(const std::string& path, const std::string& kind) {
    TranslationCheckpoint t;
    t.ck = Checkpoint::load(path);
    std::string found = t.ck.has("model") ? t.ck.bytes("model") : "(none)";
    if (found != kind)
        fail(path, "a checkpoint of model '" + kind + "', found '" + found + "'",
             "a checkpoint of another chapter (or --score / --attention variant) cannot be loaded here");
    t.config = t.ck.bytes("config");
    t.src_vocab = Vocab::deserialize(t.ck.bytes("src_vocab"), path + ": src_vocab");
    t.tgt_vocab = Vocab::deserialize(t.ck.bytes("tgt_vocab"), path + ": tgt_vocab");
    t.epochs = (int)t.ck.integer("epochs", 0, kMaxEpochs);
    return t;
}

// The checkpoint's vocabularies decide the ids: the data is encoded again with them (unknown -> <unk>).
inline void adopt_vocabularies(Seq2SeqData& d, const TranslationCheckpoint& ck) {
    d.src_vocab = ck.src_vocab, d.tgt_vocab = ck.tgt_vocab;
    encode_pairs(d);
}

// --load: the checkpoint of model `kind`, its vocabularies adopted by d; nothing for a new model.
inline std::optional<TranslationCheckpoint> checkpoint_to_load(const TranslationSettings& s, const std::string& kind,
                                                               Seq2SeqData& d) {
    if (s.f.load.empty()) return std::nullopt;
    TranslationCheckpoint ck = load_translation_checkpoint(s.f.load, kind);
    adopt_vocabularies(d, ck);
    return ck;
}

// After --load: the epochs already done, and — when this run trains further — Adam's moments and the
// random stream, so the run continues exactly where the saved one stopped.
// Returns the log this run continues (a new one without a checkpoint).
inline TrainingLog resume_training(const std::optional<TranslationCheckpoint>& ck, Adam& opt, Rng& rng,
                                   const TranslationSettings& s) {
    TrainingLog log;
    if (!ck) return log;
    log.epochs_done = ck->epochs;
    const bool more = log.epochs_done < s.last_epoch();
    std::printf("\nloaded %s (%d epochs trained)%s\n", s.f.load.c_str(), log.epochs_done,
                more ? "; continuing training" : "; evaluating it (--epochs is the total)");
    if (more) ck->ck.restore_adam(opt), ck->ck.restore_rng(rng);
    return log;
}

// --save after training (when this run trained at all).
inline void save_if_asked(const TranslationSettings& s, const std::string& kind, const std::string& config,
                          const ParamSet& params, const Adam& opt, const Rng& rng, const Seq2SeqData& d,
                          const TrainingLog& log) {
    if (s.f.save.empty() || log.train_loss.empty()) return;
    save_translation_checkpoint(s.f.save, kind, config, params, opt, rng, d, log.epochs_done);
    std::printf("saved %s (after epoch %d)\n", s.f.save.c_str(), log.epochs_done);
}

}  // namespace ch01
