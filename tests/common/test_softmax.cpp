// Tests for common/nn/softmax: hand-computed rows, masking (mask, valid_len, fully masked rows),
// log-softmax against PyTorch, gradient checks for every backward, thread-count independence.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "common/core/error.hpp"
#include "common/nn/softmax.hpp"
#include "common/core/thread_pool.hpp"
#include "tests/fixture.hpp"
#include "tests/gradcheck.hpp"

using namespace attn;
using namespace attn::testing;

TEST_CASE("softmax: hand-computed rows") {
    // softmax([0, ln 2]) = [1/3, 2/3];  softmax([1000, 1000 + ln 3]) = [1/4, 3/4] (no overflow)
    float x[4] = {0.0f, std::log(2.0f), 1000.0f, 1000.0f + std::log(3.0f)}, o[4];
    softmax_forward(o, x, 2, 2);
    CHECK(o[0] == doctest::Approx(1.0 / 3.0));
    CHECK(o[1] == doctest::Approx(2.0 / 3.0));
    CHECK(o[2] == doctest::Approx(0.25).epsilon(1e-4));  // 1000 + ln 3 is rounded to a float
    CHECK(o[3] == doctest::Approx(0.75).epsilon(1e-4));
    log_softmax_forward(o, x, 2, 2);
    CHECK(o[0] == doctest::Approx(std::log(1.0 / 3.0)));
    CHECK(o[1] == doctest::Approx(std::log(2.0 / 3.0)));
    CHECK(std::isfinite(o[2]));
    CHECK(argmax_row(x, 4) == 3);
    float ties[3] = {5.0f, 7.0f, 7.0f};
    CHECK(argmax_row(ties, 3) == 1);  // first of equal maxima
}

TEST_CASE("masked softmax: mask, valid_len, and a fully masked row") {
    // 3 rows of 4 equal scores: row 0 keeps columns {0, 2} by mask, row 1 keeps the first 3 by
    // valid_len, row 2 has valid_len 0 (nothing to attend to).
    const int rows = 3, cols = 4;
    float x[12];
    for (auto& v : x) v = 0.7f;
    uint8_t mask[12] = {1, 0, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1};
    int valid_len[3] = {4, 3, 0};
    float o[12];
    masked_softmax_forward(o, x, mask, valid_len, rows, cols);
    CHECK(o[0] == doctest::Approx(0.5));
    CHECK(o[1] == 0.0f);  // exactly zero, not merely small
    CHECK(o[2] == doctest::Approx(0.5));
    CHECK(o[3] == 0.0f);
    for (int j = 0; j < 3; j++) CHECK(o[4 + j] == doctest::Approx(1.0 / 3.0));
    CHECK(o[7] == 0.0f);
    for (int j = 0; j < 4; j++) CHECK(o[8 + j] == 0.0f);  // fully masked: zeros, not NaN

    // no mask and no valid_len: plain softmax
    float p[12];
    masked_softmax_forward(o, x, nullptr, nullptr, rows, cols);
    softmax_forward(p, x, rows, cols);
    for (int i = 0; i < 12; i++) CHECK(o[i] == p[i]);

    // a masked score of +huge must not leak (a -1e4 sentinel added to it would)
    float big[2] = {0.0f, 1e30f};
    uint8_t keep_first[2] = {1, 0};
    masked_softmax_forward(o, big, keep_first, nullptr, 1, 2);
    CHECK(o[0] == 1.0f);
    CHECK(o[1] == 0.0f);

    int bad_len[3] = {4, 5, 0};
    CHECK_THROWS_AS(masked_softmax_forward(o, x, nullptr, bad_len, rows, cols), attn::Error);
}

TEST_CASE("softmax: gradient check") {
    const int rows = 4, cols = 7;
    Rng rng(11);
    Buf x = random_buf(rows * cols, rng, -3, 3), R = random_buf(rows * cols, rng), out(rows * cols);
    Buf dx(rows * cols, 0.0f);
    softmax_forward(out.data(), x.data(), rows, cols);
    softmax_backward(dx.data(), R.data(), out.data(), rows, cols);
    check_gradient("softmax", [&] {
        Buf o(rows * cols);
        softmax_forward(o.data(), x.data(), rows, cols);
        return dot_double(o.data(), R.data(), o.size());
    }, x.data(), dx.data(), x.size());
}

TEST_CASE("masked softmax: gradient check with mixed valid_len, a mask and a fully masked row") {
    const int rows = 5, cols = 6;
    Rng rng(12);
    Buf x = random_buf(rows * cols, rng, -3, 3), R = random_buf(rows * cols, rng), out(rows * cols);
    std::vector<uint8_t> mask(rows * cols, 1);
    mask[0 * cols + 2] = 0;  // row 0: a hole in the middle
    mask[3 * cols + 0] = 0;  // row 3: a hole at the start, and valid_len cuts the end
    int valid_len[5] = {6, 1, 4, 3, 0};  // row 4: nothing kept
    Buf dx(rows * cols, 0.0f);
    masked_softmax_forward(out.data(), x.data(), mask.data(), valid_len, rows, cols);
    masked_softmax_backward(dx.data(), R.data(), out.data(), rows, cols);
    for (int j = 0; j < cols; j++) CHECK(dx[4 * cols + j] == 0.0f);  // fully masked row: no gradient
    CHECK(dx[0 * cols + 2] == 0.0f);                                  // masked position: no gradient
    check_gradient("masked_softmax", [&] {
        Buf o(rows * cols);
        masked_softmax_forward(o.data(), x.data(), mask.data(), valid_len, rows, cols);
        return dot_double(o.data(), R.data(), o.size());
    }, x.data(), dx.data(), x.size());
}

TEST_CASE("log-softmax: gradient check, and matches PyTorch (including scores near 80)") {
    auto fx = load_fixture("norm_loss.txt");
    const auto &fx_x = get(fx, "ls_x"), &fx_R = get(fx, "ls_R");
    const int rows = fx_x.shape[0], cols = fx_x.shape[1], n = rows * cols;
    Buf x(fx_x.v.begin(), fx_x.v.end()), out(n), dx(n, 0.0f);
    log_softmax_forward(out.data(), x.data(), rows, cols);
    log_softmax_backward(dx.data(), fx_R.v.data(), out.data(), rows, cols);
    CHECK(max_abs_diff(out.data(), get(fx, "ls_out").v.data(), n) < 1e-5);
    CHECK(max_abs_diff(dx.data(), get(fx, "ls_dx").v.data(), n) < 1e-5);
    check_gradient("log_softmax", [&] {
        Buf o(n);
        log_softmax_forward(o.data(), x.data(), rows, cols);
        return dot_double(o.data(), fx_R.v.data(), n);
    }, x.data(), dx.data(), n);
}

TEST_CASE("softmax family: backward accumulates, and results are the same on 1 and 3 threads") {
    const int rows = 300, cols = 129;  // 38700 elements: split among threads
    Rng rng(13);
    Buf x = random_buf(rows * cols, rng, -5, 5), R = random_buf(rows * cols, rng);
    std::vector<int> valid_len(rows);
    for (int r = 0; r < rows; r++) valid_len[r] = r % (cols + 1);
    auto run = [&](int threads) {
        set_threads(threads);
        Buf o1(x.size()), o2(x.size()), o3(x.size()), d(x.size(), 0.5f);
        softmax_forward(o1.data(), x.data(), rows, cols);
        softmax_backward(d.data(), R.data(), o1.data(), rows, cols);
        masked_softmax_forward(o2.data(), x.data(), nullptr, valid_len.data(), rows, cols);
        masked_softmax_backward(d.data(), R.data(), o2.data(), rows, cols);
        log_softmax_forward(o3.data(), x.data(), rows, cols);
        log_softmax_backward(d.data(), R.data(), o3.data(), rows, cols);
        std::vector<Buf> all = {o1, o2, o3, d};
        return all;
    };
    auto a = run(1), b = run(3);
    set_threads(0);
    for (size_t k = 0; k < a.size(); k++) CHECK(a[k] == b[k]);
    // a softmax gradient row sums to 0: Σ_j out_j (R_j − Σ_k out_k R_k) = 0; and two calls add twice
    Buf single(x.size(), 0.0f);
    softmax_backward(single.data(), R.data(), a[0].data(), rows, cols);
    double s = 0;
    for (int j = 0; j < cols; j++) s += single[j];
    CHECK(s == doctest::Approx(0.0).scale(1.0).epsilon(1e-5));
    Buf twice(x.size(), 0.0f);
    softmax_backward(twice.data(), R.data(), a[0].data(), rows, cols);
    softmax_backward(twice.data(), R.data(), a[0].data(), rows, cols);
    for (size_t i = 0; i < x.size(); i += 97) CHECK(twice[i] == doctest::Approx(2.0 * single[i]));
}

TEST_CASE("softmax and masked softmax: rows four at a time give each row's numbers alone, bit for bit") {
    // softmax.cpp sums four rows side by side (each in its own order) where a thread has four left, and
    // the rest one by one: every row of a call, on 1 and 3 threads, against the same row in a call of
    // its own. Rows counts 1–13 (whole fours and remainders); masked rows with valid_len 0 (all masked,
    // zeros), 1 and up to the width, and a mask.
    Rng rng(41);
    for (int cols : {7, 50, 129})
        for (int rows = 1; rows <= 13; rows++) {
            CAPTURE(cols);
            CAPTURE(rows);
            Buf x = random_buf((size_t)rows * cols, rng, -6, 6);
            std::vector<int> len(rows);
            std::vector<uint8_t> mask((size_t)rows * cols);
            for (int r = 0; r < rows; r++) len[r] = (r * 5) % (cols + 1);
            for (size_t i = 0; i < mask.size(); i++) mask[i] = (uint8_t)(i % 3 != 1);
            for (int threads : {1, 3}) {
                set_threads(threads);
                Buf o(x.size()), om(x.size()), ok(x.size());
                softmax_forward(o.data(), x.data(), rows, cols);
                masked_softmax_forward(om.data(), x.data(), nullptr, len.data(), rows, cols);
                masked_softmax_forward(ok.data(), x.data(), mask.data(), nullptr, rows, cols);
                for (int r = 0; r < rows; r++) {
                    const size_t at = (size_t)r * cols;
                    Buf one(cols), one_m(cols), one_k(cols);
                    softmax_forward(one.data(), x.data() + at, 1, cols);
                    masked_softmax_forward(one_m.data(), x.data() + at, nullptr, &len[r], 1, cols);
                    masked_softmax_forward(one_k.data(), x.data() + at, mask.data() + at, nullptr, 1, cols);
                    CHECK(std::memcmp(o.data() + at, one.data(), cols * sizeof(float)) == 0);
                    CHECK(std::memcmp(om.data() + at, one_m.data(), cols * sizeof(float)) == 0);
                    CHECK(std::memcmp(ok.data() + at, one_k.data(), cols * sizeof(float)) == 0);
                }
            }
        }
    set_threads(0);
}
