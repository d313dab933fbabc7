#include "common/run/training_state.hpp"

#include "common/run/checkpoint.hpp"
#include "common/core/error.hpp"

namespace attn {

void save_training_state(const std::string& path, const std::string& config, const ParamSet& params,
                         const Adam& opt, const Rng& rng, int epochs_done) {
    Checkpoint ck;
    ck.add_bytes("config", config);
    ck.add_params(params);
    ck.add_adam(opt);
    ck.add_rng(rng);
    ck.add_bytes("epoch", std::to_string(epochs_done));
    ck.save(path);
}

int load_training_state(const std::string& path, const std::string& config, const std::string& hint,
                        ParamSet& params, Adam& opt, Rng& rng) {
    Checkpoint ck = Checkpoint::load(path);
    if (!ck.has("config") || ck.bytes("config") != config)
        fail(path, "a checkpoint of this model configuration (" + config + "), found '" +
                       (ck.has("config") ? ck.bytes("config") : std::string("(none)")) + "'",
             hint);
    const int epochs_done = (int)ck.integer("epoch", 0, kMaxEpochs);  // checked before anything is changed
    ck.restore_params(params);
    ck.restore_adam(opt);
    ck.restore_rng(rng);
    return epochs_done;
}

}  // namespace attn
