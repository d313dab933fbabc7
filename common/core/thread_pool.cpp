// thread_pool.cpp — see thread_pool.hpp for the contract; the comments here say how it holds
// when the cores are shared with other programs.
#include "common/core/thread_pool.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <exception>
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

using Clock = std::chrono::steady_clock;
using std::chrono::microseconds;

// Waiting, in three steps (wait_until below):
//   1. spin on the shared word, so back-to-back jobs (a training step is hundreds of them) are
//      handed over in well under a µs on an idle machine;
//   2. every kProbe of spinning, offer the core to anyone else with sched_yield. If it comes back
//      late, another process was waiting for this core: stop spinning at once;
//   3. after kSpin in all (or after such a late return), sleep on a condition variable (a futex)
//      until woken. An idle pool, or a busy machine, costs no CPU.
constexpr microseconds kSpin{2000};  // longest spin before sleeping
constexpr microseconds kProbe{20};   // spinning between two yields
constexpr microseconds kLate{50};    // a yield that took longer than this was given to someone else

// Falling back to one thread. A worker that has started a range and is then descheduled (another
// program got its core) makes the caller wait for it, often a whole time slice of the scheduler.
// When the caller has waited longer than kStall, and longer than its own ranges took, it runs the
// next jobs alone (the same ranges, in order, so the same results) for a while: kStall after a
// first stall, twice as long after each stall that follows soon after, at most kAloneMax.
constexpr microseconds kStall{1000};
constexpr microseconds kAloneMax{200000};
// A worker that is not running at all causes no stall: the caller runs every chunk itself, but it
// still pays for waking the sleeping workers at each job (a system call, as long as a small job of
// chapter 06). After kIdleJobs jobs in a row in which no worker ran a chunk, the caller also falls
// back to running alone, as after a stall.
constexpr int kIdleJobs = 16;

// The current job's ticket, one 64-bit word: [job number : 32 | chunks : 16 | next chunk : 16].
// Claiming a chunk is one compare-and-swap of next -> next + 1, accepted only while the word still
// names the same job: a thread that was asleep through a whole job cannot claim a chunk of it, nor
// mistake the next job's chunks for its own.
constexpr uint64_t ticket_of(uint32_t job, int chunks, int next) {
    return (uint64_t)job << 32 | (uint64_t)chunks << 16 | (uint64_t)next;
}
constexpr uint32_t job_of(uint64_t t) { return (uint32_t)(t >> 32); }
constexpr int chunks_of(uint64_t t) { return (int)((t >> 16) & 0xffff); }
constexpr int next_of(uint64_t t) { return (int)(t & 0xffff); }

thread_local bool t_in_worker = false;  // inside a chunk: a nested parallel_for runs serially

struct Pool {
    int nthreads = 1;                  // including the calling thread
    std::vector<std::thread> workers;  // nthreads - 1 of them

    // The job. Written by the caller only while no chunk of any job can be claimed (before the
    // ticket is published, after every chunk is done); read only by a thread that holds a chunk.
    detail::RangeFn fn = nullptr;
    void* ctx = nullptr;
    int n = 0;
    std::exception_ptr error;  // the first exception a chunk threw (guarded by mu)

    std::atomic<uint64_t> ticket{0};
    uint32_t last_job = 0;       // the caller's count of jobs published
    std::atomic<int> done{0};    // chunks of the current job finished
    std::atomic<int> workers_asleep{0};  // on `wake`, waiting for a job
    std::atomic<int> caller_asleep{0};   // on `finished`, waiting for the workers' chunks
    std::atomic<bool> stop{false};
    Clock::time_point alone_until{}, last_stall{};  // the caller's: see kStall
    microseconds alone_for{0};
    int idle_jobs = 0;  // the caller's: jobs in a row that it ran entirely by itself
    std::mutex mu;
    std::condition_variable wake, finished;

    explicit Pool(int n_threads) : nthreads(n_threads) {
        for (int w = 1; w < nthreads; w++) workers.emplace_back([this] { worker_loop(); });
    }
    ~Pool() {
        stop = true;
        publish(ticket_of(last_job + 1, 0, 0));  // a job with no chunks: everyone wakes and sees stop
        for (auto& t : workers) t.join();
    }

    // Steps 1-3 above, until ready() holds. `sleeping` counts the threads asleep on `cv`.
    template <class Ready>
    void wait_until(Ready ready, std::condition_variable& cv, std::atomic<int>& sleeping) {
        const auto start = Clock::now();
        for (auto last = start;;) {
            for (int i = 0; i < 64; i++) {  // a few µs between clock reads
                if (ready()) return;
                cpu_relax();
            }
            auto now = Clock::now();
            if (now - start > kSpin) break;
            if (now - last > kProbe) {
                std::this_thread::yield();
                auto back = Clock::now();
                if (back - now > kLate) break;  // someone else needed this core: do not spin on it
                last = back;
            }
        }
        std::unique_lock<std::mutex> lk(mu);
        sleeping++;  // before ready() is read again; the waker reads it after making ready() true
        cv.wait(lk, ready);
        sleeping--;
    }
    // The waker's half, called after it made ready() true: wake only if someone said it sleeps.
    // (Both sides use sequentially consistent atomics, so either the sleeper sees ready() or the
    // waker sees the count; taking the mutex closes the gap between the sleeper's check and its wait.)
    void wake_if_sleeping(std::condition_variable& cv, std::atomic<int>& sleeping) {
        if (sleeping.load() == 0) return;
        { std::lock_guard<std::mutex> lk(mu); }
        cv.notify_all();
    }

    void publish(uint64_t t) {
        ticket.store(t);
        wake_if_sleeping(wake, workers_asleep);
    }

    // Take the next unclaimed chunk of `job`; -1 when every chunk is taken or the job is over.
    int claim(uint32_t job, int& chunks) {
        uint64_t t = ticket.load(std::memory_order_acquire);
        while (job_of(t) == job && next_of(t) < chunks_of(t))
            if (ticket.compare_exchange_weak(t, t + 1, std::memory_order_acq_rel, std::memory_order_acquire)) {
                chunks = chunks_of(t);
                return next_of(t);
            }
        return -1;
    }

    // Chunk c of k is [n*c/k, n*(c+1)/k): the partition depends on n and k only, never on who runs it.
    void run_chunk(int c, int k) {
        t_in_worker = true;
        try {
            fn(ctx, (int)((long long)n * c / k), (int)((long long)n * (c + 1) / k));
        } catch (...) {
            std::lock_guard<std::mutex> lk(mu);
            if (!error) error = std::current_exception();
        }
        t_in_worker = false;
    }

    // Run chunks of `job` until none is left; returns how many this thread ran.
    int run_chunks(uint32_t job) {
        int ran = 0, k = 0;
        for (int c; (c = claim(job, k)) >= 0; ran++) run_chunk(c, k);
        return ran;
    }

    void worker_loop() {
        uint32_t seen = 0;
        for (;;) {
            wait_until([&] { return job_of(ticket.load()) != seen; }, wake, workers_asleep);
            uint64_t t = ticket.load();
            seen = job_of(t);
            if (stop) return;
            const int k = chunks_of(t);  // read before `done` reaches k: the caller may then move on
            int ran = run_chunks(seen);
            if (ran > 0 && done.fetch_add(ran) + ran == k) wake_if_sleeping(finished, caller_asleep);
        }
    }

    // The caller publishes the job, runs chunks itself like any worker, and then waits only for
    // the chunks a worker has started. A chunk nobody has started by then is the caller's: when the
    // workers are not scheduled (another program has the cores), the caller runs the whole job
    // alone, as fast as one thread, instead of waiting for them.
    void run(int n_, int chunks, detail::RangeFn fn_, void* ctx_) {
        fn = fn_, ctx = ctx_, n = n_, error = nullptr;
        const auto t0 = Clock::now();
        if (t0 < alone_until) {  // falling back: the workers are not woken at all
            for (int c = 0; c < chunks; c++) run_chunk(c, chunks);
        } else {
            done.store(0, std::memory_order_relaxed);
            const uint32_t job = ++last_job;
            publish(ticket_of(job, chunks, 0));
            int ran = run_chunks(job);
            idle_jobs = ran == chunks ? idle_jobs + 1 : 0;
            if (idle_jobs >= kIdleJobs) idle_jobs = 0, fall_back(Clock::now());
            if (done.fetch_add(ran) + ran != chunks) {
                const auto t1 = Clock::now();
                wait_until([&] { return done.load() == chunks; }, finished, caller_asleep);
                const auto t2 = Clock::now();
                if (t2 - t1 > kStall && t2 - t1 > t1 - t0) fall_back(t2);
            }
        }
        if (error) std::rethrow_exception(error);
    }
    void fall_back(Clock::time_point now) {
        alone_for = (now - last_stall < 4 * alone_for) ? std::min(2 * alone_for, kAloneMax) : kStall;
        last_stall = now;
        alone_until = now + alone_for;
    }
};

std::unique_ptr<Pool> g_pool;
std::mutex g_pool_mu;            // serialises callers: one job at a time
std::atomic<int> g_nthreads{0};  // read without the lock (parallel_for asks on every call)

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
    if (t_in_worker)
        fail("set_threads", "called inside a parallel_for body", "set the thread count once, before the work starts");
    if (n > 65535) fail("set_threads", "expected at most 65535 threads, found " + std::to_string(n));
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
