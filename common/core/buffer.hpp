// buffer.hpp — the one container for numbers: a contiguous, 64-byte-aligned float array.
//
// Why aligned: vector loads that straddle a cache line are slower, and buffers that are
// only 16-byte aligned halved the speed of some of our loops on this machine. A plain
// std::vector with an aligned allocator keeps everything else ordinary (size(), data(),
// resize(), range-for), so a Buf reads like any vector of floats.
#pragma once
#include <cstddef>
#include <cstdlib>
#include <new>
#include <vector>

template <class T, std::size_t Align = 64>
struct AlignedAllocator {
    using value_type = T;
    template <class U> struct rebind { using other = AlignedAllocator<U, Align>; };
    AlignedAllocator() = default;
    template <class U> AlignedAllocator(const AlignedAllocator<U, Align>&) {}
    T* allocate(std::size_t n) {
#ifdef ATTN_EXACT_BUFFERS  // `mutants --sanitize`: exactly n elements, so AddressSanitizer sees one past the end
        void* p = nullptr;
        if (posix_memalign(&p, Align, n == 0 ? Align : n * sizeof(T)) != 0) throw std::bad_alloc();
#else
        std::size_t bytes = (n * sizeof(T) + Align - 1) / Align * Align;  // aligned_alloc wants a multiple
        void* p = std::aligned_alloc(Align, bytes == 0 ? Align : bytes);
        if (!p) throw std::bad_alloc();
#endif
        return static_cast<T*>(p);
    }
    void deallocate(T* p, std::size_t) { std::free(p); }
    template <class U> bool operator==(const AlignedAllocator<U, Align>&) const { return true; }
};

using Buf = std::vector<float, AlignedAllocator<float>>;  // activations, gradients, scratch
