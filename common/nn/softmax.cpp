// softmax.cpp — row-wise softmax, masked softmax and log-softmax (equations in softmax.hpp).
#include "common/nn/softmax.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "common/core/error.hpp"
#include "common/core/reduce.hpp"
#include "common/core/vmath.hpp"  // vexp, vtanh, vsigmoid on VL floats
#include "common/core/thread_pool.hpp"

namespace attn {

namespace {
// Split rows among threads only when there is enough work: each thread gets at least
// ~kMinWork elements (a hand-off costs a few µs, a row of exp() a few ns per element).
constexpr int kMinWork = 1 << 14;
int min_rows(int cols) { return std::max(1, kMinWork / std::max(cols, 1)); }

// Softmax of G rows (G consecutive rows of `cols` floats from x, into out, which may be x itself), each
// over its entries whose score is not -INFINITY; a row with every score -INFINITY becomes zeros. A
// row's sum (in double, in order) is a chain of dependent additions, each waiting for the last (about
// 4 cycles): G rows run their chains side by side, each in its own order, so every row gets the
// numbers it gets alone (G = 1), with the adder busy instead of waiting. (perf put the row-by-row
// softmax at 6.6 % of chapter 08's hybrid ViT step, one thread; its step then took 0.974 of its time.)
template <int G>
void softmax_rows(float* out, const float* x, int cols) {
    float m[G];
    for (int g = 0; g < G; g++) {
        const float* xg = x + (size_t)g * cols;
        float* og = out + (size_t)g * cols;
        m[g] = max_lanes(xg, cols);  // m = max_j x_j
        if (m[g] == -INFINITY) {     // nothing kept: exp(−inf − (−inf)) would be exp(NaN)
            for (int j = 0; j < cols; j++) og[j] = 0.0f;
            continue;
        }
        // exp(−inf) = 0 exactly for masked entries. The calls, then the sums: a sum carried through the
        // loop that calls exp() is stored and reloaded around every call (cross_entropy.cpp).
        for (int j = 0; j < cols; j += vm::VL) {  // VL at a time (vmath.hpp); e^−∞ = 0 there too
            const int n = std::min(vm::VL, cols - j);
            vm::store_n(og + j, vm::vexp(vm::load_n(xg + j, n) - m[g]), n);
        }
    }
    double sum[G] = {};  // summed in double: a long row of small terms loses no mass
    for (int j = 0; j < cols; j++)
        for (int g = 0; g < G; g++) sum[g] += out[(size_t)g * cols + j];
    for (int g = 0; g < G; g++) {
        if (m[g] == -INFINITY) continue;
        const float inv = (float)(1.0 / sum[g]);
        float* og = out + (size_t)g * cols;
        for (int j = 0; j < cols; j++) og[j] *= inv;
    }
}
// rows [r0, r1): four at a time, then one by one
constexpr int kRowsTogether = 4;
void softmax_range(float* out, const float* x, int r0, int r1, int cols) {
    int r = r0;
    for (; r + kRowsTogether <= r1; r += kRowsTogether)
        softmax_rows<kRowsTogether>(out + (size_t)r * cols, x + (size_t)r * cols, cols);
    for (; r < r1; r++) softmax_rows<1>(out + (size_t)r * cols, x + (size_t)r * cols, cols);
}

// dinp[j] += out[j] (dout[j] − Σ_k dout[k] out[k])  — one row
void softmax_backward_row(float* dinp, const float* dout, const float* out, int cols) {
    double dot = 0.0;
    for (int k = 0; k < cols; k++) dot += (double)dout[k] * out[k];
    for (int j = 0; j < cols; j++) dinp[j] += out[j] * (dout[j] - (float)dot);
}
}  // namespace

// ---- softmax --------------------------------------------------------------------------
// inp, out are (rows, cols)
void softmax_forward(float* out, const float* inp, int rows, int cols) {
    parallel_for(rows, [&](int r0, int r1) { softmax_range(out, inp, r0, r1, cols); }, min_rows(cols));
}
// forward: out_j = e^{x_j} / Σ_k e^{x_k}   =>   ∂out_k/∂x_j = out_k (δ_kj − out_j)
//   dx_j = Σ_k dout_k out_k (δ_kj − out_j) = out_j (dout_j − Σ_k dout_k out_k)
void softmax_backward(float* dinp, const float* dout, const float* out, int rows, int cols) {
    parallel_for(rows, [&](int r0, int r1) {
        for (int r = r0; r < r1; r++) {
            size_t o = (size_t)r * cols;
            softmax_backward_row(dinp + o, dout + o, out + o, cols);
        }
    }, min_rows(cols));
}

// ---- masked softmax (attention weights over a padded or causal sequence) -----------------
// inp, out, mask are (rows, cols); valid_len is (rows)
//
// Why -INFINITY for a masked score, and not a "large negative" sentinel such as -1e4 or -1e9:
// exp(-inf − m) is exactly 0, so a masked position gets exactly zero weight whatever the other
// scores are. A finite sentinel only works while the real scores stay far above it (they may
// not: unscaled dot products, or a row whose every score is itself very negative), and a row
// that is masked everywhere would then silently become a uniform average over padding.
// The one case -inf needs care for is a row with nothing kept (max = -inf, and -inf − (-inf)
// is NaN); softmax_row detects it and writes zeros.
void masked_softmax_forward(float* out, const float* inp, const uint8_t* mask, const int* valid_len, int rows,
                            int cols) {
    if (valid_len)  // check before the threads start: an exception must not escape a worker
        for (int r = 0; r < rows; r++)
            if (valid_len[r] < 0 || valid_len[r] > cols)
                fail("masked_softmax_forward",
                     "expected 0 <= valid_len[" + std::to_string(r) + "] <= " + std::to_string(cols) + ", found " +
                         std::to_string(valid_len[r]),
                     "valid_len counts the real (non-padding) keys of each row");
    parallel_for(rows, [&](int r0, int r1) {
        for (int r = r0; r < r1; r++) {
            const float* x = inp + (size_t)r * cols;
            float* o = out + (size_t)r * cols;
            int len = valid_len ? valid_len[r] : cols;
            const uint8_t* mk = mask ? mask + (size_t)r * cols : nullptr;
            // pass 1: the scores with masked positions set to -inf (written into out, then normalised in place)
            for (int j = 0; j < cols; j++) o[j] = (j < len && (!mk || mk[j])) ? x[j] : -INFINITY;
        }
        softmax_range(out, out, r0, r1, cols);  // pass 2: softmax of those rows; a fully masked row becomes zeros
    }, min_rows(cols));
}
// forward: out = softmax(x with masked entries = -inf). A masked entry is a constant (-inf),
// so its gradient is 0, and the softmax formula gives exactly that: out_j = 0 there makes
// dx_j = out_j (dout_j − Σ_k dout_k out_k) = 0. A fully masked row is all zeros (a constant),
// and gets zero gradient the same way.
void masked_softmax_backward(float* dinp, const float* dout, const float* out, int rows, int cols) {
    softmax_backward(dinp, dout, out, rows, cols);
}

// ---- log-softmax ------------------------------------------------------------------------
// inp, out are (rows, cols)
void log_softmax_forward(float* out, const float* inp, int rows, int cols) {
    parallel_for(rows, [&](int r0, int r1) {
        for (int r = r0; r < r1; r++) {
            const float* x = inp + (size_t)r * cols;
            float* o = out + (size_t)r * cols;
            const float m = max_lanes(x, cols);
            double sum = 0.0;
            for (int j = 0; j < cols; j++) sum += std::exp((double)(x[j] - m));
            // log Σ_k e^{x_k} = m + log Σ_k e^{x_k − m}: never log(0), never exp(overflow)
            float lse = m + (float)std::log(sum);
            for (int j = 0; j < cols; j++) o[j] = x[j] - lse;
        }
    }, min_rows(cols));
}
// forward: out_j = x_j − log Σ_k e^{x_k}   =>   ∂out_k/∂x_j = δ_kj − softmax_j = δ_kj − e^{out_j}
//   dx_j = Σ_k dout_k (δ_kj − e^{out_j}) = dout_j − e^{out_j} Σ_k dout_k
void log_softmax_backward(float* dinp, const float* dout, const float* out, int rows, int cols) {
    parallel_for(rows, [&](int r0, int r1) {
        for (int r = r0; r < r1; r++) {
            size_t o = (size_t)r * cols;
            double dsum = 0.0;
            for (int k = 0; k < cols; k++) dsum += dout[o + k];
            for (int j = 0; j < cols; j++) dinp[o + j] += dout[o + j] - std::exp(out[o + j]) * (float)dsum;
        }
    }, min_rows(cols));
}

// ---- argmax ---------------------------------------------------------------------------
int argmax_row(const float* x, int n) {
    int best = 0;
    for (int j = 1; j < n; j++)
        if (x[j] > x[best]) best = j;
    return best;
}

}  // namespace attn
