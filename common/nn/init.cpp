#include "common/nn/init.hpp"

#include <cmath>
#include <string>
#include <vector>

#include "common/core/error.hpp"

namespace attn {

static void check_tensor(const Tensor& t, const char* where) {
    ATTN_CHECK(t.data != nullptr || t.size == 0, where, "an allocated tensor (call params.allocate() first)");
}

void init_uniform(float* data, size_t n, Rng& rng, float lo, float hi) {
    for (size_t i = 0; i < n; i++) data[i] = rng.uniform(lo, hi);
}
void init_uniform(Tensor& t, Rng& rng, float lo, float hi) {
    check_tensor(t, "init_uniform");
    init_uniform(t.data, t.size, rng, lo, hi);
}

void init_normal(float* data, size_t n, Rng& rng, float std) {
    for (size_t i = 0; i < n; i++) data[i] = std * rng.normal();
}
void init_normal(Tensor& t, Rng& rng, float std) {
    check_tensor(t, "init_normal");
    init_normal(t.data, t.size, rng, std);
}

void init_constant(Tensor& t, float v) {
    check_tensor(t, "init_constant");
    for (size_t i = 0; i < t.size; i++) t.data[i] = v;
}

void init_xavier_uniform(Tensor& t, Rng& rng, int fan_in, int fan_out, float gain) {
    ATTN_CHECK(fan_in > 0 && fan_out > 0, "init_xavier_uniform", "positive fan_in and fan_out");
    float a = gain * (float)std::sqrt(6.0 / (fan_in + fan_out));  // Var(U(-a,a)) = a^2/3 = 2/(fan_in+fan_out)
    init_uniform(t, rng, -a, a);
}

void init_kaiming_normal(Tensor& t, Rng& rng, int fan_in, float gain) {
    ATTN_CHECK(fan_in > 0, "init_kaiming_normal", "a positive fan_in");
    init_normal(t, rng, gain / (float)std::sqrt((double)fan_in));  // std = gain / sqrt(fan_in)
}

void init_kaiming_uniform(Tensor& t, Rng& rng, int fan_in, float gain) {
    ATTN_CHECK(fan_in > 0, "init_kaiming_uniform", "a positive fan_in");
    float a = gain * (float)std::sqrt(3.0 / fan_in);  // a^2/3 = gain^2/fan_in
    init_uniform(t, rng, -a, a);
}

// Q of A = QR for an m x n Gaussian A with m >= n, by modified Gram-Schmidt: for each column j in
// turn, normalise it (r_jj = |a_j| > 0, so R's diagonal is positive — exactly PyTorch's
// Q * sign(diag(R)) correction), then remove its direction from every later column. Q is (m, n)
// row-major in double.
static std::vector<double> gaussian_q(int m, int n, Rng& rng) {
    std::vector<double> q((size_t)m * n);
    for (auto& x : q) x = rng.normal();
    for (int j = 0; j < n; j++) {
        double norm = 0;
        for (int i = 0; i < m; i++) norm += q[(size_t)i * n + j] * q[(size_t)i * n + j];
        norm = std::sqrt(norm);  // r_jj; a Gaussian matrix is full rank with probability 1
        for (int i = 0; i < m; i++) q[(size_t)i * n + j] /= norm;
        for (int k = j + 1; k < n; k++) {
            double r = 0;  // r_jk = q_j . a_k
            for (int i = 0; i < m; i++) r += q[(size_t)i * n + j] * q[(size_t)i * n + k];
            for (int i = 0; i < m; i++) q[(size_t)i * n + k] -= r * q[(size_t)i * n + j];  // a_k -= r_jk q_j
        }
    }
    return q;
}

void init_orthogonal(float* data, int rows, int cols, Rng& rng, float gain) {
    ATTN_CHECK(rows > 0 && cols > 0, "init_orthogonal", "a non-empty matrix");
    if (rows >= cols) {  // orthonormal columns
        std::vector<double> q = gaussian_q(rows, cols, rng);
        for (size_t i = 0; i < q.size(); i++) data[i] = (float)(gain * q[i]);
    } else {  // wide: factor the transpose (cols x rows) and transpose back, so the rows are orthonormal
        std::vector<double> q = gaussian_q(cols, rows, rng);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                data[(size_t)r * cols + c] = (float)(gain * q[(size_t)c * rows + r]);
    }
}

void init_orthogonal(Tensor& t, Rng& rng, float gain) {
    check_tensor(t, "init_orthogonal");
    ATTN_CHECK(t.shape.size() >= 2, "init_orthogonal",
               "a tensor of at least 2 dimensions, got " + shape_str(t.shape));
    int rows = t.shape[0];
    init_orthogonal(t.data, rows, (int)(t.size / rows), rng, gain);
}

void init_orthogonal_blocks(Tensor& t, Rng& rng, int blocks, float gain) {
    check_tensor(t, "init_orthogonal_blocks");
    ATTN_CHECK(t.shape.size() >= 2 && blocks > 0 && t.shape[0] % blocks == 0, "init_orthogonal_blocks",
               "a tensor of at least 2 dimensions whose first dimension divides into " +
                   std::to_string(blocks) + " blocks, got " + shape_str(t.shape));
    int rows = t.shape[0] / blocks, cols = (int)(t.size / t.shape[0]);
    for (int b = 0; b < blocks; b++) init_orthogonal(t.data + (size_t)b * rows * cols, rows, cols, rng, gain);
}

}  // namespace attn
