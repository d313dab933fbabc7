// matmul.hpp — the three matrix-product layouts every chapter needs, and the linear layer.
//
//   matmul_nt:  C[M,N] (+)= A[M,K] · B[N,K]ᵀ   (B holds one row per output: the Linear weight layout)
//   matmul_nn:  C[M,N] (+)= A[M,K] · B[K,N]
//   matmul_tn:  C[M,N] (+)= A[K,M]ᵀ · B[K,N]   (weight gradients: dW = doutᵀ · inp)
//
// accumulate=false overwrites C; accumulate=true adds into it (backward passes add, +=).
// Every fast kernel has a naive twin (the textbook triple loop) right beside it; the tests
// hold them equal (to rounding: see matmul_kernels.hpp). The fast ones split the *output* among
// threads (strips of rows, or of columns when C is wide), and every element is summed in the
// same order whoever computes it, so a result is bit-identical for any thread count.
// Products under 4096 multiply-adds skip the packing: a loop by rows of C, one thread, the same
// chain of fused multiply-adds for each element, so the same bits as the kernels (matmul.cpp). A
// wide matmul_nt of at most 128 rows runs as its transpose, so that its large B is read where it lies
// rather than packed (matmul.cpp: nt_as_transpose): the same bits again.
// Speed (tests/bench/bench_matmul.cpp), one core: ~90-97 GFLOP/s from 256³ up on a Zen 4, ~0.8-1.0x
// OpenBLAS; on an AVX-512 Xeon 0.88-1.15x OpenBLAS on one thread from 256³ up and at the chapters'
// shapes (1.22-1.43x with M = 64 rows; 0.88x for chapter 02's dW_out, a tn product), 0.95-1.43x on
// two (results/BENCH.md); on an AVX2 Zen 3 0.96-1.04x on one thread, 0.96-1.06x on two
// (results/BENCH_avx2.md). Packed and blocked loops, one vector type (matmul_kernels.hpp), no intrinsics.
#pragma once
#include "common/core/buffer.hpp"

namespace attn {

void matmul_nt(float* C, const float* A, const float* B, int M, int K, int N, bool accumulate = false);
void matmul_nt_naive(float* C, const float* A, const float* B, int M, int K, int N, bool accumulate = false);

void matmul_nn(float* C, const float* A, const float* B, int M, int K, int N, bool accumulate = false);
void matmul_nn_naive(float* C, const float* A, const float* B, int M, int K, int N, bool accumulate = false);

void matmul_tn(float* C, const float* A, const float* B, int M, int K, int N, bool accumulate = false);
void matmul_tn_naive(float* C, const float* A, const float* B, int M, int K, int N, bool accumulate = false);

// ---- a product cut among threads by the caller ---------------------------------------------
// How the fast path cuts C (M,N) among threads: `count` strips of `width` rows (by_rows, when C is
// tall) or columns, at least `min_chunk` strips per hand-off (macs = the product's multiply-adds).
// A caller that runs a product in pieces of its own (conv2d's weight gradient, image by image) cuts
// C the same way, so that the whole product's tiles, and so its bits, are kept.
struct OutputStrips {
    bool by_rows;
    int width, count, min_chunk;
};
OutputStrips output_strips(int M, int N, double macs);
// On the calling thread only, one block of C: C (M,N) (+)= A (M,K) · B (N,K)ᵀ, with the rows of C,
// A and B ldc, lda and ldb floats apart. Always the fast kernels, even for tiny sizes.
void matmul_nt_serial(float* C, size_t ldc, const float* A, size_t lda, const float* B, size_t ldb, int M, int K,
                      int N, bool accumulate);

// ---- B packed once, for many products with it ---------------------------------------------
// The fast path copies B into the kernel's order on every call: a third of the time of a product
// with M = 64 rows (an RNN step: h_{t−1} · W_hhᵀ at every t, the same W_hh). Pack it once instead;
// matmul_packed then gives exactly the bits of matmul_nt / matmul_nn with the unpacked B. The pack
// is a copy: pack again whenever B changes (each forward pass, after the optimiser's step).
struct PackedB {
    Buf data;                    // B in the kernel's order (matmul_kernels.hpp)
    const float* src = nullptr;  // the matrix it was packed from (small products read it as it is)
    int K = 0, N = 0;
    bool nt = true;              // B stored (N,K), as matmul_nt reads it; false: (K,N), as matmul_nn
};
void pack_nt(PackedB& P, const float* B, int K, int N);  // B is (N,K): a Linear weight, for inp · Wᵀ
void pack_nn(PackedB& P, const float* B, int K, int N);  // B is (K,N): a Linear weight (N,K), for dout · W
void matmul_packed(float* C, const float* A, const PackedB& B, int M, bool accumulate = false);  // A (M,K)

// 2·M·K·N for every product since the program started, summed over the three layouts (one relaxed
// atomic add per call): what the benchmarks divide by a step's time to report its GFLOP/s.
long long matmul_flops();
// Products computed outside these functions (the direct convolution, conv2d_direct*.cpp) add their own
void count_matmul_flops(long long flops);

// ---- linear layer: out = inp · Wᵀ + b ----------------------------------------------------
// inp is (M,K), W is (N,K), b is (N) or nullptr, out is (M,N)
void linear_forward(float* out, const float* inp, const float* W, const float* b, int M, int K, int N);
// The same with W packed by pack_nt(P, W, K, N): the same bits.
void linear_forward_packed(float* out, const float* inp, const PackedB& W, const float* b, int M);
// dinp (M,K) += dout · W;  dW (N,K) += doutᵀ · inp;  db (N) += Σ_rows dout.  Any of dinp/dW/db may be nullptr.
// accumulate = false: dinp = dout · W instead of += (not cleared first; the same bits as adding into
// zeros). dW and db always add.
void linear_backward(float* dinp, float* dW, float* db, const float* dout, const float* inp, const float* W,
                     int M, int K, int N, bool accumulate = true);

}  // namespace attn
