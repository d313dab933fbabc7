// dropout.hpp — inverted dropout (Srivastava et al. 2014).
//
// Training: each element is kept with probability 1 − p and scaled by 1/(1 − p), else zeroed:
//   mask_i ~ Bernoulli(1 − p),   out_i = mask_i · x_i / (1 − p)
// so E[out_i] = x_i and evaluation needs no rescaling: in eval mode (training == false), or
// with p == 0, out is a copy of inp. p == 1 drops everything (out = 0).
// The mask is the run's one Rng's stream, element i its (i+1)-th draw: the same seed gives the same
// mask on any number of threads. (The threads draw their ranges of it at once, each from a copy of
// the generator moved on to its range's start: Rng::jump.)
#pragma once
#include <cstdint>

#include "common/core/rng.hpp"

namespace attn {

// inp, out, mask are (n); 0 ≤ p ≤ 1 (else an attn::Error). mask receives 1 = kept, 0 = dropped
// (all 1 in eval mode or when p == 0; mask may be nullptr only then). No random number is
// drawn in eval mode or when p == 0.
void dropout_forward(float* out, uint8_t* mask, const float* inp, int n, float p, Rng& rng, bool training);
// dinp += mask · dout / (1 − p). Pass the p used in TRAINING mode; to differentiate an
// eval-mode forward (the identity), pass p = 0. accumulate = false: dinp = that instead of += (dinp
// need not be cleared first; the same bits as adding into zeros).
void dropout_backward(float* dinp, const float* dout, const uint8_t* mask, int n, float p,
                      bool accumulate = true);

}  // namespace attn
