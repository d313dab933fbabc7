// fuzz_checkpoint.cpp — checkpoint files: the binary container (Checkpoint::load, every record read
// back as a program would) and the training state every chapter resumes from (load_training_state:
// config, parameters, Adam's moments and step count, the random stream, epochs done).
#include "common/core/params.hpp"
#include "common/nn/optim.hpp"
#include "common/run/checkpoint.hpp"
#include "common/run/training_state.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace {
// A two-tensor model, the shape of a tiny chapter 00 MLP.
struct Tiny {
    attn::Tensor W, b;
    attn::ParamSet params;
    Tiny() {
        params.add(W, "W", {3, 2});
        params.add(b, "b", {2});
        params.allocate();
    }
};
const char* kConfig = "tiny W=3x2";
}  // namespace

std::vector<std::string> fuzz_seeds() {
    Tiny m;
    for (size_t i = 0; i < m.params.count(); i++) m.params.value[i] = 0.25f * (float)i;
    attn::Adam opt = attn::make_adam(m.params, 1e-3f);
    opt.t = 7;
    attn::Rng rng(3);
    std::string path = fuzz::scratch_file("", 9);
    attn::save_training_state(path, kConfig, m.params, opt, rng, 2);
    std::string state = fuzz::read_file_or_empty(path);
    attn::Checkpoint ck;
    ck.add_bytes("note", "hello");
    ck.add_tensor("empty", {0}, nullptr);
    ck.save(path);
    std::string plain = fuzz::read_file_or_empty(path);
    std::remove(path.c_str());
    return {state, plain};
}

void fuzz_one(const std::string& bytes) {
    const std::string path = fuzz::scratch_file(bytes);
    {  // the container: every record, as a tensor or as bytes
        attn::Checkpoint ck = attn::Checkpoint::load(path);
        for (const attn::Checkpoint::Record& r : ck.records) {
            if (r.dtype == attn::Checkpoint::DType::F32) {
                std::vector<float> out(attn::shape_size(r.shape));
                ck.restore_tensor(r.name, r.shape, out.data());
            } else {
                try {
                    ck.integer(r.name, 0, attn::kMaxEpochs);
                } catch (const attn::Error&) {  // most bytes records are not numbers: go on to the next
                }
            }
        }
    }
    Tiny m;  // the training state, into a model it may or may not fit
    attn::Adam opt = attn::make_adam(m.params, 1e-3f);
    attn::Rng rng(1);
    attn::load_training_state(path, kConfig, "fuzz", m.params, opt, rng);
}
