// schedule.hpp — learning-rate schedules: small structs, each a formula of the step number.
//
//   Cosine sched{/*base_lr*/ 1e-3f, /*min_lr*/ 1e-5f, /*total*/ steps};
//   for (long step = 0; step < steps; step++) { opt.lr = sched.lr(step); ...; opt.step(params); }
//
// Convention for every schedule: `step` counts the optimiser steps already taken, so the first
// update uses lr(0). Use the epoch number instead of the step when a schedule should move per epoch
// (StepLR is usually used that way). Schedules hold no state except ReduceOnPlateau, which reacts
// to validation metrics rather than to a clock.
#pragma once

namespace attn {

// Multiply by gamma every `every` steps (torch.optim.lr_scheduler.StepLR):
//   lr(s) = base_lr * gamma^floor(s / every)
struct StepLR {
    float base_lr = 1e-3f;
    long every = 10;
    float gamma = 0.1f;
    float lr(long step) const;
};

// Cosine annealing from base_lr to min_lr over `total` steps, then flat at min_lr
// (torch CosineAnnealingLR's closed form, Loshchilov & Hutter 2017 without restarts):
//   lr(s) = min_lr + (base_lr - min_lr) * (1 + cos(pi * min(s, total) / total)) / 2
struct Cosine {
    float base_lr = 1e-3f, min_lr = 0.0f;
    long total = 1000;
    float lr(long step) const;
};

// Linear warm-up in front of any schedule: scales the wrapped schedule's value by (s + 1) / warmup
// during the first `warmup` steps, so the first step uses lr/warmup and step warmup-1 the full lr.
//   Warmup wu{500};  opt.lr = wu.lr(step, sched.lr(step));
// Why warm up: Adam's second-moment estimate is noisy in the first steps, and large early updates
// can push a transformer into a bad region it never leaves (Vaswani et al. 2017, Liu et al. 2020).
struct Warmup {
    long warmup = 0;
    float lr(long step, float scheduled_lr) const;
};

// Linear warm-up to base_lr over `warmup` steps, then cosine decay to min_lr at step `total`:
//   s < warmup:  lr = base_lr * (s + 1) / warmup
//   otherwise:   lr = min_lr + (base_lr - min_lr) * (1 + cos(pi * p)) / 2,
//                p = min(1, (s - warmup) / (total - warmup))
struct WarmupCosine {
    float base_lr = 1e-3f, min_lr = 0.0f;
    long warmup = 100, total = 1000;
    float lr(long step) const;
};

// The transformer's schedule ("Noam", Vaswani et al. 2017, section 5.3), with n = s + 1:
//   lr = factor * d_model^-0.5 * min(n^-0.5, n * warmup^-1.5)
// It rises linearly for `warmup` steps, peaks at factor / sqrt(d_model * warmup), then decays as
// 1/sqrt(n). Use it with Adam(beta1=0.9, beta2=0.98, eps=1e-9) as in the paper.
struct Noam {
    int d_model = 512;
    long warmup = 4000;
    float factor = 1.0f;
    float lr(long step) const;
};

// Reduce the learning rate when a validation metric stops improving
// (torch.optim.lr_scheduler.ReduceLROnPlateau, threshold_mode='rel', no cooldown):
//   better:  mode Min: metric < best * (1 - threshold);  mode Max: metric > best * (1 + threshold)
//   after more than `patience` observations in a row that are not better:
//            lr = max(lr * factor, min_lr), and the count restarts.
// Call observe() once per evaluation; it returns true when it lowered lr. Read `lr` afterwards.
// All state is public (lr, best, bad) so a checkpoint can store it.
struct ReduceOnPlateau {
    enum Mode { Min, Max };
    float lr = 1e-3f;
    Mode mode = Min;
    float factor = 0.1f;
    int patience = 10;
    float min_lr = 0.0f;
    float threshold = 1e-4f;
    // state
    float best = 0.0f;
    bool has_best = false;  // false until the first observe(), which sets best to +-INFINITY
    int bad = 0;            // observations since the last improvement

    bool observe(float metric);
};

}  // namespace attn
