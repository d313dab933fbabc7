// train.hpp — chapter 03's training step and epochs (main.cpp and the tests use them).
//
// One step, in plain calls: a batch → luong_forward (teacher forcing, the mean loss per target
// token) → zero the gradients → luong_backward (adds ∂L/∂θ into net.params.grad) → clip the global
// gradient norm → Adam's step. Everything around it (batches, the running loss, the epochs with their
// validation: run_epochs) is chapter 01's translation_training.hpp.
#pragma once
#include <vector>

#include "chapters/01_seq2seq/translation_training.hpp"
#include "chapters/03_multiplicative_attention/luong_seq2seq.hpp"
#include "common/nn/optim.hpp"

namespace ch03 {

// One pass over the train split in batches of similar length, in a random order drawn from rng.
inline EpochStats train_epoch(Luong& net, LuongActs& acts, Adam& opt, const Seq2SeqData& d, int batch, float clip,
                              Rng& rng, ProgressBar* bar = nullptr) {
    EpochMeter meter(bar);
    for (const std::vector<int>& idx : make_batches(d, d.split.train, batch, rng, true)) {
        Seq2SeqBatch b = make_seq2seq_batch(d.src_ids, d.tgt_ids, idx);
        float loss = luong_forward(net, acts, b);                       // forward, teacher forcing
        net.params.zero_grad();                                         // zero grads
        luong_backward(net, acts, b);                                   // backward
        double norm = clip > 0 ? clip_grad_norm(net.params, clip) : 0;  // clip
        opt.step(net.params);                                           // step
        meter.add(loss, b, norm);
    }
    return meter.stats();
}

}  // namespace ch03
