// dropout.cpp — inverted dropout (equations in dropout.hpp).
#include "common/nn/dropout.hpp"

#include <string>

#include "common/core/error.hpp"

namespace attn {

// inp, out, mask are (n)
void dropout_forward(float* out, uint8_t* mask, const float* inp, int n, float p, Rng& rng, bool training) {
    if (!(p >= 0.0f && p <= 1.0f))  // written this way so a NaN p fails too
        fail("dropout_forward", "expected a drop probability p in [0, 1], found " + std::to_string(p),
             "p is the fraction of units DROPPED, e.g. 0.1");
    if (!training || p == 0.0f) {  // identity: keep everything, draw nothing
        for (int i = 0; i < n; i++) out[i] = inp[i];
        if (mask)
            for (int i = 0; i < n; i++) mask[i] = 1;
        return;
    }
    ATTN_CHECK(mask != nullptr, "dropout_forward", "a mask buffer in training mode");
    // keep with probability 1 − p: uniform() is in [0, 1), so P(u ≥ p) = 1 − p; p = 1 keeps nothing
    const float scale = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
    for (int i = 0; i < n; i++) {  // serial on purpose: the Rng stream fixes the mask
        mask[i] = rng.uniform() >= p ? 1 : 0;
        out[i] = mask[i] ? inp[i] * scale : 0.0f;
    }
}
// forward: out_i = mask_i · x_i / (1 − p)   =>   dx_i = mask_i · dout_i / (1 − p)
void dropout_backward(float* dinp, const float* dout, const uint8_t* mask, int n, float p) {
    const float scale = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
    for (int i = 0; i < n; i++)
        if (mask[i]) dinp[i] += dout[i] * scale;
}

}  // namespace attn
