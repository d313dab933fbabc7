// softmax.hpp — row-wise softmax, masked softmax (the attention weights) and log-softmax.
//
// Every function works on a (rows, cols) row-major matrix and normalises each row on its own:
//   softmax:      out[r,j] = exp(x[r,j] − m_r) / Σ_k exp(x[r,k] − m_r),  m_r = max_k x[r,k]
//   log_softmax:  out[r,j] = x[r,j] − m_r − log Σ_k exp(x[r,k] − m_r)
// Subtracting the row maximum m_r changes nothing mathematically (it cancels) but keeps
// exp() ≤ 1, so large scores never overflow to inf. Backward ACCUMULATES (+=) into dinp.
// Rows are split among threads (each row belongs to one thread): results are bit-identical
// for any thread count.
#pragma once
#include <cstdint>

namespace attn {

// inp, out are (rows, cols). A score of -INFINITY gets weight exactly 0; a row of nothing but
// -INFINITY gives a row of zeros (see masked_softmax_forward).
void softmax_forward(float* out, const float* inp, int rows, int cols);
// dinp[r,j] += out[r,j] · (dout[r,j] − Σ_k dout[r,k] out[r,k])
void softmax_backward(float* dinp, const float* dout, const float* out, int rows, int cols);

// Softmax over the KEPT positions of each row only. Position (r,j) is kept when
//   (mask == nullptr || mask[r*cols + j] != 0)  and  (valid_len == nullptr || j < valid_len[r]).
// mask is (rows, cols) with 1 = keep; valid_len is (rows) with 0 ≤ valid_len[r] ≤ cols (else an
// attn::Error). Masked positions get exactly 0. A row with NO kept position (e.g. valid_len 0)
// gets an all-zero output row, not NaN: there is nothing to attend to, so it attends to nothing.
void masked_softmax_forward(float* out, const float* inp, const uint8_t* mask, const int* valid_len, int rows,
                            int cols);
// Same formula as softmax_backward: masked positions (out = 0) and fully masked rows get zero
// gradient by themselves, so no mask is needed here.
void masked_softmax_backward(float* dinp, const float* dout, const float* out, int rows, int cols);

// inp, out are (rows, cols); out = log softmax(inp), stable for any finite scores
void log_softmax_forward(float* out, const float* inp, int rows, int cols);
// dinp[r,j] += dout[r,j] − exp(out[r,j]) · Σ_k dout[r,k]
void log_softmax_backward(float* dinp, const float* dout, const float* out, int rows, int cols);

// index of the largest of x[0..n) (the first one on ties): the predicted class of a row of logits
int argmax_row(const float* x, int n);

}  // namespace attn
