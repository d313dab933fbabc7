// augment.hpp — light augmentation of a batch of square grey images, in place: random shifts and
// random left–right mirroring (chapters 08 and 11), random erasing (chapter 11's `--erase`). The draws
// come from rng, so a run (and a resumed run) sees the same images on any thread count.
#pragma once
#include <algorithm>
#include <cmath>
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

// Random erasing (Zhong, Zheng, Kang, Li, Yang, AAAI 2020, who test it on Fashion-MNIST too): with
// probability p an image gets one box of uniform noise in [0, 1), so the net cannot lean on any one
// part of a garment. The box: area s·H², s ~ U(0.02, 0.4); aspect r = h/w, log r ~ U(log 0.3, log 1/0.3)
// (torchvision's symmetric draw of the paper's r ∈ [0.3, 1/0.3]); h = round(√(s·H²·r)),
// w = round(√(s·H²/r)); a box that does not fit (h or w ≥ H) is drawn again, at most 10 times, else
// the image is left alone. Draws per image: the coin (when p > 0), then s, r per try, top, left, the
// h·w noise values row by row. x (B,H,H) in place.
inline void erase_batch(float* x, int B, int H, float p, Rng& rng) {
    if (p <= 0) return;
    const float log_r = std::log(0.3f);
    for (int b = 0; b < B; b++) {
        if (rng.uniform() >= p) continue;
        float* img = x + (size_t)b * H * H;
        for (int attempt = 0; attempt < 10; attempt++) {
            const float area = rng.uniform(0.02f, 0.4f) * H * H, r = std::exp(rng.uniform(log_r, -log_r));
            const int h = (int)std::lround(std::sqrt(area * r)), w = (int)std::lround(std::sqrt(area / r));
            if (h < 1 || w < 1 || h >= H || w >= H) continue;
            const int top = (int)rng.below(H - h + 1), left = (int)rng.below(H - w + 1);
            for (int i = top; i < top + h; i++)
                for (int j = left; j < left + w; j++) img[i * H + j] = rng.uniform();
            break;
        }
    }
}

}  // namespace attn
