// matmul_kernels.hpp — the pieces of the fast matmul (used only by matmul.cpp): packing and the
// register-tiled micro-kernel. Plain C++ loops; g++/clang -O3 -march=native turn them into
// vector FMAs. No intrinsics, so the same code runs (slower) on any CPU.
//
// The idea (Goto & van de Geijn, "Anatomy of High-Performance Matrix Multiplication", 2008):
//   C[M,N] += A[M,K] · B[K,N] is cut into blocks so that every number the inner loop touches
//   is already close to the CPU:
//     - a KC×NR sliver of B (16 KB) sits in L1 while it meets every MR-row sliver of A,
//     - an MC×KC block of A (128 KB) sits in L2 while it meets every sliver of a B panel,
//     - an MR×NR tile of C (8×32 floats = 16 vector registers) sits in registers for KC steps.
//   Packing copies each block once into the exact order the micro-kernel reads it (contiguous,
//   64-byte aligned, zero-padded to whole tiles), whatever the layout of the original matrix.
//   That is also how the three layouts (nt, nn, tn) share one kernel: only the packing differs.
//
// Why the result does not depend on the thread count: each C element is one chain of
// multiply-adds c += a_k * b_k for k = 0, 1, ..., K-1, starting from 0 (or from C when
// accumulating), always in that order, whoever computes it. Blocking over K does not break the
// chain: the kernel reloads the partial sum from C and continues it. Padded zeros only ever meet
// padded rows/columns, which are never written back. (The textbook loop sums in the same order
// too, but the compiler may fuse its multiply-adds differently, so the two agree to rounding.)
#pragma once
#include <cstddef>

namespace attn::kernels {

constexpr int MR = 8;    // rows of the register tile
constexpr int NR = 32;   // columns of the register tile (2 AVX-512 or 4 AVX2 vectors)
constexpr int KC = 256;  // depth of a packed block: KC*NR*4 B = 32 KB of B; MR*KC*4 B = 8 KB of A
constexpr int MC = 128;  // rows of A per packed block  (MC*KC*4 B = 128 KB, lives in L2)
constexpr int NC = 2048; // columns of B per packed panel (KC*NC*4 B = 2 MB, lives in L3)

// A matrix seen through strides: element (r, c) is p[r*rs + c*cs]. Lets one packer read
// A (M,K) row-major (rs=K, cs=1), Aᵀ stored as (K,M) (rs=1, cs=M), and B either way.
struct View {
    const float* p;
    size_t rs, cs;
    float at(int r, int c) const { return p[(size_t)r * rs + (size_t)c * cs]; }
};

// Pack rows [i0, i0+mc) x depth [p0, p0+kc) of A into MR-row slivers: Ap[s][k][i] = A(i0+s*MR+i, p0+k),
// rows past the end padded with zeros.
inline void pack_a(float* __restrict Ap, View A, int i0, int mc, int p0, int kc) {
    for (int s = 0; s * MR < mc; s++) {
        float* dst = Ap + (size_t)s * MR * kc;
        int rows = mc - s * MR < MR ? mc - s * MR : MR;
        if (A.rs == 1) {  // Aᵀ stored (K,M): a sliver row of MR values is contiguous in memory
            for (int k = 0; k < kc; k++)
                for (int i = 0; i < MR; i++) dst[k * MR + i] = i < rows ? A.at(i0 + s * MR + i, p0 + k) : 0.0f;
        } else {  // A stored (M,K): walk each row of A contiguously
            for (int i = 0; i < MR; i++)
                for (int k = 0; k < kc; k++) dst[k * MR + i] = i < rows ? A.at(i0 + s * MR + i, p0 + k) : 0.0f;
        }
    }
}

// Pack depth [p0, p0+kc) x columns [j0, j0+nc) of B into NR-column slivers: Bp[s][k][j] = B(p0+k, j0+s*NR+j),
// columns past the end padded with zeros.
inline void pack_b(float* __restrict Bp, View B, int p0, int kc, int j0, int nc) {
    for (int s = 0; s * NR < nc; s++) {
        float* dst = Bp + (size_t)s * NR * kc;
        int cols = nc - s * NR < NR ? nc - s * NR : NR;
        if (B.cs == 1 && cols == NR) {  // B stored (K,N): each k is one contiguous run of NR floats
            for (int k = 0; k < kc; k++) {
                const float* src = B.p + (size_t)(p0 + k) * B.rs + (j0 + s * NR);
                for (int j = 0; j < NR; j++) dst[k * NR + j] = src[j];
            }
        } else if (B.rs == 1) {  // Bᵀ stored (N,K) (the Linear weight): walk each weight row contiguously
            for (int j = 0; j < NR; j++)
                for (int k = 0; k < kc; k++) dst[k * NR + j] = j < cols ? B.at(p0 + k, j0 + s * NR + j) : 0.0f;
        } else {
            for (int k = 0; k < kc; k++)
                for (int j = 0; j < NR; j++) dst[k * NR + j] = j < cols ? B.at(p0 + k, j0 + s * NR + j) : 0.0f;
        }
    }
}

// The micro-kernel: an MR×NR tile of C (row stride ldc) += (MR×kc sliver of A) · (kc×NR sliver of B).
// load=false starts the chain from 0 instead of reading C (the first K block of an overwrite).
// acc[][] is 8×32 floats: the compiler keeps it in 16 zmm (AVX-512) registers; each k step is
// MR broadcasts of a[k][i] and MR*NR/16 vector FMAs against the two vectors of b[k][:].
inline void micro_kernel(int kc, const float* __restrict a, const float* __restrict b, float* __restrict c,
                         size_t ldc, bool load) {
    float acc[MR][NR];
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < NR; j++) acc[i][j] = load ? c[i * ldc + j] : 0.0f;
    for (int k = 0; k < kc; k++) {
#pragma GCC unroll 8
        for (int i = 0; i < MR; i++)
#pragma GCC unroll 32
            for (int j = 0; j < NR; j++) acc[i][j] += a[k * MR + i] * b[k * NR + j];  // c_ij = fma(a_ik, b_kj, c_ij)
    }
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < NR; j++) c[i * ldc + j] = acc[i][j];
}

// The same for a tile cut short by the edge of C (rows < MR or cols < NR): run the full kernel
// on a private MR×NR copy, then write back only the part that exists.
inline void edge_kernel(int kc, const float* a, const float* b, float* c, size_t ldc, bool load, int rows,
                        int cols) {
    alignas(64) float tile[MR * NR] = {};
    if (load)
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) tile[i * NR + j] = c[i * ldc + j];
    micro_kernel(kc, a, b, tile, NR, load);
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) c[i * ldc + j] = tile[i * NR + j];
}

}  // namespace attn::kernels
