// Tests for the core pieces: RNG, thread pool partition, parameter sets.
#include <doctest/doctest.h>

#include <atomic>
#include <vector>

#include "common/core/params.hpp"
#include "common/core/rng.hpp"
#include "common/core/thread_pool.hpp"

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

TEST_CASE("thread pool: every index visited exactly once, for any thread count and size") {
    for (int threads : {1, 2, 3, 5}) {
        set_threads(threads);
        CHECK(num_threads() == threads);
        for (int n : {0, 1, 2, 3, 7, 100, 1001}) {
            std::vector<std::atomic<int>> seen(n);
            for (auto& s : seen) s = 0;
            parallel_for(n, [&](int i0, int i1) {
                for (int i = i0; i < i1; i++) seen[i]++;
            });
            for (int i = 0; i < n; i++) CHECK(seen[i] == 1);
        }
    }
    set_threads(0);
}

TEST_CASE("thread pool: nested parallel_for runs serially inside a worker, and many back-to-back jobs work") {
    set_threads(3);
    std::atomic<long> total{0};
    for (int rep = 0; rep < 2000; rep++)
        parallel_for(6, [&](int i0, int i1) {
            for (int i = i0; i < i1; i++)
                parallel_for(4, [&](int j0, int j1) { total += (j1 - j0); });
        });
    CHECK(total == 2000L * 6 * 4);
    set_threads(0);
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

#include <sys/wait.h>
#include <unistd.h>

TEST_CASE("thread pool: a forked child can use threads and exit while the parent's pool sleeps") {
    set_threads(3);
    std::atomic<int> sum{0};
    parallel_for(30, [&](int i0, int i1) { sum += i1 - i0; });
    usleep(20000);  // let the workers go to sleep on the condition variable
    for (int rep = 0; rep < 5; rep++) {
        pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {  // child: use a pool, then exit through the static destructors
            std::atomic<int> n{0};
            parallel_for(10, [&](int i0, int i1) { n += i1 - i0; });
            std::exit(n == 10 ? 0 : 1);
        }
        int status = 0;
        // a hang would stop the suite here; bound it instead: poll for 10 s
        int waited = 0;
        while (waitpid(pid, &status, WNOHANG) == 0 && waited < 1000) usleep(10000), waited++;
        if (waited >= 1000) kill(pid, SIGKILL), waitpid(pid, &status, 0);
        CHECK_MESSAGE(waited < 1000, "the forked child hung at exit");
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
    }
    CHECK(sum == 30);
    set_threads(0);
}
