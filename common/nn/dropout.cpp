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
    // The mask is the Rng's stream, element i the (i+1)-th draw, whoever draws it: each thread's range
    // [i0, i1) starts from a copy of the generator moved on by i0 draws (Rng::jump), and the range that
    // ends at n leaves the state every draw would have. So the same mask, and the same generator after,
    // on any number of threads. (A local copy of the generator: through `rng` its state could be changed
    // by any write through `mask`, as bytes may alias anything, and it was stored and reloaded at every
    // element, 5× slower. Drawn on one thread, the mask took 2.5 % of chapter 00's two-thread step while
    // the other core waited.)
    const Rng start = rng;
    Rng end = rng;
    Rng* last = &end;
    parallel_for(n, [=](int i0, int i1) {
        Rng at = start;
        at.jump((uint64_t)i0);
        // Locals that no pointer can reach: the generator's copy (its address not given to a call) and
        // the mask's address and p (the lambda's own copies are in memory, where a byte stored through
        // mask might land, so they were loaded again after every store)
        Rng r = at;
        uint8_t* const keep = mask;
        const float drop = p;
        for (int i = i0; i < i1; i++) keep[i] = r.uniform() >= drop ? 1 : 0;
        for (int i = i0; i < i1; i++) out[i] = keep_or_zero(keep[i], inp[i] * scale);  // mask ? x·s : 0
        if (i1 == n) *last = r;
    }, kChunk);
    rng = end;
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
