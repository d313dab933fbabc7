// dropout.cpp — inverted dropout (equations in dropout.hpp).
#include "common/nn/dropout.hpp"

#include <string>

#include "common/core/error.hpp"
#include "common/core/select.hpp"  // keep_or_zero: mask ? v : 0 in vectors on any CPU
#include "common/core/thread_pool.hpp"

namespace attn {

static const int kChunk = 16384;  // elements per thread before splitting is worth it

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
    // the mask serially, on purpose: the Rng stream fixes it; then the values, on every thread.
    // (The generator is drawn from as a local copy: through `rng` its state could be changed by any
    // write through `mask` — bytes may alias anything — so it was stored and reloaded at every
    // element, 5× slower. The same draws in the same order: the same mask and the same state after.)
    Rng r = rng;
    for (int i = 0; i < n; i++) mask[i] = r.uniform() >= p ? 1 : 0;
    rng = r;
    parallel_for(n, [=](int i0, int i1) {
        for (int i = i0; i < i1; i++) out[i] = keep_or_zero(mask[i], inp[i] * scale);  // mask ? x·s : 0
    }, kChunk);
}
// forward: out_i = mask_i · x_i / (1 − p)   =>   dx_i = mask_i · dout_i / (1 − p)
void dropout_backward(float* dinp, const float* dout, const uint8_t* mask, int n, float p, bool accumulate) {
    const float scale = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
    parallel_for(n, [=](int i0, int i1) {
        if (accumulate)
            for (int i = i0; i < i1; i++) dinp[i] += keep_or_zero(mask[i], dout[i] * scale);
        else  // 0 + g: what += into a cleared buffer gives
            for (int i = i0; i < i1; i++) dinp[i] = 0.0f + keep_or_zero(mask[i], dout[i] * scale);
    }, kChunk);
}

}  // namespace attn
