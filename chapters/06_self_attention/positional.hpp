// positional.hpp — where a token is. Attention itself is blind to order: permute the keys and the
// values together and every output stays the same. So each token's vector gets its position added.
//
// Sinusoidal (Vaswani et al. 2017, §3.5), fixed, any length:
//   PE[t, 2i]   = sin(t / 10000^(2i/C))
//   PE[t, 2i+1] = cos(t / 10000^(2i/C))
// Each pair of columns is a clock of its own period (2π … 2π·10000); PE[t+k] is a rotation of PE[t]
// by an angle that depends only on k, so "the token k places back" is a linear function of the code.
//
// Learned (BERT, GPT, ViT): a (Tmax, C) table of parameters, one row per position, trained like the
// word embeddings; it knows nothing about positions it never saw (t ≥ Tmax is an error).
//
//   x[b,t,:] += P[t,:]          (either table)        backward: dx = dout;  dP[t,:] += Σ_b dout[b,t,:]
//
// Shapes: B batch, T length, C width, Tmax table rows.
#pragma once
#include <cmath>

#include "common/core/error.hpp"
#include "common/core/thread_pool.hpp"

namespace ch06 {
using namespace attn;

enum class PosKind { Sinusoidal, Learned };

// table (Tmax, C), C even or odd (the last odd column gets a sine).
inline void sinusoidal_table(float* table, int Tmax, int C) {
    // BEGIN SOLUTION
    for (int t = 0; t < Tmax; t++)
        for (int c = 0; c < C; c++) {
            const int i2 = c - c % 2;  // 2i
            const double angle = t / std::pow(10000.0, (double)i2 / C);
            table[(size_t)t * C + c] = (float)(c % 2 == 0 ? std::sin(angle) : std::cos(angle));
        }
    // END SOLUTION
}

// x (B,T,C) += table[t] on every row t; T ≤ the table's rows (the caller checks).
inline void add_positions_forward(float* x, const float* table, int B, int T, int C) {
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
            for (int c = 0; c < C; c++) x[((size_t)b * T + t) * C + c] += table[(size_t)t * C + c];
}
// dtable (Tmax,C) += Σ_b dout[b,t,:] for t < T. Split by positions t (one thread owns a row and sums
// the batch in order): bit-identical for any thread count. The input's gradient is dout itself.
inline void add_positions_backward(float* dtable, const float* dout, int B, int T, int C) {
    parallel_for(T, [&](int t0, int t1) {
        for (int t = t0; t < t1; t++)
            for (int b = 0; b < B; b++)
                for (int c = 0; c < C; c++) dtable[(size_t)t * C + c] += dout[((size_t)b * T + t) * C + c];
    });
}

}  // namespace ch06
