// thread_pool.hpp — one pool of persistent worker threads for the whole run.
//
//   attn::set_threads(n);                       // once, from --threads / ATTN_THREADS (0 = all cores)
//   attn::parallel_for(M, [&](int i0, int i1) { // rows [i0, i1) of the output belong to one thread
//       for (int i = i0; i < i1; i++) ...
//   });
//
// The rule that makes every result bit-identical on any number of threads: a parallel_for
// hands out disjoint ranges of *output* rows, and each output element is computed start to
// finish by one thread, in the same order as the serial loop. No two threads ever sum into
// the same element, so the thread count changes who computes a row, never how. (So a body
// must not depend on which thread runs it: no thread ids, no per-thread sums. Scratch kept per
// thread, as the matmul's packing buffers, is fine when every use rewrites it before reading.)
//
// Why persistent: starting a std::thread costs 40–50 µs here, more than a whole small matmul.
//
// Why it holds on a busy machine (a laptop always has a browser running): the ranges are fixed
// by n and the thread count, but WHO runs each one is not. The calling thread and the workers
// take whole ranges from one shared counter, so a range that no worker has started yet is run
// by the caller itself: when the workers are not scheduled, a parallel_for simply runs on fewer
// threads, never waits for a thread that is not running; and when a worker that had started a
// range is descheduled and keeps the caller waiting — or when for many jobs in a row no worker
// started any range, so that waking them only cost the caller time — the caller runs the next jobs
// alone for a while (the same ranges, so the same results). Waiting threads spin briefly (cheap
// hand-off for back-to-back calls), give the core away at once when another program wants it,
// and then sleep on a condition variable (so an idle pool, or a busy machine, costs no CPU).
// A parallel_for called from inside a range runs serially in that thread. A range that throws
// does not stop the others; the first exception is rethrown to the caller when all are done.
#pragma once
#include <algorithm>
#include <cstddef>
#include <type_traits>

namespace attn {

void set_threads(int n);  // n <= 0: ATTN_THREADS if set, else all cores
int num_threads();

namespace detail {
using RangeFn = void (*)(void* ctx, int i0, int i1);
void run_parallel(int n, int chunks, RangeFn fn, void* ctx);
bool in_worker();
}  // namespace detail

// Split [0, n) into at most num_threads() contiguous ranges of at least min_chunk items:
// range t is [n*t/k, n*(t+1)/k). The one partition of the project, written once.
template <class F>
void parallel_for(int n, F&& fn, int min_chunk = 1) {
    if (n <= 0) return;
    int k = detail::in_worker() ? 1 : std::min(num_threads(), (n + min_chunk - 1) / std::max(min_chunk, 1));
    if (k <= 1) {
        fn(0, n);
        return;
    }
    auto tramp = [](void* ctx, int i0, int i1) { (*static_cast<std::remove_reference_t<F>*>(ctx))(i0, i1); };
    detail::run_parallel(n, k, tramp, (void*)&fn);
}

// p[0, n) = 0, in blocks of 2¹⁵ floats across the threads. Clearing a gradient buffer of millions
// of floats is pure memory traffic; on one thread the others wait for it (chapter 11's backward
// clears 10 MB buffers several times a step).
inline void parallel_zero(float* p, std::size_t n) {
    constexpr std::size_t kBlock = std::size_t(1) << 15;
    parallel_for((int)((n + kBlock - 1) / kBlock), [&](int b0, int b1) {
        std::fill(p + b0 * kBlock, p + std::min(n, b1 * kBlock), 0.0f);
    });
}

}  // namespace attn
