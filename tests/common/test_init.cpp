// Tests for init.hpp: the statistics of each initialiser and the orthogonality of init_orthogonal.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "common/core/error.hpp"
#include "common/nn/init.hpp"

using namespace attn;

namespace {
struct Stats {
    double mean = 0, std = 0, min = INFINITY, max = -INFINITY;
};
Stats stats(const float* x, size_t n) {
    Stats s;
    double sum = 0, sq = 0;
    for (size_t i = 0; i < n; i++) {
        sum += x[i], sq += (double)x[i] * x[i];
        s.min = std::min(s.min, (double)x[i]), s.max = std::max(s.max, (double)x[i]);
    }
    s.mean = sum / n;
    s.std = std::sqrt(sq / n - s.mean * s.mean);
    return s;
}

// max |A A^T - scale*I| over the rows of a (rows, cols) block (row_stride = cols)
double gram_rows_err(const float* a, int rows, int cols, double scale) {
    double err = 0;
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < rows; j++) {
            double d = 0;
            for (int k = 0; k < cols; k++) d += (double)a[i * cols + k] * a[j * cols + k];
            err = std::max(err, std::abs(d - (i == j ? scale : 0.0)));
        }
    return err;
}
// max |A^T A - scale*I| over the columns
double gram_cols_err(const float* a, int rows, int cols, double scale) {
    double err = 0;
    for (int i = 0; i < cols; i++)
        for (int j = 0; j < cols; j++) {
            double d = 0;
            for (int k = 0; k < rows; k++) d += (double)a[k * cols + i] * a[k * cols + j];
            err = std::max(err, std::abs(d - (i == j ? scale : 0.0)));
        }
    return err;
}

struct One {
    Tensor t;
    ParamSet ps;
    explicit One(const Shape& shape) {
        ps.add(t, "t", shape);
        ps.allocate();
    }
};
}  // namespace

TEST_CASE("init: xavier_uniform stays inside its bound and has variance 2/(fan_in+fan_out)") {
    One m({200, 300});
    Rng rng(1);
    init_xavier_uniform(m.t, rng, 300, 200);
    double a = std::sqrt(6.0 / 500);
    Stats s = stats(m.t.data, m.t.size);
    CHECK(s.max <= a);
    CHECK(s.min >= -a);
    CHECK(s.max > 0.99 * a);  // and it uses the whole range
    CHECK(s.min < -0.99 * a);
    CHECK(s.std == doctest::Approx(std::sqrt(2.0 / 500)).epsilon(0.02));
    CHECK(std::abs(s.mean) < 0.01 * a);
}

TEST_CASE("init: kaiming normal and uniform have std sqrt(2/fan_in); uniform, normal, constant") {
    One m({256, 256});
    Rng rng(2);
    init_kaiming_normal(m.t, rng, 128);
    Stats s = stats(m.t.data, m.t.size);
    CHECK(s.std == doctest::Approx(std::sqrt(2.0 / 128)).epsilon(0.02));
    CHECK(std::abs(s.mean) < 0.01 * s.std);

    init_kaiming_uniform(m.t, rng, 128);
    s = stats(m.t.data, m.t.size);
    CHECK(s.std == doctest::Approx(std::sqrt(2.0 / 128)).epsilon(0.02));
    CHECK(s.max <= std::sqrt(6.0 / 128));
    init_kaiming_uniform(m.t, rng, 100,
                         1.0f / std::sqrt(3.0f));  // PyTorch's nn.Linear default: U(+-1/sqrt(fan_in))
    s = stats(m.t.data, m.t.size);
    CHECK(s.max <= 0.1 + 1e-6);
    CHECK(s.max > 0.099);

    init_uniform(m.t, rng, 2.0f, 3.0f);
    s = stats(m.t.data, m.t.size);
    CHECK(s.min >= 2.0);
    CHECK(s.max < 3.0);
    CHECK(s.mean == doctest::Approx(2.5).epsilon(0.01));

    init_normal(m.t, rng, 0.02f);
    s = stats(m.t.data, m.t.size);
    CHECK(s.std == doctest::Approx(0.02).epsilon(0.02));

    init_constant(m.t, 0.25f);
    s = stats(m.t.data, m.t.size);
    CHECK(s.min == 0.25);
    CHECK(s.max == 0.25);
}

TEST_CASE("init: the same seed gives the same weights; an unallocated tensor is an error") {
    One a({10, 10}), b({10, 10});
    Rng r1(9), r2(9);
    init_orthogonal(a.t, r1);
    init_orthogonal(b.t, r2);
    CHECK(std::vector<float>(a.t.data, a.t.data + 100) == std::vector<float>(b.t.data, b.t.data + 100));
    Tensor loose;
    loose.shape = {3, 3}, loose.size = 9;
    CHECK_THROWS_AS(init_normal(loose, r1, 1.0f), attn::Error);
}

TEST_CASE("init: orthogonal square, tall, wide and 3-d tensors; gain scales the Gram matrix") {
    Rng rng(3);
    One sq({64, 64});
    init_orthogonal(sq.t, rng);
    CHECK(gram_rows_err(sq.t.data, 64, 64, 1.0) < 1e-5);  // Q Q^T = I
    CHECK(gram_cols_err(sq.t.data, 64, 64, 1.0) < 1e-5);  // Q^T Q = I

    One tall({50, 20});
    init_orthogonal(tall.t, rng);
    CHECK(gram_cols_err(tall.t.data, 50, 20, 1.0) < 1e-5);

    One wide({20, 50});
    init_orthogonal(wide.t, rng);
    CHECK(gram_rows_err(wide.t.data, 20, 50, 1.0) < 1e-5);

    One cube({8, 2, 4});  // rows 8, cols 2*4
    init_orthogonal(cube.t, rng, 2.0f);
    CHECK(gram_rows_err(cube.t.data, 8, 8, 4.0) < 1e-5);  // (2Q)(2Q)^T = 4I

    One gauss({64, 64});  // the check can fail: a Gaussian matrix is far from orthogonal
    init_normal(gauss.t, rng, 1.0f / 8.0f);
    CHECK(gram_rows_err(gauss.t.data, 64, 64, 1.0) > 0.1);
}

TEST_CASE("init: orthogonal_blocks makes each gate block of a GRU W_hh (3H, H) orthogonal") {
    const int H = 16;
    Rng rng(4);
    One w({3 * H, H});
    init_orthogonal_blocks(w.t, rng, 3);
    for (int g = 0; g < 3; g++) {
        CAPTURE(g);
        const float* block = w.t.data + (size_t)g * H * H;
        CHECK(gram_rows_err(block, H, H, 1.0) < 1e-5);
        CHECK(gram_cols_err(block, H, H, 1.0) < 1e-5);
    }
    // One orthogonal (3H, H) matrix would only have orthonormal columns, not orthogonal blocks.
    init_orthogonal(w.t, rng);
    CHECK(gram_cols_err(w.t.data, 3 * H, H, 1.0) < 1e-5);
    CHECK(gram_rows_err(w.t.data, H, H, 1.0) > 0.1);
    CHECK_THROWS_AS(init_orthogonal_blocks(w.t, rng, 5), attn::Error);  // 48 rows do not split into 5
}
