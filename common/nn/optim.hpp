// optim.hpp — optimisers (SGD with momentum, Adam, AdamW) and gradient clipping.
//
//   SGD sgd = make_sgd(model.params, 0.1f, 0.9f);     // state sized here, once
//   Adam opt = make_adam(model.params, 1e-3f);        // or: Adam opt; opt.lr = ...; opt.init(params);
//   ...
//   model.params.zero_grad();  forward; backward;
//   clip_grad_norm(model.params, 1.0f);               // optional; returns the norm before clipping
//   opt.lr = sched.lr(step);                          // schedule.hpp
//   opt.step(model.params);
//
// Both optimisers walk the flat buffers ParamSet::value / ParamSet::grad, so they do not need to
// know the model. Their state (velocity; m, v, t) has the same layout as ParamSet::value and is
// public, so checkpoints can save and restore it (checkpoint.hpp).
//
// Why an explicit init(): state is sized once, up front, from the parameter set — never lazily on
// the first step() (STYLE.md: no lazy allocation on first call). step() on an optimiser whose state
// does not match the ParamSet is an error that says to call init().
//
// The update rules are PyTorch's (torch.optim.SGD / Adam / AdamW, torch 1.13 single-tensor path),
// and tests/common/test_optim.cpp compares against values PyTorch computed. Every update is
// elementwise, so splitting the buffer among threads gives bit-identical results on any count.
#pragma once
#include "common/core/buffer.hpp"
#include "common/core/params.hpp"

namespace attn {

// SGD with (heavy-ball) momentum and L2 weight decay, as torch.optim.SGD with dampening=0,
// nesterov=False:
//   g = grad + weight_decay * p
//   velocity = momentum * velocity + g        (velocity starts at 0, so the first step is velocity = g)
//   p -= lr * velocity                        (with momentum == 0: p -= lr * g, no state used)
struct SGD {
    float lr = 0.01f, momentum = 0.0f, weight_decay = 0.0f;
    Buf velocity;  // same layout as ParamSet::value

    void init(const ParamSet& ps);  // sizes velocity to the parameter buffer, zeroed
    void step(ParamSet& ps);
};
SGD make_sgd(const ParamSet& ps, float lr, float momentum = 0.0f, float weight_decay = 0.0f);

// Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019), as torch.optim.Adam / AdamW:
//   t += 1
//   Adam  (decoupled=false): g = grad + weight_decay * p          (L2 penalty folded into the gradient)
//   AdamW (decoupled=true):  g = grad;  p *= 1 - lr * weight_decay  (decay applied to the weight directly)
//   m = beta1 * m + (1 - beta1) * g
//   v = beta2 * v + (1 - beta2) * g^2
//   p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
// The bias corrections 1 - beta^t undo the pull of m, v towards their zero start in early steps.
struct Adam {
    float lr = 1e-3f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, weight_decay = 0.0f;
    bool decoupled = false;  // true = AdamW
    long t = 0;              // steps taken so far
    Buf m, v;                // first and second moment estimates, same layout as ParamSet::value

    void init(const ParamSet& ps);  // sizes m and v to the parameter buffer, zeroed; t = 0
    void step(ParamSet& ps);
};
Adam make_adam(const ParamSet& ps, float lr);
Adam make_adamw(const ParamSet& ps, float lr, float weight_decay);

// Scale all gradients together so that their global L2 norm is at most max_norm, as
// torch.nn.utils.clip_grad_norm_: coef = max_norm / (norm + 1e-6), applied only when coef < 1.
// Returns the norm BEFORE clipping (sum of squares in double, summed in a fixed block order, so the
// value is the same for any thread count). A non-finite norm (inf/NaN gradients) is returned as it
// is and the gradients are left untouched, so the caller can see it and skip the step.
float clip_grad_norm(ParamSet& ps, float max_norm);

}  // namespace attn
