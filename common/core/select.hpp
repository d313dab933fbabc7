// select.hpp — `keep ? v : 0` for elementwise loops, written so that every CPU runs it in vectors.
//
// The gradient of ReLU and of dropout keeps some values and zeroes the rest. Written as a ?:
// around arithmetic (`x > 0 ? 0 + g : 0`, `m ? x * s : 0`), g++ may not do the arithmetic for
// the values it drops (it could raise a floating-point exception the program never asked for),
// so on CPUs without masked vector instructions (AVX2, unlike AVX-512) it compiles the loop to a
// branch per element: 22 % of chapter 11's CNN step on a Zen 3. Here the value is computed first
// and its 32 bits are and-ed with all ones (keep) or all zeros (drop): one vector compare and one
// vector and. The numbers are exactly the ?:'s: v where keep, +0 where not.
#pragma once
#include <bit>
#include <cstdint>

namespace attn {

inline float keep_or_zero(bool keep, float v) {
    const uint32_t bits = keep ? 0xFFFFFFFFu : 0u;
    return std::bit_cast<float>(std::bit_cast<uint32_t>(v) & bits);
}

}  // namespace attn
