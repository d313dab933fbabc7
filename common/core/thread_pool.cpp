// thread_pool.cpp — see thread_pool.hpp for the contract.
#include "common/core/thread_pool.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <pthread.h>
#include <string>
#include <thread>
#include <vector>

#include "common/core/error.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
static inline void cpu_relax() { _mm_pause(); }
#else
static inline void cpu_relax() {}
#endif

namespace attn {
namespace {

thread_local bool t_in_worker = false;

struct Pool {
    int nthreads = 1;                 // including the calling thread
    std::vector<std::thread> workers;  // nthreads - 1 of them

    // the job being run (valid while pending > 0)
    detail::RangeFn fn = nullptr;
    void* ctx = nullptr;
    int n = 0, chunks = 0;

    std::atomic<uint64_t> generation{0};  // bumped once per job
    std::atomic<int> pending{0};          // workers that have not yet finished this job
    std::atomic<bool> stop{false};
    std::mutex mu;
    std::condition_variable cv;

    explicit Pool(int n_threads) : nthreads(n_threads) {
        for (int w = 1; w < nthreads; w++) workers.emplace_back([this, w] { worker_loop(w); });
    }
    ~Pool() {
        {
            std::lock_guard<std::mutex> lk(mu);
            stop = true;
            generation++;
        }
        cv.notify_all();
        for (auto& t : workers) t.join();
    }

    void run_chunk(int c) { fn(ctx, (int)((long long)n * c / chunks), (int)((long long)n * (c + 1) / chunks)); }

    void worker_loop(int w) {
        t_in_worker = true;
        uint64_t seen = 0;
        for (;;) {
            // spin a little, then yield, then sleep until the next job: back-to-back jobs (a
            // training step is dozens of them) are handed over in well under a µs, while an idle
            // pool, or more threads than cores, costs no CPU
            uint64_t g = generation.load(std::memory_order_acquire);
            for (int spin = 0; g == seen && spin < 20000; spin++) {
                if (spin < 2000) cpu_relax();
                else std::this_thread::yield();
                g = generation.load(std::memory_order_acquire);
            }
            if (g == seen) {
                std::unique_lock<std::mutex> lk(mu);
                cv.wait(lk, [&] { return generation.load(std::memory_order_acquire) != seen; });
                g = generation.load(std::memory_order_acquire);
            }
            seen = g;
            if (stop) return;
            // worker w owns chunk w; with fewer chunks it only acknowledges the job. Every
            // worker acknowledges, so the caller cannot publish the next job's fields while a
            // slow worker might still read this one's.
            if (w < chunks) run_chunk(w);
            pending.fetch_sub(1, std::memory_order_acq_rel);
        }
    }

    void run(int n_, int chunks_, detail::RangeFn fn_, void* ctx_) {
        fn = fn_, ctx = ctx_, n = n_, chunks = chunks_;
        pending.store(nthreads - 1, std::memory_order_release);
        {
            std::lock_guard<std::mutex> lk(mu);  // pairs with the sleepers' predicate check
            generation.fetch_add(1, std::memory_order_acq_rel);
        }
        cv.notify_all();
        t_in_worker = true;  // nested parallel_for inside chunk 0 runs serially too
        run_chunk(0);
        t_in_worker = false;
        for (int spin = 0; pending.load(std::memory_order_acquire) != 0; spin++) {
            if (spin < 2000) cpu_relax();
            else std::this_thread::yield();  // a worker may be waiting for this core
        }
    }
};

std::unique_ptr<Pool> g_pool;
std::mutex g_pool_mu;                // serialises callers: one job at a time
std::atomic<int> g_nthreads{0};      // read without the lock (parallel_for asks on every call)

int default_threads() {
    if (const char* e = std::getenv("ATTN_THREADS")) {
        char* end = nullptr;
        long v = std::strtol(e, &end, 10);
        if (end == e || *end != '\0' || v < 1 || v > 256)
            fail("ATTN_THREADS", std::string("expected an integer from 1 to 256, found '") + e + "'");
        return (int)v;
    }
    unsigned hc = std::thread::hardware_concurrency();
    return hc == 0 ? 1 : (int)hc;
}

// After fork() only the calling thread exists in the child, but it inherits the pool object,
// whose condition variable still counts the parent's sleeping workers: destroying it (at exit)
// would wait for them forever. So the child abandons the inherited pool (a deliberate leak of
// one small object) and makes a fresh one if it ever needs threads.
void forget_pool_in_child() {
    (void)g_pool.release();
    g_nthreads = 0;
    new (&g_pool_mu) std::mutex();  // it may have been held by another parent thread at fork()
}

Pool& pool() {  // call with g_pool_mu held
    static bool atfork_registered = (pthread_atfork(nullptr, nullptr, forget_pool_in_child), true);
    (void)atfork_registered;
    if (!g_pool) {
        g_pool = std::make_unique<Pool>(default_threads());
        g_nthreads = g_pool->nthreads;
    }
    return *g_pool;
}

}  // namespace

void set_threads(int n) {
    std::lock_guard<std::mutex> lk(g_pool_mu);
    if (n <= 0) n = default_threads();
    if (g_pool && g_pool->nthreads == n) return;
    g_pool.reset();
    g_pool = std::make_unique<Pool>(n);
    g_nthreads = n;
}

int num_threads() {
    int n = g_nthreads.load(std::memory_order_acquire);
    if (n > 0) return n;
    std::lock_guard<std::mutex> lk(g_pool_mu);
    return pool().nthreads;
}

namespace detail {
bool in_worker() { return t_in_worker; }
void run_parallel(int n, int chunks, RangeFn fn, void* ctx) {
    std::lock_guard<std::mutex> lk(g_pool_mu);
    Pool& p = pool();
    if (chunks > p.nthreads) chunks = p.nthreads;
    p.run(n, chunks, fn, ctx);
}
}  // namespace detail

}  // namespace attn
