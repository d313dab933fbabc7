// Tests for the core pieces: RNG, parameter sets (the thread pool: test_thread_pool.cpp).
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "common/core/params.hpp"
#include "common/core/reduce.hpp"
#include "common/core/rng.hpp"

using namespace attn;

TEST_CASE("rng: same seed, same stream; different seed, different stream") {
    Rng a(7), b(7), c(8);
    for (int i = 0; i < 100; i++) {
        uint64_t x = a.next_u64();
        CHECK(x == b.next_u64());
        CHECK(x != c.next_u64());
    }
}

TEST_CASE("rng: jump(n) leaves the state n draws would, for short and long distances and any seed") {
    // n below, at and past the 256 steps jump() itself takes, powers of two and their neighbours,
    // dropout's halves of chapter 00's 128 × 1024 mask, and a few more; each against n draws
    const uint64_t distances[] = {0, 1, 2, 3, 63, 64, 255, 256, 257, 1000, 4095, 4096, 65535, 65536, 65537,
                                  100003, 131072, 1u << 20};
    for (uint64_t seed : {1ull, 42ull, 0x9e3779b97f4a7c15ull}) {
        Rng start(seed);
        start.next_u64();  // not a freshly seeded state
        for (uint64_t n : distances) {
            Rng drawn = start, jumped = start;
            for (uint64_t i = 0; i < n; i++) drawn.next_u64();
            jumped.jump(n);
            CAPTURE(seed);
            CAPTURE(n);
            for (int w = 0; w < 4; w++) CHECK(jumped.s[w] == drawn.s[w]);
            CHECK(jumped.next_u64() == drawn.next_u64());
        }
    }
    // jumps add up: 3 + 5 is 8
    Rng a(11), b(11);
    a.jump(3), a.jump(5), b.jump(8);
    for (int w = 0; w < 4; w++) CHECK(a.s[w] == b.s[w]);
}

TEST_CASE("rng: uniform in [0,1), below(n) in range, normal has mean 0 and variance 1") {
    Rng r(1);
    double sum = 0, sq = 0;
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        float u = r.uniform();
        CHECK_UNARY(u >= 0.0f);
        CHECK_UNARY(u < 1.0f);
        CHECK(r.below(7) < 7u);
        float z = r.normal();
        sum += z, sq += (double)z * z;
    }
    CHECK(sum / n == doctest::Approx(0.0).epsilon(0.01).scale(1.0));
    CHECK(sq / n == doctest::Approx(1.0).epsilon(0.02));
}

TEST_CASE("rng: categorical follows the probabilities and never picks a zero") {
    Rng r(3);
    float p[4] = {0.1f, 0.0f, 0.6f, 0.3f};
    int counts[4] = {0, 0, 0, 0};
    for (int i = 0; i < 100000; i++) counts[r.categorical(p, 4)]++;
    CHECK(counts[1] == 0);
    CHECK(counts[0] / 100000.0 == doctest::Approx(0.1).epsilon(0.05));
    CHECK(counts[2] / 100000.0 == doctest::Approx(0.6).epsilon(0.05));
}

TEST_CASE("params: contiguous, aligned, named views") {
    ParamSet ps;
    Tensor W, b;
    ps.add(W, "fc.weight", {3, 5});
    ps.add(b, "fc.bias", {3});
    ps.allocate();
    CHECK(W.size == 15);
    CHECK(b.size == 3);
    CHECK(W.data == ps.value.data());
    CHECK(((uintptr_t)b.data % 64) == 0);
    CHECK(ps.find("fc.bias")->offset == 16);
    CHECK(ps.find("nope") == nullptr);
    W.grad[2] = 1.0f;
    ps.zero_grad();
    CHECK(W.grad[2] == 0.0f);
    Tensor late;
    CHECK_THROWS(ps.add(late, "late", {1}));
    ParamSet dup;
    Tensor x, y;
    dup.add(x, "x", {2});
    CHECK_THROWS(dup.add(y, "x", {2}));
}

// reduce.hpp: the lanes change the order of the additions, not what is summed
TEST_CASE("reduce: sum_lanes and dot_lanes equal the plain sums (exactly on integers, closely on floats)") {
    Rng rng(5);
    for (int n : {0, 1, 7, 15, 16, 17, 31, 32, 49, 100, 196, 784}) {
        std::vector<float> a(n), b(n), ia(n), ib(n);
        double sum = 0, dot = 0, abs_sum = 0, abs_dot = 0;
        float isum = 0, idot = 0;
        for (int p = 0; p < n; p++) {
            a[p] = (float)rng.normal(), b[p] = (float)rng.normal();
            ia[p] = (float)rng.randint(-50, 50), ib[p] = (float)rng.randint(-50, 50);
            sum += a[p], dot += (double)a[p] * b[p], abs_sum += std::fabs(a[p]), abs_dot += std::fabs(a[p] * b[p]);
            isum += ia[p], idot += ia[p] * ib[p];
        }
        CHECK(sum_lanes(ia.data(), n) == isum);  // small integers: every order gives the exact answer
        CHECK(dot_lanes(ia.data(), ib.data(), n) == idot);
        CHECK(std::fabs(sum_lanes(a.data(), n) - sum) <= 1e-6 * (abs_sum + 1));
        CHECK(std::fabs(dot_lanes(a.data(), b.data(), n) - dot) <= 1e-6 * (abs_dot + 1));
    }
    std::vector<float> x(40, 0.0f);  // each position lands in the sum once: a one at p gives 1
    for (int p = 0; p < 40; p++) {
        x[p] = 1.0f;
        CHECK(sum_lanes(x.data(), 40) == 1.0f);
        x[p] = 0.0f;
    }
}

// the plain scan the lanes must agree with: strictly greater wins, so the first position on ties
static float max_scan(const float* x, int n, int* arg) {
    float best = x[0];
    *arg = 0;
    for (int p = 1; p < n; p++)
        if (x[p] > best) best = x[p], *arg = p;
    return best;
}

TEST_CASE("reduce: max_lanes gives the plain scan's maximum and first position (ties, -0, -inf, NaN)") {
    Rng rng(9);
    const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
    for (int n : {1, 2, 15, 16, 17, 33, 49, 196, 784})
        for (int trial = 0; trial < 40; trial++) {
            std::vector<float> x(n);
            for (int p = 0; p < n; p++) {
                const int kind = rng.randint(0, 9);  // few distinct values: many ties, and the odd special
                x[p] = kind == 0 ? -0.0f : kind == 1 ? -inf : kind == 2 && trial % 4 == 0 ? nan
                                                                                        : (float)rng.randint(-3, 3);
            }
            int arg_scan = -1, arg_lanes = -2;
            const float m_scan = max_scan(x.data(), n, &arg_scan), m_lanes = max_lanes(x.data(), n, &arg_lanes);
            REQUIRE(arg_lanes == arg_scan);
            CHECK(std::memcmp(&m_lanes, &m_scan, sizeof(float)) == 0);  // the same element, bit for bit
        }
}

TEST_CASE("reduce: max_lanes(x, n) is the scan m = std::max(m, x[p]) from -inf (NaNs skipped, n = 0 gives -inf)") {
    Rng rng(10);
    const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
    CHECK(max_lanes(nullptr, 0) == -inf);
    for (int n : {1, 2, 15, 16, 17, 33, 49, 196, 4244})
        for (int trial = 0; trial < 40; trial++) {
            std::vector<float> x(n);
            for (int p = 0; p < n; p++) {
                const int kind = rng.randint(0, 9);
                x[p] = kind == 0 ? 0.0f : kind == 1 ? -inf : kind == 2 && trial % 4 == 0 ? nan
                                                                                        : (float)rng.randint(-30, 30) / 7;
            }
            if (trial % 8 == 1) x[0] = nan;  // a NaN first: the scan skips it too
            float m_scan = -inf;
            for (int p = 0; p < n; p++) m_scan = std::max(m_scan, x[p]);
            const float m = max_lanes(x.data(), n);
            CHECK(std::memcmp(&m, &m_scan, sizeof(float)) == 0);
        }
    std::vector<float> all_nan(20, nan);
    CHECK(max_lanes(all_nan.data(), 20) == -inf);
}
