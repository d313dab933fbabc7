// channel_sums.hpp — per-channel sums over a (B, C, HW) tensor: batch norm's statistics and a
// convolution's bias gradient, Σ_{b,p} x[b, c, p] for each channel c.
//
// Each sum is in a fixed order (b, then p), so it is a chain of dependent additions: one add must
// finish before the next starts (about 4 cycles). Summing G channels side by side runs G independent
// chains at once (each in the order it has alone), which keeps the adder busy: G times the speed,
// the same numbers. G is 8 where 8 channels are left in the range, else 4, else 1. The accumulator
// type T is the caller's: batch norm sums in double, the bias gradient in float.
#pragma once
#include <algorithm>
#include <cstddef>

namespace attn {

// channels per thread chunk: a channel of a small batch is too little work to hand to a thread
inline int channels_chunk(int B, int HW) { return std::max(1, 16384 / std::max(B * HW, 1)); }

constexpr int kChannelGroup = 8;
// how many channels, from c, to sum side by side in the range [c, c1)
inline int channel_group(int c, int c1) {
    return c + kChannelGroup <= c1 ? kChannelGroup : c + 4 <= c1 ? 4 : 1;
}

// s[g] = Σ_{b,p} x[b, c+g, p] for g < G
template <int G, class T>
void channel_sums(T* s, const float* inp, int c, int B, int C, int HW) {
    for (int g = 0; g < G; g++) s[g] = 0;
    for (int b = 0; b < B; b++) {
        const float* x = inp + ((size_t)b * C + c) * HW;
        for (int p = 0; p < HW; p++)
            for (int g = 0; g < G; g++) s[g] += x[(size_t)g * HW + p];
    }
}
// the same for G = channel_group(...) known only at run time
template <class T>
void channel_sums(int G, T* s, const float* inp, int c, int B, int C, int HW) {
    if (G == kChannelGroup) channel_sums<kChannelGroup>(s, inp, c, B, C, HW);
    else if (G == 4) channel_sums<4>(s, inp, c, B, C, HW);
    else channel_sums<1>(s, inp, c, B, C, HW);
}

}  // namespace attn
