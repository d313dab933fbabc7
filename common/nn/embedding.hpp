// embedding.hpp — a lookup table: row ids[n] of table becomes row n of out.
//
//   out[n, :] = table[ids[n], :]
// The backward scatters the other way: dtable[ids[n], :] += dout[n, :]. Two positions with the
// same id add into the same table row, so the backward is split among threads by VOCABULARY
// rows: each thread owns a range of table rows and adds the positions n = 0..N−1 that hit them,
// in order. Every row is summed in the same order whatever the thread count: bit-identical.
#pragma once

namespace attn {

// ids is (N), table is (V,C), out is (N,C). An id outside [0, V) is an attn::Error naming its position.
void embedding_forward(float* out, const int* ids, const float* table, int N, int C, int V);
// dtable (V,C) += scatter of dout (N,C) by ids (N); ids are checked as in the forward.
void embedding_backward(float* dtable, const float* dout, const int* ids, int N, int C, int V);

}  // namespace attn
