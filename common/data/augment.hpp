// augment.hpp — light augmentation of a batch of square grey images, in place: random shifts and
// random left–right mirroring (chapters 08 and 11). The draws come from rng, so a run (and a resumed
// run) sees the same images on any thread count.
#pragma once
#include <algorithm>
#include <string>

#include "common/core/buffer.hpp"
#include "common/core/rng.hpp"

namespace attn {

// x (B,H,H): each image is shifted by up to `shift` pixels in each direction (the uncovered border
// reads as 0, the background), and mirrored left–right with probability ½ when `flip` (clothes are,
// digits are not, left–right symmetric). Per image the draws are dy, dx (when shift > 0), then the
// coin (when flip); shift 0 without flip draws nothing.
inline void augment_batch(float* x, int B, int H, int shift, bool flip, Rng& rng, Buf& scratch) {
    if (shift == 0 && !flip) return;
    scratch.resize((size_t)H * H);
    for (int b = 0; b < B; b++) {
        float* img = x + (size_t)b * H * H;
        const int dy = shift ? (int)rng.below(2 * shift + 1) - shift : 0;
        const int dx = shift ? (int)rng.below(2 * shift + 1) - shift : 0;
        const bool mirror = flip && rng.below(2) == 1;
        std::copy(img, img + (size_t)H * H, scratch.begin());
        for (int i = 0; i < H; i++)
            for (int j = 0; j < H; j++) {  // out(i, j) = in(i − dy, j' − dx), j' = j or its mirror
                const int si = i - dy, sj = (mirror ? H - 1 - j : j) - dx;
                img[i * H + j] = si >= 0 && si < H && sj >= 0 && sj < H ? scratch[(size_t)si * H + sj] : 0.0f;
            }
    }
}

// --flip auto|on|off: "auto" mirrors Fashion-MNIST's clothes only (a mirrored 2 is no digit).
inline bool flip_wanted(const std::string& choice, const std::string& data_name) {
    return choice == "on" || (choice == "auto" && data_name == "fashion-mnist");
}

}  // namespace attn
