// conv2d_direct_tiles.hpp — what the direct convolution's three passes share (conv2d_direct.cpp: the
// forward; conv2d_direct_weight_grad.cpp, conv2d_direct_input_grad.cpp): the offsets of the taps and
// pixels, and how many channels a tile holds. Only those three files include it.
#pragma once
#include <algorithm>
#include <vector>

#include "common/core/matmul_kernels.hpp"  // VL

namespace attn::direct_conv {

using kernels::VL;

// Accumulators a kernel keeps in registers: 24 of AVX-512's 32 vector registers, 12 of AVX2's 16
constexpr int kAccs = VL == 16 ? 24 : 12;

// tap[k] = c·H·Wd + i·Wd + j for k = (c·KH + i)·KW + j, and pix[q] = y·Wd + x for q = y·OW + x (the
// offsets of conv2d_direct.hpp), into vectors the caller keeps: a few hundred ints a call, no allocation
// once they have grown
inline void tap_offsets(std::vector<int>& tap, int C_in, int H, int Wd, int KH, int KW) {
    tap.clear();
    for (int c = 0; c < C_in; c++)
        for (int i = 0; i < KH; i++)
            for (int j = 0; j < KW; j++) tap.push_back((c * H + i) * Wd + j);
}
inline void pixel_offsets(std::vector<int>& pix, int Wd, int OH, int OW) {
    pix.clear();
    for (int y = 0; y < OH; y++)
        for (int x = 0; x < OW; x++) pix.push_back(y * Wd + x);
}

// Channels padded to whole blocks of NO vectors: Cp columns, the ones past C_out zero
inline int padded_channels(int C_out, int NO) { return (C_out + NO * VL - 1) / (NO * VL) * (NO * VL); }
// Vectors of channels per block: the most that pad C_out least, up to 4, and as many as leave a
// register spare beside the kAccs accumulators, the block's NO weight vectors and the broadcast pixel
// (kAccs + NO + 1 < kRegs): AVX-512 up to 4, AVX2 up to 2. (On AVX2 48 channels are 6 vectors:
// blocks of 4 padded them to 64 and made the classifier's second conv slower than im2col's, 1.09–1.20
// of its forward time. Blocks of 3 pad nothing, but 12 + 3 + 1 fill all 16 registers, and g++ then
// read the 3 weight vectors from memory at every multiply-add: 12 vector loads for 12 multiply-adds,
// which on a Zen 3 ran at the loads' pace. Blocks of 2, tiles 6 wide, keep them in registers: chapter
// 11's middle stage, one thread, forward 12.1–14.8 → 9.1–10.2 ms, weight gradient 11.6–14.5 → 8.6–9.0.)
constexpr int kRegs = VL == 16 ? 32 : 16;  // vector registers: AVX-512 32, AVX2 (and SSE) 16
inline int channel_vectors(int C_out) {
    const int vectors = (C_out + VL - 1) / VL;
    int best = 1;
    for (int no = 2; no <= std::min(4, vectors) && kAccs + no + 1 < kRegs; no++)
        if (padded_channels(C_out, no) <= padded_channels(C_out, best)) best = no;
    return best;
}

// A tile's width: the output pixels (forward_batch) or the taps (weight_grad_blocks) whose sums it
// keeps in registers, kAccs / NO for blocks of NO channel vectors
inline int tile_width(int C_out) { return kAccs / channel_vectors(C_out); }

}  // namespace attn::direct_conv
