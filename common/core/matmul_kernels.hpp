// matmul_kernels.hpp — the pieces of the fast matmul (used by matmul.cpp; the bench's FMA peak takes
// its vector type): packing and the register-tiled micro-kernel. Plain C++ loops, and in the
// micro-kernel one vector type of VL floats (GCC and clang's vector extension); g++/clang -O3
// -march=native turn them into vector FMAs. No intrinsics, so the same code runs on any CPU.
//
// The idea (Goto & van de Geijn, "Anatomy of High-Performance Matrix Multiplication", 2008):
//   C[M,N] += A[M,K] · B[K,N] is cut into blocks so that every number the inner loop touches
//   is already close to the CPU:
//     - a KC×NC panel of B (up to 1 MB) is packed once and streamed from L2,
//     - an MR×KC sliver of A (16 KB on AVX-512) sits in L1 while it meets every NR-column sliver,
//     - an MR×NR tile of C (8×32 floats = 16 AVX-512 registers, 6×16 = 12 AVX2 ones) sits in
//       registers for KC steps.
//   Packing copies each block once into the exact order the micro-kernel reads it (contiguous,
//   64-byte aligned, zero-padded to whole tiles), whatever the layout of the original matrix.
//   That is also how the three layouts (nt, nn, tn) share one kernel: only the packing differs.
//   One exception: an A stored (M,K) row by row (nt and nn) already holds each row's k values
//   side by side, and the kernel reads a whole MR-row sliver of it in place (lda > 0 below). Its
//   packing was a transpose repeated for every panel of B: 15 % of a ViT step, where K is 64.
//   The sizes were tuned on a Zen 4 (32 KB L1, 1 MB L2 per core): a large KC halves the trips of
//   each C tile between memory and registers, and keeping the A sliver (rather than a B sliver, as
//   in the paper) in L1 measured 5-15% faster there. NC was then 1024, a 2 MB panel; on the Intel
//   Xeon of results/BENCH.md (48 KB L1, 2 MB L2 per core) that panel filled all of L2, and the
//   products with N > 512 and K ≥ 512 ran at 0.72-0.75x OpenBLAS (chapter 02's logits, 1024³);
//   NC = 512 brought them to 0.85-0.95x, the others unchanged within noise (bench_matmul).
//   Neither size changes a result: blocking never reorders the sum of an element (below).
//
// Why the result does not depend on the thread count: each C element is one chain of
// multiply-adds c += a_k * b_k for k = 0, 1, ..., K-1, starting from 0 (or from C when
// accumulating), always in that order, whoever computes it. Blocking over K does not break the
// chain: the kernel reloads the partial sum from C and continues it. Padded zeros only ever meet
// padded rows/columns, which are never written back. (The textbook loop sums in the same order
// too, but the compiler may fuse its multiply-adds differently, so the two agree to rounding.)
#pragma once
#include <algorithm>
#include <cstddef>
#include <utility>

namespace attn::kernels {

// The vector: VL floats, as wide as this CPU's vector registers (AVX-512 16, AVX/AVX2 8, SSE or
// NEON 4). A vector type wider than the registers is not split into registers but expanded into
// scalar code (g++ 12): a 16-float type on an AVX2 CPU made this kernel 7.5 GFLOP/s, a twelfth of
// OpenBLAS's (CMakeLists.txt turns that warning, -Wvector-operation-performance, into an error).
// The register tile: MR×NR accumulators must fit the vector registers with room for the B row and
// the broadcast a value. AVX-512 has 32 registers of 16 floats: 8×32 = 16 registers. AVX2 has 16
// registers of 8 floats: 6×16 = 12 registers (BLIS's tile for these cores). (__AVX512F__ and
// __AVX__ are the compiler's own "what can this CPU do" macros, set by -march.)
#if defined(__AVX512F__)
constexpr int VL = 16;
constexpr int MR = 8;
#elif defined(__AVX__)
constexpr int VL = 8;
constexpr int MR = 6;
#else
constexpr int VL = 4;
constexpr int MR = 4;
#endif
constexpr int NR = 2 * VL;  // two vectors per row of the tile
constexpr int KC = 512;   // depth of a packed block: MR*KC*4 B = 16 KB of A on AVX-512, 12 on AVX2 (in L1)
constexpr int NC = 512;   // columns of a packed B panel (KC*NC*4 B = 1 MB)

// Packing. A sliver is W rows (or columns) wide and kc deep, stored as dst[k*W + w]: the W values
// the micro-kernel needs at step k sit next to each other. Lanes past the edge of the matrix are
// zero-padded. Each operand arrives in one of two orientations:
//   pack_copy:       src[k*ld + w]  (w contiguous)   B stored (K,N) (and Aᵀ stored (K,M) in matmul_tn,
//                                                    several slivers at once: pack_a_block)
//   pack_transposed: src[w*ld + k]  (k contiguous)   A stored (M,K); B stored (N,K) in matmul_nt
//
// vecf: VL floats as one value (GCC and clang's vector extension: one vector register), used by
// pack_copy, pack_transposed and the micro-kernel below.
// vec<W>: W floats, for W = 4, 8, ..., VL (a narrower vector is half a register, or a quarter).
template <int W>
struct VecOf {  // (the attribute needs a typedef: on an alias template g++ ignores it)
    typedef float type __attribute__((vector_size(W * sizeof(float))));
};
template <int W>
using vec = typename VecOf<W>::type;
using vecf = vec<VL>;
template <int W = VL>
inline vec<W> loadv(const float* p) {
    vec<W> v;
    __builtin_memcpy(&v, p, sizeof v);  // any alignment: the rows of C are not aligned
    return v;
}
inline void storev(float* p, const vecf& v) { __builtin_memcpy(p, &v, sizeof v); }

template <int W>  // W a whole number of vectors (B's slivers: NR)
inline void pack_copy(float* __restrict dst, const float* __restrict src, size_t ld, int width, int kc) {
    static_assert(W % VL == 0, "pack_copy copies whole vectors");
    for (int k = 0; k < kc; k++) {
        const float* s = src + (size_t)k * ld;
        float* d = dst + (size_t)k * W;
        if (width == W)  // whole vectors (W = NR): the plain loop compiled to a memmove call per row
            for (int v = 0; v < W / VL; v++) storev(d + VL * v, loadv(s + VL * v));
        else
            for (int w = 0; w < W; w++) d[w] = w < width ? s[w] : 0.0f;
    }
}
// A W×W block transposed in registers (W = VL unless given): r[i] holds row i on entry, column i on
// return. log2(W) rounds, each swapping the off-diagonal b×b blocks of every 2b×2b block (b = W/2,
// ..., 2, 1): row i (bit b clear) and row i + b trade their halves,
//   r[i][j]     <- (j & b) ? r[i + b][j − b] : r[i][j]
//   r[i + b][j] <- (j & b) ? r[i + b][j]     : r[i][j + b]
// each a two-source shuffle (one instruction on AVX-512); after the last round element (i, j) sits
// at (j, i). On AVX-512, 64 shuffles move 256 numbers: a quarter of a cycle per number.
template <int W, int b, int... j>
inline void swap_blocks(vec<W>& lo, vec<W>& hi, std::integer_sequence<int, j...>) {
    const vec<W> x = __builtin_shufflevector(lo, hi, ((j & b) ? W + j - b : j)...);
    const vec<W> y = __builtin_shufflevector(lo, hi, ((j & b) ? W + j : j + b)...);
    lo = x, hi = y;
}
template <int W, int b>
inline void transpose_round(vec<W>* r) {
    for (int i = 0; i < W; i++)
        if (!(i & b)) swap_blocks<W, b>(r[i], r[i + b], std::make_integer_sequence<int, W>{});
}
template <int W = VL, int b = W / 2>
inline void transpose_block(vec<W>* r) {
    transpose_round<W, b>(r);
    if constexpr (b > 1) transpose_block<W, b / 2>(r);
}

// dst (cols, ldd) = srcᵀ of src (rows, cols) with row stride lds, rows [rows, rows_p) as zeros:
//   dst[q·ldd + r] = r < rows ? src[r·lds + q] : 0   for r < rows_p, q < cols
// VL rows × VL columns at a time through registers (transpose_block), the columns left one by one.
inline void transpose(float* dst, size_t ldd, const float* src, size_t lds, int rows, int rows_p, int cols) {
    for (int r0 = 0; r0 < rows_p; r0 += VL) {
        const int n = std::min(VL, rows_p - r0);
        int q0 = 0;
        if (n == VL)
            for (; q0 + VL <= cols; q0 += VL) {
                vecf r[VL];  // r[i] = src[r0 + i, q0 ...]
                for (int i = 0; i < VL; i++) r[i] = r0 + i < rows ? loadv(src + (r0 + i) * lds + q0) : vecf{};
                transpose_block(r);  // r[i] = src[r0 ..., q0 + i]
                for (int i = 0; i < VL; i++) storev(dst + (q0 + i) * ldd + r0, r[i]);
            }
        for (; q0 < cols; q0++)
            for (int i = 0; i < n; i++)
                dst[q0 * ldd + r0 + i] = r0 + i < rows ? src[(r0 + i) * lds + q0] : 0.0f;
    }
}

// A transpose. Whole slivers (W a multiple of VL) go in VL×VL blocks through registers (transpose_block);
// the rest in 8-deep chunks of k: reading along k and writing across W at once would
// scatter stores over the whole sliver (one cache line per k), which made packing cost ~20% of a
// 512³ product; now it is about one cycle per number.
template <int W>
inline void pack_transposed(float* __restrict dst, const float* __restrict src, size_t ld, int width, int kc) {
    constexpr int KB = 8;
    int k0 = 0;
    if (W % VL == 0 && width == W)
        for (; k0 + VL <= kc; k0 += VL)
            for (int w0 = 0; w0 < W; w0 += VL) {
                vecf r[VL];  // r[w] = src[(w0 + w)·ld + k0 ...], VL values of k
                for (int w = 0; w < VL; w++) r[w] = loadv(src + (size_t)(w0 + w) * ld + k0);
                transpose_block(r);  // r[kk] = the VL values of w at depth k0 + kk
                for (int kk = 0; kk < VL; kk++) storev(dst + (size_t)(k0 + kk) * W + w0, r[kk]);
            }
    for (; k0 + KB <= kc; k0 += KB) {
        for (int w = 0; w < width; w++) {
            const float* s = src + (size_t)w * ld + k0;
            for (int kk = 0; kk < KB; kk++) dst[(size_t)(k0 + kk) * W + w] = s[kk];
        }
        for (int w = width; w < W; w++)
            for (int kk = 0; kk < KB; kk++) dst[(size_t)(k0 + kk) * W + w] = 0.0f;
    }
    for (; k0 < kc; k0++)
        for (int w = 0; w < W; w++) dst[(size_t)k0 * W + w] = w < width ? src[(size_t)w * ld + k0] : 0.0f;
}

// A matrix seen through strides: element (r, c) is p[r*rs + c*cs], with rs == 1 or cs == 1.
// Lets one packer read A (M,K) (rs=K, cs=1), Aᵀ stored (K,M) (rs=1, cs=M), and B either way.
struct View {
    const float* p;
    size_t rs, cs;
    const float* at(int r, int c) const { return p + (size_t)r * rs + (size_t)c * cs; }
};

// One sliver of A stored (M,K) (A.cs = 1): rows [i0, i0+rows) (rows <= MR) x depth [p0, p0+kc), as
// Ap[k][i] = A(i0 + i, p0 + k). (gemm_block reads a whole sliver of such an A in place: only a sliver
// cut short by the edge of A is packed.)
inline void pack_a(float* Ap, View A, int i0, int rows, int p0, int kc) {
    pack_transposed<MR>(Ap, A.at(i0, p0), A.rs, rows, kc);
}

// Aᵀ stored (K,M) (A.rs = 1: matmul_tn's A, a layer's dout): the slivers of rows [i0, i0+rows)
// (rows <= MB) side by side, sliver s (rows i0 + s·MR ...) at Ap + s·MR·kc as Ap[k][i], zeros past
// the edge. Each row of Aᵀ is read MB floats at a time, whole cache lines. (One sliver at a time read
// MR floats of each row, the rows M floats apart, and each line came in two or three times, evicted
// between the slivers that share it by the B panel the kernel streams: packing took 18 % of the time
// of chapter 02's dW_out product.)
constexpr int MB = 8 * MR;
inline void pack_a_block(float* Ap, View A, int i0, int rows, int p0, int kc) {
    constexpr int kAhead = 8;  // rows of Aᵀ fetched ahead: they lie pages apart, where no prefetcher looks
    for (int k = 0; k < kc; k++) {
        const float* src = A.at(i0, p0 + k);  // A(i0 .. i0 + rows, p0 + k), contiguous (A.rs = 1)
        if (k + kAhead < kc)  // every 64-byte line of row k + kAhead's floats (the last one's too)
            for (int f = 0; f < rows + 16; f += 16)
                __builtin_prefetch(A.at(i0 + std::min(f, rows - 1), p0 + k + kAhead));
        for (int s = 0; s * MR < rows; s++) {
            float* d = Ap + (size_t)s * MR * kc + (size_t)k * MR;
            const int width = std::min(MR, rows - s * MR);
            // MR floats, fewer than a vector: one copy (written `d[w] = s[w]`, g++ 12 built it float by
            // float, and tn was 5–12 % slower)
            if (width == MR) __builtin_memcpy(d, src + s * MR, MR * sizeof(float));
            else
                for (int w = 0; w < MR; w++) d[w] = w < width ? src[s * MR + w] : 0.0f;
        }
    }
}

// Depth [p0, p0+kc) x columns [j0, j0+nc) of B as NR-column slivers: Bp[s][k][j] = B(p0 + k, j0 + s*NR + j).
inline void pack_b(float* Bp, View B, int p0, int kc, int j0, int nc) {
    for (int s = 0; s * NR < nc; s++) {
        int cols = nc - s * NR < NR ? nc - s * NR : NR;
        const float* src = B.at(p0, j0 + s * NR);
        if (B.cs == 1) pack_copy<NR>(Bp + (size_t)s * NR * kc, src, B.rs, cols, kc);
        else pack_transposed<NR>(Bp + (size_t)s * NR * kc, src, B.cs, cols, kc);
    }
}

// The micro-kernel: an MR×NR tile of C (row stride ldc) += (MR×kc sliver of A) · (kc×NR sliver of B).
// load=false starts the chain from 0 instead of reading C (the first K block of an overwrite).
// Each row of the tile is NR/VL vectors of VL floats (vecf, above), held in registers for the kc
// steps; each k step loads the NR/VL vectors of b[k][:] and, for each row i, multiplies them by the
// one number a[k][i] and adds: a broadcast from memory and NR/VL vector FMAs. (Written as plain
// scalar loops, g++ 12 loaded the a values as a vector and spread them with permutes, which on Intel
// cores take the port of one of the two FMA units: 92 GFLOP/s on a Xeon where this kernel makes 150.
// The arithmetic is the same: c_ij = c_ij + a_ik b_kj for k in order, each a fused multiply-add, so
// the numbers did not change.)

// The kc steps of the kernel on the accumulators of the tile. InPlace = false: a is a packed sliver,
// a[k*MR + i]. InPlace = true: a is A itself, row-major with row stride lda, a[i*lda + k] (rows of A
// are contiguous along k already; see gemm_block in matmul.cpp). One body, two ways to find a_ik.
// NV, MU: the vectors of each row and the rows that are computed, NR/VL and MR for a whole tile;
// fewer for a tile cut short by the edge of C (edge_kernel), which then reads only the first NV·VL
// floats of each row of b and the first MU values of each step of a.
// The k loop is unrolled 4 steps deep: one step is 12 FMAs and 8 loads on AVX2, and the loop's own
// two pointer increments, compare and branch were a sixth of its instructions. Unrolled, the products
// of the models' shapes took 0.87-0.98 of their time on the Zen 3 of results/BENCH_avx2.md (2 or 8
// steps deep measured the same as 4). The steps and each chain stay in order: the same numbers.
template <bool InPlace, int NV, int MU>
inline void kernel_steps(int kc, const float* __restrict a, size_t lda, const float* __restrict b,
                         vecf (&acc)[MU][NV]) {
#pragma GCC unroll 4
    for (int k = 0; k < kc; k++) {
        vecf bk[NV];  // row k of the B sliver
        for (int v = 0; v < NV; v++) bk[v] = loadv(b + k * NR + VL * v);
#pragma GCC unroll 8
        for (int i = 0; i < MU; i++) {
            const float ai = InPlace ? a[i * lda + k] : a[k * MR + i];  // a_ik
            for (int v = 0; v < NV; v++) acc[i][v] += ai * bk[v];      // c_ij = c_ij + a_ik b_kj
        }
    }
}

// lda = 0: a is a packed sliver; lda > 0: a is A read in place (kernel_steps). NV, MU as kernel_steps:
// rows [0, MU) × columns [0, NV·VL) of the tile are computed and stored, the others are not touched.
template <int NV = NR / VL, int MU = MR>
inline void micro_kernel(int kc, const float* __restrict a, const float* __restrict b, float* __restrict c,
                         size_t ldc, bool load, size_t lda = 0) {
    vecf acc[MU][NV];
    for (int i = 0; i < MU; i++)
        for (int v = 0; v < NV; v++) acc[i][v] = load ? loadv(c + i * ldc + VL * v) : vecf{};
    if (lda == 0) kernel_steps<false, NV, MU>(kc, a, 0, b, acc);
    else kernel_steps<true, NV, MU>(kc, a, lda, b, acc);
    for (int i = 0; i < MU; i++)
        for (int v = 0; v < NV; v++) storev(c + i * ldc + VL * v, acc[i][v]);
}

// The same for a tile cut short by the edge of C (rows < MR or cols < NR): run the kernel on a
// private MR×NR copy, then write back only the part that exists. A tile of at most VL columns (the
// attention's products of one head, 16 or 8 wide) computes one vector per row instead of NR/VL, and
// one of at most MR/2 rows (the last of 17 tokens) computes MR/2 rows: each c_ij is the same chain
// of multiply-adds either way. The copy is read only when load is set. (A tile of fewer than MR rows
// is always packed, lda = 0: gemm_block reads A in place only for whole slivers.)
inline void edge_kernel(int kc, const float* a, const float* b, float* c, size_t ldc, bool load, int rows,
                        int cols, size_t lda = 0) {
    alignas(64) float tile[MR * NR];
    if (load) {
        std::fill(tile, tile + MR * NR, 0.0f);
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) tile[i * NR + j] = c[i * ldc + j];
    }
    constexpr int NV = NR / VL, HALF = MR / 2;
    const bool narrow = cols <= VL, few_rows = rows <= HALF;
    if (narrow && few_rows) micro_kernel<1, HALF>(kc, a, b, tile, NR, load, lda);
    else if (narrow) micro_kernel<1, MR>(kc, a, b, tile, NR, load, lda);
    else if (few_rows) micro_kernel<NV, HALF>(kc, a, b, tile, NR, load, lda);
    else micro_kernel<NV, MR>(kc, a, b, tile, NR, load, lda);
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) c[i * ldc + j] = tile[i * NR + j];
}

}  // namespace attn::kernels
