// train.hpp — chapter 07's training step, its learning-rate schedule and its epochs.
//
// One step, in plain calls: a batch → the schedule's lr for this step → transformer_forward (teacher
// forcing, dropout on, the label-smoothed loss) → zero the gradients → transformer_backward → clip
// the global gradient norm → Adam's step. Everything around it (batches, the running loss, the epochs
// with their validation: run_epochs) is chapter 01's translation_training.hpp.
#pragma once
#include <string>
#include <vector>

#include "chapters/01_seq2seq/translation_training.hpp"
#include "chapters/07_transformer/transformer.hpp"
#include "common/nn/optim.hpp"
#include "common/nn/schedule.hpp"

namespace ch07 {
using namespace ch01;

// Why a schedule at all: Adam's early steps are noisy, and a transformer pushed hard at the start can
// settle into a bad region (the paper warms up for 4,000 steps). Two shapes, chosen with --schedule:
//   warmup-cosine  lr rises linearly to --lr over --warmup steps, then decays to 0 at the last step;
//   noam           the paper's: lr = factor · C^−0.5 · min(n^−0.5, n · warmup^−1.5), n = step + 1,
//                  with factor chosen so that the peak (at n = warmup) is --lr.
enum class ScheduleKind { WarmupCosine, Noam };

struct LrSchedule {
    ScheduleKind kind = ScheduleKind::WarmupCosine;
    WarmupCosine cosine;
    Noam noam;
    float lr(long step) const { return kind == ScheduleKind::Noam ? noam.lr(step) : cosine.lr(step); }
};

// peak_lr at step warmup-1 (n = warmup); `total` optimiser steps in the whole run.
inline LrSchedule make_schedule(ScheduleKind kind, float peak_lr, long warmup, long total, int C) {
    LrSchedule s;
    s.kind = kind;
    s.cosine = WarmupCosine{peak_lr, 0.0f, warmup, std::max(total, warmup + 1)};
    s.noam = Noam{C, warmup, 1.0f};
    s.noam.factor = peak_lr / s.noam.lr(warmup - 1);  // the peak is at n = warmup
    return s;
}

// The paper's Adam: β2 = 0.98 and ε = 1e-9 (the default 0.999 reacts slowly to the shifting gradients
// of the first thousand steps).
inline Adam make_transformer_adam(const ParamSet& params, float lr) {
    Adam opt;
    opt.lr = lr, opt.beta1 = 0.9f, opt.beta2 = 0.98f, opt.eps = 1e-9f;
    opt.init(params);
    return opt;
}

// One pass over the train split in batches of similar length, in a random order drawn from rng.
inline EpochStats train_epoch(Transformer& net, TransformerActs& acts, Adam& opt, const LrSchedule& sched,
                              const Seq2SeqData& d, int batch, float clip, Rng& rng, ProgressBar* bar = nullptr) {
    EpochMeter meter(bar);
    for (const std::vector<int>& idx : make_batches(d, d.split.train, batch, rng, true)) {
        Seq2SeqBatch b = make_seq2seq_batch(d.src_ids, d.tgt_ids, idx);
        opt.lr = sched.lr(opt.t);                                       // this step's lr
        float loss = transformer_forward(net, acts, b, rng, true);       // forward, teacher forcing, dropout
        net.params.zero_grad();                                         // zero grads
        transformer_backward(net, acts, b);                             // backward
        double norm = clip > 0 ? clip_grad_norm(net.params, clip) : 0;  // clip
        opt.step(net.params);                                           // step
        meter.add(loss, b, norm);
    }
    return meter.stats();
}

}  // namespace ch07
