// Tests for the core pieces: RNG, parameter sets (the thread pool: test_thread_pool.cpp).
#include <doctest/doctest.h>

#include <vector>

#include "common/core/params.hpp"
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
