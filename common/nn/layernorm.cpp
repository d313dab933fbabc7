// layernorm.cpp — layer normalisation forward and backward (equations in layernorm.hpp).
#include "common/nn/layernorm.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "common/core/thread_pool.hpp"

namespace attn {

namespace {
constexpr int kMinWork = 1 << 14;  // elements per thread before splitting is worth it

// R rows side by side. Each row's sums run over c in order, as for one row alone (so the same bits),
// but the R chains are independent: the adder works on R of them at once instead of waiting for each
// addition's result (a row of 64, the ViT's, is otherwise four cycles per element). kRows rows at a
// time, then the remainder one by one.
constexpr int kRows = 4;

template <int R>
void forward_rows(float* out, float* mean, float* rstd, const float* inp, const float* gamma, const float* beta,
                  int C, float eps) {
    // pass 1: μ = (1/C) Σ x      (sums in double: C may be large and x far from 0)
    double s[R] = {};
    for (int c = 0; c < C; c++)
        for (int k = 0; k < R; k++) s[k] += inp[(size_t)k * C + c];
    float m[R], r[R];
    for (int k = 0; k < R; k++) m[k] = (float)(s[k] / C);
    // pass 2: σ² = (1/C) Σ (x − μ)²   (two passes, not E[x²] − μ², which cancels badly)
    double v[R] = {};
    for (int c = 0; c < C; c++)
        for (int k = 0; k < R; k++) {
            const float x = inp[(size_t)k * C + c];
            v[k] += (double)(x - m[k]) * (x - m[k]);
        }
    for (int k = 0; k < R; k++) r[k] = 1.0f / std::sqrt((float)(v[k] / C) + eps);
    // pass 3: out = γ · (x − μ) · r + β
    for (int k = 0; k < R; k++) {
        const float* x = inp + (size_t)k * C;
        float* o = out + (size_t)k * C;
        for (int c = 0; c < C; c++) {
            float xhat = (x[c] - m[k]) * r[k];
            o[c] = (gamma ? gamma[c] : 1.0f) * xhat + (beta ? beta[c] : 0.0f);
        }
        mean[k] = m[k];
        rstd[k] = r[k];
    }
}

// dx[c] (+)= r · ( dx̂[c] − mean_c'(dx̂) − x̂[c] · mean_c'(dx̂ ⊙ x̂) ) for R rows side by side.
template <int R>
void backward_rows(float* dinp, const float* dout, const float* inp, const float* gamma, const float* mean,
                   const float* rstd, int C, bool accumulate) {
    // the two row means of the bracket: mean(dx̂), mean(dx̂ ⊙ x̂)
    double sum_d[R] = {}, sum_dx[R] = {};
    for (int c = 0; c < C; c++)
        for (int k = 0; k < R; k++) {
            const size_t i = (size_t)k * C + c;
            float dxhat = (gamma ? gamma[c] : 1.0f) * dout[i];
            sum_d[k] += dxhat;
            sum_dx[k] += (double)dxhat * ((inp[i] - mean[k]) * rstd[k]);
        }
    for (int k = 0; k < R; k++) {
        const float* x = inp + (size_t)k * C;
        const float* g = dout + (size_t)k * C;
        float* dx = dinp + (size_t)k * C;
        const float m = mean[k], r = rstd[k];
        const float mean_d = (float)(sum_d[k] / C), mean_dx = (float)(sum_dx[k] / C);
        if (!accumulate) std::fill_n(dx, C, 0.0f);  // one row, while it is in cache
        for (int c = 0; c < C; c++) {
            float xhat = (x[c] - m) * r;
            float dxhat = (gamma ? gamma[c] : 1.0f) * g[c];
            dx[c] += r * (dxhat - mean_d - xhat * mean_dx);
        }
    }
}
}  // namespace

// inp, out are (N,C); gamma, beta are (C); mean, rstd are (N)
void layernorm_forward(float* out, float* mean, float* rstd, const float* inp, const float* gamma,
                       const float* beta, int N, int C, float eps) {
    parallel_for(N, [&](int n0, int n1) {
        int n = n0;
        const auto at = [&](auto* p) { return p + (size_t)n * C; };  // row n of an (N,C) tensor
        for (; n + kRows <= n1; n += kRows)
            forward_rows<kRows>(at(out), mean + n, rstd + n, at(inp), gamma, beta, C, eps);
        for (; n < n1; n++)
            forward_rows<1>(at(out), mean + n, rstd + n, at(inp), gamma, beta, C, eps);
    }, std::max(1, kMinWork / std::max(C, 1)));
}
// forward: out = γ x̂ + β,  x̂ = (x − μ) r.
//   dβ_c += Σ_n dout[n,c]          dγ_c += Σ_n dout[n,c] x̂[n,c]          dx̂ = γ · dout
//   x̂ depends on x directly and through μ and r; with x̂ summing to 0 and x̂² to C per row:
//   dx[c] += r · ( dx̂[c] − mean_c'(dx̂) − x̂[c] · mean_c'(dx̂ ⊙ x̂) )
void layernorm_backward(float* dinp, float* dgamma, float* dbeta, const float* dout, const float* inp,
                        const float* gamma, const float* mean, const float* rstd, int N, int C,
                        bool accumulate) {
    // pass 1: dinp, rows split across the threads, kRows side by side
    if (dinp)
        parallel_for(N, [&](int n0, int n1) {
            int n = n0;
            const auto at = [&](auto* p) { return p + (size_t)n * C; };  // row n of an (N,C) tensor
            for (; n + kRows <= n1; n += kRows)
                backward_rows<kRows>(at(dinp), at(dout), at(inp), gamma, mean + n, rstd + n, C, accumulate);
            for (; n < n1; n++)
                backward_rows<1>(at(dinp), at(dout), at(inp), gamma, mean + n, rstd + n, C, accumulate);
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
