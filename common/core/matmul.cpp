// matmul.cpp — the three matmul layouts (fast, with their naive twins) and the linear layer.
// The blocking, packing and the micro-kernel are explained in matmul_kernels.hpp.
#include "common/core/matmul.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "common/core/buffer.hpp"
#include "common/core/matmul_kernels.hpp"
#include "common/core/thread_pool.hpp"

namespace attn {

// ---- naive twins: the textbook triple loop, one dot product per output element -----------

void matmul_nt_naive(float* C, const float* A, const float* B, int M, int K, int N, bool accumulate) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            float acc = accumulate ? C[(size_t)i * N + j] : 0.0f;
            for (int k = 0; k < K; k++) acc += A[(size_t)i * K + k] * B[(size_t)j * K + k];
            C[(size_t)i * N + j] = acc;
        }
}
void matmul_nn_naive(float* C, const float* A, const float* B, int M, int K, int N, bool accumulate) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            float acc = accumulate ? C[(size_t)i * N + j] : 0.0f;
            for (int k = 0; k < K; k++) acc += A[(size_t)i * K + k] * B[(size_t)k * N + j];
            C[(size_t)i * N + j] = acc;
        }
}
void matmul_tn_naive(float* C, const float* A, const float* B, int M, int K, int N, bool accumulate) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            float acc = accumulate ? C[(size_t)i * N + j] : 0.0f;
            for (int k = 0; k < K; k++) acc += A[(size_t)k * M + i] * B[(size_t)k * N + j];
            C[(size_t)i * N + j] = acc;
        }
}

// ---- small products (under kTiny multiply-adds, below) -------------------------------------
// Too small to pack, but not one dependent chain per element as in the twins above (an add every ~4
// cycles): the loops run i, k, j, so that row i of C gains A(i,k) · (row k of B) for k = 0, 1, ..., and
// the j loop is vector multiply-adds over VL columns at once. Each C element is still one chain,
//     c = c + A(i,k)·B(k,j)  for k in order, from C or 0, each step one fused multiply-add,
// the fast kernel's own chain (matmul_kernels.hpp): a product has the same bits whatever its size
// (tests/common/test_matmul.cpp). The twins agree with it to rounding only: g++ compiles their
// acc += a*b as a rounded product and a rounded add. The attention heads' products of chapters
// 06 and 07 are this small; scalar, they were a tenth of the transformer's step. B is read by rows: the
// nt layout's B (N,K) is first copied to (K,N).
static void small_product(float* __restrict C, const float* A, size_t a_rs, size_t a_cs,
                          const float* __restrict B, int M, int K, int N, bool accumulate) {
    // A(i,k) = A[i·a_rs + k·a_cs], B (K,N) by rows, C (M,N)
    for (int i = 0; i < M; i++) {
        float* __restrict c = C + (size_t)i * N;
        if (!accumulate) std::fill(c, c + N, 0.0f);  // the chain starts from +0, as the kernel's
        for (int k = 0; k < K; k++) {
            const float a = A[(size_t)i * a_rs + (size_t)k * a_cs];
            const float* __restrict b = B + (size_t)k * N;
            for (int j = 0; j < N; j++) c[j] += a * b[j];  // c[i,j] += A(i,k) · B(k,j)
        }
    }
}
static void small_nt(float* C, const float* A, const float* B, int M, int K, int N, bool accumulate) {
    // A is (M,K), B is (N,K): Bt (K,N) = Bᵀ, a copy of under kTiny floats
    thread_local Buf Bt;
    if (Bt.size() < (size_t)K * N) Bt.resize((size_t)K * N);
    for (int j = 0; j < N; j++)
        for (int k = 0; k < K; k++) Bt[(size_t)k * N + j] = B[(size_t)j * K + k];
    small_product(C, A, K, 1, Bt.data(), M, K, N, accumulate);
}

// ---- the fast path ------------------------------------------------------------------------
namespace {
using namespace kernels;

// N rounded up to whole NR-column slivers: the row length of a B packed whole (PackedB)
size_t padded_cols(int N) { return (size_t)(N + NR - 1) / NR * NR; }

// C rows [i0,i1) x columns [j0,j1) (+)= A(i, k) · B(k, j), one thread, blocked as in matmul_kernels.hpp;
// C's rows are ldc apart (N, unless C is a block of a wider matrix).
// Packing scratch is per thread and kept between calls: it grows once, never per tile. Bpacked, when
// given, is all of B packed already (PackedB below), and its slivers are read where they lie.
void gemm_block(float* C, size_t ldc, View A, View B, const float* Bpacked, int K, int N, int i0, int i1, int j0,
                int j1, bool accumulate) {
    thread_local Buf Ap, Bp;
    if (Ap.size() < (size_t)MB * KC) Ap.resize((size_t)MB * KC);
    if (!Bpacked && Bp.size() < (size_t)KC * NC) Bp.resize((size_t)KC * NC);
    const size_t n_pad = padded_cols(N);
    for (int jc = j0; jc < j1; jc += NC) {
        int nc = std::min(NC, j1 - jc);
        for (int pc = 0; pc < K; pc += KC) {
            int kc = std::min(KC, K - pc);
            bool load = accumulate || pc > 0;  // continue the k chain from C after the first block
            const float* panel = Bpacked ? Bpacked + (size_t)pc * n_pad + (size_t)jc * kc : Bp.data();
            if (!Bpacked) pack_b(Bp.data(), B, pc, kc, jc, nc);
            for (int ib = i0; ib < i1; ib += MB) {  // MB rows of A: Aᵀ stored (K,M) packed at once ...
                const int ib1 = std::min(i1, ib + MB);
                if (A.cs != 1) pack_a_block(Ap.data(), A, ib, ib1 - ib, pc, kc);
                for (int ir = ib; ir < ib1; ir += MR) {  // ... one A sliver of them (in L1) ...
                    int rows = std::min(MR, ib1 - ir);
                    // A stored (M,K) has each row contiguous along k already: a whole sliver is read in place
                    const bool in_place = A.cs == 1 && rows == MR;
                    if (A.cs == 1 && !in_place) pack_a(Ap.data(), A, ir, rows, pc, kc);
                    const size_t at = A.cs == 1 ? 0 : (size_t)(ir - ib) * kc;  // the sliver in the block
                    const float* a = in_place ? A.at(ir, pc) : Ap.data() + at;
                    const size_t lda = in_place ? A.rs : 0;
                    for (int jr = 0; jr < nc; jr += NR) {  // ... meets every B sliver of the panel
                        const float* b = panel + (size_t)jr * kc;
                        float* c = C + (size_t)ir * ldc + (jc + jr);
                        int cols = std::min(NR, nc - jr);
                        if (rows == MR && cols == NR) micro_kernel(kc, a, b, c, ldc, load, lda);
                        else edge_kernel(kc, a, b, c, ldc, load, rows, cols, lda);
                    }
                }
            }
        }
    }
}

}  // namespace

// Threads split the OUTPUT: whole MR-row strips when C is tall, whole NR-column strips when it
// is wide (M=64, N=2000 still gives both cores work). The thread count changes who computes an
// element, never the order of its sum, so results are bit-identical for any thread count.
OutputStrips output_strips(int M, int N, double macs) {
    OutputStrips s;
    s.by_rows = M >= N;
    s.width = s.by_rows ? MR : NR;
    s.count = s.by_rows ? (M + MR - 1) / MR : (N + NR - 1) / NR;
    // at least ~256K multiply-adds per thread, or handing the work over costs more than it saves
    s.min_chunk = (int)std::min<double>(s.count, std::max(1.0, 262144.0 * s.count / macs));
    return s;
}

namespace {
void gemm(float* C, View A, View B, int M, int K, int N, bool accumulate, const float* Bpacked = nullptr) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0) {
        if (!accumulate) std::memset(C, 0, sizeof(float) * (size_t)M * N);
        return;
    }
    const OutputStrips s = output_strips(M, N, (double)M * N * K);
    parallel_for(
        s.count,
        [&](int u0, int u1) {
            if (s.by_rows) gemm_block(C, N, A, B, Bpacked, K, N, u0 * MR, std::min(M, u1 * MR), 0, N, accumulate);
            else gemm_block(C, N, A, B, Bpacked, K, N, 0, M, u0 * NR, std::min(N, u1 * NR), accumulate);
        },
        s.min_chunk);
}

// Below this many multiply-adds, packing costs more than it saves: small_product instead.
constexpr double kTiny = 4096;

std::atomic<long long> g_flops{0};  // matmul_flops()
void count(int M, int K, int N) { g_flops.fetch_add(2LL * M * K * N, std::memory_order_relaxed); }
}  // namespace

long long matmul_flops() { return g_flops.load(std::memory_order_relaxed); }
void count_matmul_flops(long long flops) { g_flops.fetch_add(flops, std::memory_order_relaxed); }

// ---- a wide nt product of few rows, as its transpose ----------------------------------------
// C (M,N) = A (M,K) · B (N,K)ᵀ with few rows and many columns (an RNN step's x · W_ihᵀ, M = 64):
// the kernel reads B in NR-column slivers of Bᵀ, so all of B is packed (transposed) for a product
// that meets each sliver only M/MR times: 10-15 % of its time. Its transpose gives the same numbers,
//     Cᵀ (N,M) = B (N,K) · A (M,K)ᵀ,
// with B now the left operand, read in place row by row (gemm_block), and only the small A packed.
// Each element is the same chain c = c + a·b over k in order (each step one fused multiply-add, and
// a·b = b·a), so these are matmul_nt's bits. Each thread takes whole MR-row strips of Cᵀ, as gemm,
// computes them in a scratch of its own and writes them back as its columns of C.
static bool transpose_pays(int M, int K, int N) { return M <= 128 && N >= 2 * M && K >= 2 * M; }
static void nt_as_transpose(float* C, const float* A, const float* B, int M, int K, int N, bool accumulate) {
    const OutputStrips s = output_strips(N, M, (double)M * N * K);  // N ≥ 2M: strips of MR rows of Cᵀ
    parallel_for(
        s.count,
        [&](int u0, int u1) {
            const int n0 = u0 * MR, n1 = std::min(N, u1 * MR), rows = n1 - n0;
            thread_local Buf Ct;  // rows [n0, n1) of Cᵀ: (rows, M)
            if (Ct.size() < (size_t)rows * M) Ct.resize((size_t)rows * M);
            if (accumulate) kernels::transpose(Ct.data(), M, C + n0, N, M, M, rows);  // Cᵀ rows = C columns
            const View Bt{B + (size_t)n0 * K, (size_t)K, 1}, At{A, 1, (size_t)K};  // rows n0.. of B; Aᵀ
            gemm_block(Ct.data(), M, Bt, At, nullptr, K, M, 0, rows, 0, M, accumulate);
            kernels::transpose(C + n0, N, Ct.data(), M, rows, rows, M);  // C[:, n0:n1] = (Cᵀ rows)ᵀ
        },
        s.min_chunk);
}

// Each layout only says how to read A(i,k) and B(k,j) — see View in matmul_kernels.hpp.
void matmul_nt(float* C, const float* A, const float* B, int M, int K, int N, bool accumulate) {
    // A is (M,K), B is (N,K), C is (M,N)
    count(M, K, N);
    if ((double)M * N * K < kTiny) return small_nt(C, A, B, M, K, N, accumulate);
    if (transpose_pays(M, K, N)) return nt_as_transpose(C, A, B, M, K, N, accumulate);
    gemm(C, View{A, (size_t)K, 1}, View{B, 1, (size_t)K}, M, K, N, accumulate);
}
void matmul_nn(float* C, const float* A, const float* B, int M, int K, int N, bool accumulate) {
    // A is (M,K), B is (K,N), C is (M,N)
    count(M, K, N);
    if ((double)M * N * K < kTiny) return small_product(C, A, K, 1, B, M, K, N, accumulate);
    gemm(C, View{A, (size_t)K, 1}, View{B, (size_t)N, 1}, M, K, N, accumulate);
}
void matmul_tn(float* C, const float* A, const float* B, int M, int K, int N, bool accumulate) {
    // A is (K,M), B is (K,N), C is (M,N)
    count(M, K, N);
    if ((double)M * N * K < kTiny) return small_product(C, A, 1, M, B, M, K, N, accumulate);
    gemm(C, View{A, 1, (size_t)M}, View{B, (size_t)N, 1}, M, K, N, accumulate);
}

// One thread's block of a product whose threads the caller arranges (conv2d's weight gradient): the
// fast kernels only, on the calling thread, whatever the size (a product cut into such blocks gives
// the bits of the whole product through gemm).
void matmul_nt_serial(float* C, size_t ldc, const float* A, size_t lda, const float* B, size_t ldb, int M, int K,
                      int N, bool accumulate) {
    // A is (M,K) with rows lda apart, B is (N,K) with rows ldb apart, C is (M,N) with rows ldc apart
    if (M <= 0 || N <= 0) return;
    if (K <= 0) {
        for (int i = 0; i < M && !accumulate; i++) std::fill(C + (size_t)i * ldc, C + (size_t)i * ldc + N, 0.0f);
        return;
    }
    count(M, K, N);
    gemm_block(C, ldc, View{A, lda, 1}, View{B, 1, ldb}, nullptr, K, N, 0, M, 0, N, accumulate);
}

// ---- B packed once -------------------------------------------------------------------------
// All of B in the order pack_b writes one panel: depth block by depth block (KC deep, the last one
// shorter), each block every NR-column sliver of B, zero-padded to whole slivers. gemm_block reads
// the sliver of columns [j, j + NR) of the block at depth pc at data + pc·n_pad + j·kc.
static void pack_all(PackedB& P, View B, const float* src, int K, int N, bool nt) {
    P.src = src, P.K = K, P.N = N, P.nt = nt;
    const size_t n_pad = padded_cols(N);
    P.data.resize(n_pad * (size_t)K);
    // A copy, split across the threads by NR-column slivers (a sliver of depth block pc lies at
    // pc·n_pad + j·kc): packed once per pass, but on one thread the others would wait for it.
    const int slivers = (int)(n_pad / NR);
    parallel_for(
        slivers,
        [&](int s0, int s1) {
            const int j0 = s0 * NR, j1 = std::min(N, s1 * NR);
            for (int pc = 0; pc < K; pc += KC) {
                const int kc = std::min(KC, K - pc);
                pack_b(P.data.data() + (size_t)pc * n_pad + (size_t)j0 * kc, B, pc, kc, j0, j1 - j0);
            }
        },
        std::max(1, 16384 / (NR * std::max(K, 1))));  // at least ~16K floats (slivers of NR × K) a range
}
void pack_nt(PackedB& P, const float* B, int K, int N) { pack_all(P, View{B, 1, (size_t)K}, B, K, N, true); }
void pack_nn(PackedB& P, const float* B, int K, int N) { pack_all(P, View{B, (size_t)N, 1}, B, K, N, false); }

void matmul_packed(float* C, const float* A, const PackedB& B, int M, bool accumulate) {
    const int K = B.K, N = B.N;
    if ((double)M * N * K < kTiny)  // the small loop, as the unpacked call takes
        return B.nt ? matmul_nt(C, A, B.src, M, K, N, accumulate) : matmul_nn(C, A, B.src, M, K, N, accumulate);
    count(M, K, N);
    gemm(C, View{A, (size_t)K, 1}, View{nullptr, 0, 0}, M, K, N, accumulate, B.data.data());
}

// ---- linear layer -------------------------------------------------------------------------

static void add_bias(float* out, const float* b, int M, int N) {
    parallel_for(
        M,
        [&](int i0, int i1) {
            for (int i = i0; i < i1; i++)
                for (int j = 0; j < N; j++) out[(size_t)i * N + j] += b[j];  // out[i,j] += b[j]
        },
        std::max(1, 16384 / std::max(N, 1)));
}

void linear_forward(float* out, const float* inp, const float* W, const float* b, int M, int K, int N) {
    // inp is (M,K), W is (N,K), b is (N), out is (M,N)
    matmul_nt(out, inp, W, M, K, N);  // out = inp · Wᵀ
    if (b) add_bias(out, b, M, N);
}
void linear_forward_packed(float* out, const float* inp, const PackedB& W, const float* b, int M) {
    // inp is (M,K), W packed by pack_nt from (N,K), b is (N), out is (M,N)
    matmul_packed(out, inp, W, M);  // out = inp · Wᵀ
    if (b) add_bias(out, b, M, W.N);
}
void linear_backward(float* dinp, float* dW, float* db, const float* dout, const float* inp, const float* W,
                     int M, int K, int N, bool accumulate) {
    // dout is (M,N), inp is (M,K), W is (N,K); dinp (M,K), dW (N,K), db (N)
    // out = inp · Wᵀ  =>  dinp += dout · W  (nn),  dW += doutᵀ · inp  (tn)
    if (dinp) matmul_nn(dinp, dout, W, M, N, K, accumulate);
    if (dW) matmul_tn(dW, dout, inp, N, M, K, true);
    // out[i,j] += b[j]  =>  db[j] += Σ_i dout[i,j]. Threads split the columns j; each sums its
    // columns over i in order, so db is the same for any thread count.
    if (db)
        parallel_for(
            N,
            [&](int j0, int j1) {
                for (int i = 0; i < M; i++)
                    for (int j = j0; j < j1; j++) db[j] += dout[(size_t)i * N + j];
            },
            std::max(1, 16384 / std::max(M, 1)));
}

}  // namespace attn
