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
// Speed (tests/bench/bench_matmul.cpp), one core: ~90-97 GFLOP/s from 256³ up on a Zen 4, ~0.8-1.0x
// OpenBLAS; 141-155 GFLOP/s on an AVX-512 Xeon, 0.94-1.05x OpenBLAS (0.87-0.92 at M = 64). Packed
// and blocked loops, one vector type (matmul_kernels.hpp), no intrinsics.
#pragma once

namespace attn {

void matmul_nt(float* C, const float* A, const float* B, int M, int K, int N, bool accumulate = false);
void matmul_nt_naive(float* C, const float* A, const float* B, int M, int K, int N, bool accumulate = false);

void matmul_nn(float* C, const float* A, const float* B, int M, int K, int N, bool accumulate = false);
void matmul_nn_naive(float* C, const float* A, const float* B, int M, int K, int N, bool accumulate = false);

void matmul_tn(float* C, const float* A, const float* B, int M, int K, int N, bool accumulate = false);
void matmul_tn_naive(float* C, const float* A, const float* B, int M, int K, int N, bool accumulate = false);

// 2·M·K·N for every product since the program started, summed over the three layouts (one relaxed
// atomic add per call): what the benchmarks divide by a step's time to report its GFLOP/s.
long long matmul_flops();

// ---- linear layer: out = inp · Wᵀ + b ----------------------------------------------------
// inp is (M,K), W is (N,K), b is (N) or nullptr, out is (M,N)
void linear_forward(float* out, const float* inp, const float* W, const float* b, int M, int K, int N);
// dinp (M,K) += dout · W;  dW (N,K) += doutᵀ · inp;  db (N) += Σ_rows dout.  Any of dinp/dW/db may be nullptr.
// accumulate = false: dinp = dout · W instead of += (not cleared first; the same bits as adding into
// zeros). dW and db always add.
void linear_backward(float* dinp, float* dW, float* db, const float* dout, const float* inp, const float* W,
                     int M, int K, int N, bool accumulate = true);

}  // namespace attn
