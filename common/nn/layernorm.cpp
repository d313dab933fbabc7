// layernorm.cpp — layer normalisation forward and backward (equations in layernorm.hpp).
#include "common/nn/layernorm.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "common/core/thread_pool.hpp"

namespace attn {

namespace {
constexpr int kMinWork = 1 << 14;  // elements per thread before splitting is worth it
}

// inp, out are (N,C); gamma, beta are (C); mean, rstd are (N)
void layernorm_forward(float* out, float* mean, float* rstd, const float* inp, const float* gamma,
                       const float* beta, int N, int C, float eps) {
    parallel_for(N, [&](int n0, int n1) {
        for (int n = n0; n < n1; n++) {
            const float* x = inp + (size_t)n * C;
            float* o = out + (size_t)n * C;
            // pass 1: μ = (1/C) Σ x      (sums in double: C may be large and x far from 0)
            double s = 0.0;
            for (int c = 0; c < C; c++) s += x[c];
            float m = (float)(s / C);
            // pass 2: σ² = (1/C) Σ (x − μ)²   (two passes, not E[x²] − μ², which cancels badly)
            double v = 0.0;
            for (int c = 0; c < C; c++) v += (double)(x[c] - m) * (x[c] - m);
            float r = 1.0f / std::sqrt((float)(v / C) + eps);
            // pass 3: out = γ · (x − μ) · r + β
            for (int c = 0; c < C; c++) {
                float xhat = (x[c] - m) * r;
                o[c] = (gamma ? gamma[c] : 1.0f) * xhat + (beta ? beta[c] : 0.0f);
            }
            mean[n] = m;
            rstd[n] = r;
        }
    }, std::max(1, kMinWork / std::max(C, 1)));
}
// forward: out = γ x̂ + β,  x̂ = (x − μ) r.
//   dβ_c += Σ_n dout[n,c]          dγ_c += Σ_n dout[n,c] x̂[n,c]          dx̂ = γ · dout
//   x̂ depends on x directly and through μ and r; with x̂ summing to 0 and x̂² to C per row:
//   dx[c] += r · ( dx̂[c] − mean_c'(dx̂) − x̂[c] · mean_c'(dx̂ ⊙ x̂) )
void layernorm_backward(float* dinp, float* dgamma, float* dbeta, const float* dout, const float* inp,
                        const float* gamma, const float* mean, const float* rstd, int N, int C,
                        bool accumulate) {
    // pass 1: dinp, one row per thread-owned index
    if (dinp)
        parallel_for(N, [&](int n0, int n1) {
            for (int n = n0; n < n1; n++) {
                const float* x = inp + (size_t)n * C;
                const float* g = dout + (size_t)n * C;
                float* dx = dinp + (size_t)n * C;
                float m = mean[n], r = rstd[n];
                if (!accumulate) std::fill_n(dx, C, 0.0f);  // one row, while it is in cache
                // the two row means of the bracket: mean(dx̂), mean(dx̂ ⊙ x̂)
                double sum_d = 0.0, sum_dx = 0.0;
                for (int c = 0; c < C; c++) {
                    float dxhat = (gamma ? gamma[c] : 1.0f) * g[c];
                    sum_d += dxhat;
                    sum_dx += (double)dxhat * ((x[c] - m) * r);
                }
                float mean_d = (float)(sum_d / C), mean_dx = (float)(sum_dx / C);
                for (int c = 0; c < C; c++) {
                    float xhat = (x[c] - m) * r;
                    float dxhat = (gamma ? gamma[c] : 1.0f) * g[c];
                    dx[c] += r * (dxhat - mean_d - xhat * mean_dx);
                }
            }
        }, std::max(1, kMinWork / std::max(C, 1)));
    // pass 2: dgamma, dbeta. Each thread owns a range of columns [c0, c1) and walks the rows
    // n = 0..N−1 in order (row-major, so memory is read contiguously), keeping one running sum
    // per column: every column is summed in the same order whatever the partition.
    if (dgamma || dbeta)
        parallel_for(C, [&](int c0, int c1) {
            std::vector<float> sg(c1 - c0, 0.0f), sb(c1 - c0, 0.0f);
            for (int n = 0; n < N; n++) {
                const float* x = inp + (size_t)n * C;
                const float* g = dout + (size_t)n * C;
                float m = mean[n], r = rstd[n];
                for (int c = c0; c < c1; c++) {
                    sb[c - c0] += g[c];                      // dβ_c += dout[n,c]
                    sg[c - c0] += g[c] * ((x[c] - m) * r);   // dγ_c += dout[n,c] · x̂[n,c]
                }
            }
            for (int c = c0; c < c1; c++) {
                if (dgamma) dgamma[c] += sg[c - c0];
                if (dbeta) dbeta[c] += sb[c - c0];
            }
        }, std::max(1, kMinWork / std::max(N, 1)));
}

}  // namespace attn
