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
// the same element, so the thread count changes who computes a row, never how.
//
// Why persistent: starting a std::thread costs 40–50 µs here, more than a whole small matmul.
// Workers spin briefly on a generation counter (cheap hand-off for back-to-back calls), then
// sleep on a condition variable (so an idle pool, or 3 threads on 2 cores, does not burn CPU).
// A parallel_for called from inside a worker runs serially in that worker.
#pragma once
#include <algorithm>
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

}  // namespace attn
