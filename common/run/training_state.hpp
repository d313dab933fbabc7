// training_state.hpp — a checkpoint to continue a run exactly where it stopped: the model's
// configuration (as text, to refuse a checkpoint of another model), its weights, Adam's moments and
// step count, the random stream (shuffles, dropout masks, sampled distortions) and the epochs done.
// Resuming from it gives bit-identical results to never having stopped. Chapters 00, 09 and 10 use it;
// the translation chapters add their vocabularies (chapters/01_seq2seq/translation_driver.hpp).
#pragma once
#include <string>

#include "common/nn/optim.hpp"
#include "common/core/params.hpp"
#include "common/core/rng.hpp"

namespace attn {

// The most epochs a checkpoint may say it has done (more is a corrupt or hand-made file).
constexpr long kMaxEpochs = 1000000;

void save_training_state(const std::string& path, const std::string& config, const ParamSet& params,
                         const Adam& opt, const Rng& rng, int epochs_done);

// Returns the number of epochs done. A checkpoint written with another `config` is an error (with
// `hint`, e.g. which flags must match) and leaves params, opt and rng untouched.
int load_training_state(const std::string& path, const std::string& config, const std::string& hint,
                        ParamSet& params, Adam& opt, Rng& rng);

}  // namespace attn
