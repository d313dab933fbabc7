// rnn_sequence.cpp — length checks and the bidirectional GRU / LSTM wrappers (see rnn_sequence.hpp).
#include "common/nn/rnn_sequence.hpp"

#include <cstring>
#include <string>

namespace attn {

int rnn_check_lengths(const int* lengths, int B, int T, const char* where) {
    if (B < 1 || T < 1)
        fail(where, "a batch of at least one sequence of at least one step, got B = " + std::to_string(B) +
                        ", T = " + std::to_string(T));
    if (!lengths) return T;
    int longest = 0;
    for (int b = 0; b < B; b++) {
        if (lengths[b] < 1 || lengths[b] > T)
            fail(where, "lengths[" + std::to_string(b) + "] in 1.." + std::to_string(T) + ", found " +
                            std::to_string(lengths[b]),
                 "an empty sequence has no final state; drop it from the batch or give it one token");
        longest = std::max(longest, lengths[b]);
    }
    return longest;
}

// out (B,T,2H) <- [a | b], and back
static void interleave(float* out, const float* a, const float* b, size_t rows, int H) {
    for (size_t r = 0; r < rows; r++) {
        std::memcpy(out + r * 2 * H, a + r * H, H * sizeof(float));
        std::memcpy(out + r * 2 * H + H, b + r * H, H * sizeof(float));
    }
}
static void split(float* a, float* b, const float* in, size_t rows, int H) {
    for (size_t r = 0; r < rows; r++) {
        std::memcpy(a + r * H, in + r * 2 * H, H * sizeof(float));
        std::memcpy(b + r * H, in + r * 2 * H + H, H * sizeof(float));
    }
}
// the second direction's (B,H) block of a (2,B,H) state, or nullptr
static float* second(float* s, int B, int H) { return s ? s + (size_t)B * H : nullptr; }
static const float* second(const float* s, int B, int H) { return s ? s + (size_t)B * H : nullptr; }

// ---- bidirectional GRU ------------------------------------------------------------------------

void bigru_declare(ParamSet& ps, BiGRUParams& p, const std::string& prefix, int C, int H) {
    gru_declare(ps, p.fwd, prefix + ".fwd", C, H);
    gru_declare(ps, p.bwd, prefix + ".bwd", C, H);
}

void bigru_cache_init(BiGRUCache& c, int B_max, int T_max, int C, int H) {
    gru_cache_init(c.fwd, B_max, T_max, C, H);
    gru_cache_init(c.bwd, B_max, T_max, C, H);
    for (Buf* b : {&c.out_f, &c.out_b, &c.dout_f, &c.dout_b}) b->assign((size_t)B_max * T_max * H, 0.0f);
}

void bigru_forward(float* out, float* hT, BiGRUCache& c, const float* inp, const float* h0, const int* lengths,
                   const BiGRUParams& p, int B, int T, int C, int H) {
    // inp is (B,T,C), out is (B,T,2H), h0 and hT are (2,B,H)
    gru_sequence_forward(c.out_f.data(), hT, c.fwd, inp, h0, lengths, p.fwd, B, T, C, H, false);
    gru_sequence_forward(c.out_b.data(), second(hT, B, H), c.bwd, inp, second(h0, B, H), lengths, p.bwd, B, T, C, H,
                         true);
    interleave(out, c.out_f.data(), c.out_b.data(), (size_t)B * T, H);
}

void bigru_backward(float* dinp, float* dh0, const BiGRUParams& p, const float* dout, const float* dhT,
                    BiGRUCache& c, const float* inp, const int* lengths, int B, int T, int C, int H) {
    // out = [out_f | out_b]  ->  each direction gets its half of dout; dinp gets the sum of both
    if (dout) split(c.dout_f.data(), c.dout_b.data(), dout, (size_t)B * T, H);
    gru_sequence_backward(dinp, dh0, p.fwd, dout ? c.dout_f.data() : nullptr, dhT, c.fwd, inp, lengths, B, T, C, H,
                          false);
    gru_sequence_backward(dinp, second(dh0, B, H), p.bwd, dout ? c.dout_b.data() : nullptr, second(dhT, B, H), c.bwd,
                          inp, lengths, B, T, C, H, true);
}

// ---- bidirectional LSTM -----------------------------------------------------------------------

void bilstm_declare(ParamSet& ps, BiLSTMParams& p, const std::string& prefix, int C, int H) {
    lstm_declare(ps, p.fwd, prefix + ".fwd", C, H);
    lstm_declare(ps, p.bwd, prefix + ".bwd", C, H);
}

void bilstm_cache_init(BiLSTMCache& c, int B_max, int T_max, int C, int H) {
    lstm_cache_init(c.fwd, B_max, T_max, C, H);
    lstm_cache_init(c.bwd, B_max, T_max, C, H);
    for (Buf* b : {&c.out_f, &c.out_b, &c.dout_f, &c.dout_b}) b->assign((size_t)B_max * T_max * H, 0.0f);
}

void bilstm_forward(float* out, float* hT, float* cT, BiLSTMCache& c, const float* inp, const float* h0,
                    const float* c0, const int* lengths, const BiLSTMParams& p, int B, int T, int C, int H) {
    // inp is (B,T,C), out is (B,T,2H), h0, c0, hT, cT are (2,B,H)
    lstm_sequence_forward(c.out_f.data(), hT, cT, c.fwd, inp, h0, c0, lengths, p.fwd, B, T, C, H, false);
    lstm_sequence_forward(c.out_b.data(), second(hT, B, H), second(cT, B, H), c.bwd, inp, second(h0, B, H),
                          second(c0, B, H), lengths, p.bwd, B, T, C, H, true);
    interleave(out, c.out_f.data(), c.out_b.data(), (size_t)B * T, H);
}

void bilstm_backward(float* dinp, float* dh0, float* dc0, const BiLSTMParams& p, const float* dout,
                     const float* dhT, const float* dcT, BiLSTMCache& c, const float* inp, const int* lengths, int B,
                     int T, int C, int H) {
    if (dout) split(c.dout_f.data(), c.dout_b.data(), dout, (size_t)B * T, H);
    lstm_sequence_backward(dinp, dh0, dc0, p.fwd, dout ? c.dout_f.data() : nullptr, dhT, dcT, c.fwd, inp, lengths, B,
                           T, C, H, false);
    lstm_sequence_backward(dinp, second(dh0, B, H), second(dc0, B, H), p.bwd, dout ? c.dout_b.data() : nullptr,
                           second(dhT, B, H), second(dcT, B, H), c.bwd, inp, lengths, B, T, C, H, true);
}

}  // namespace attn
