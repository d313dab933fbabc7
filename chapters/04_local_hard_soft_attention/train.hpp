// train.hpp — chapter 04's training step and epochs (main.cpp and the tests use them).
//
// One step, in plain calls: a batch → aligned_forward (teacher forcing; hard attention draws its
// positions i_t ~ π_t from the model's own sampling stream) → zero the gradients → aligned_backward
// (the cross-entropy's gradient, and REINFORCE's for hard attention at weight 1) → clip the global
// gradient norm → Adam's step. Everything around it (batches, the running loss, the epochs with their
// validation: run_epochs) is chapter 01's translation_training.hpp.
#pragma once
#include <vector>

#include "chapters/01_seq2seq/translation_training.hpp"
#include "chapters/04_local_hard_soft_attention/aligned_luong.hpp"
#include "common/nn/optim.hpp"

namespace ch04 {

// One pass over the train split in batches of similar length, in a random order drawn from rng.
inline EpochStats train_epoch(AlignedLuong& net, AlignedActs& acts, Adam& opt, const Seq2SeqData& d, int batch,
                              float clip, Rng& rng, ProgressBar* bar = nullptr) {
    EpochMeter meter(bar);
    for (const std::vector<int>& idx : make_batches(d, d.split.train, batch, rng, true)) {
        Seq2SeqBatch b = make_seq2seq_batch(d.src_ids, d.tgt_ids, idx);
        float loss = aligned_forward(net, acts, b, &net.sampling);          // forward (hard: sampled positions)
        net.net.params.zero_grad();                                         // zero grads
        aligned_backward(net, acts, b, 1.0f);                               // backward (hard: + REINFORCE)
        double norm = clip > 0 ? clip_grad_norm(net.net.params, clip) : 0;  // clip
        opt.step(net.net.params);                                           // step
        meter.add(loss, b, norm);
    }
    return meter.stats();
}

}  // namespace ch04
