// rng_jump.cpp — Rng::jump(n): the state after n draws, in about log2(n) steps instead of n.
//
// xoshiro256's step (next_u64 in rng.hpp) only xors, shifts and rotates the 256 bits of its state, so
// it is a linear map T on bit vectors (arithmetic mod 2: + is xor). The state after n draws is Tⁿ s.
// Let P(x) be T's characteristic polynomial, of degree 256. P(T) = 0 (Cayley–Hamilton), so Tⁿ = R(T)
// for the remainder R(x) = xⁿ mod P(x) = Σ_j r_j x^j (j < 256), and
//   Tⁿ s = Σ_j r_j T^j s
// is 256 steps of the generator from s, xoring together the states at the steps j where r_j = 1.
// R costs log2(n) squarings mod P (square and multiply, as for a power of a number).
// P itself: every bit of the state obeys the linear recurrence whose characteristic polynomial is P,
// and Berlekamp–Massey finds the shortest recurrence a bit sequence obeys. For 512 bits of one
// state bit that is P (the generator's period is 2²⁵⁶ − 1, so P is irreducible: nothing shorter fits).
// (The authors' jump() is the same idea for the one distance 2¹²⁸, its R written out as constants.)
#include <array>
#include <cstdint>

#include "common/core/rng.hpp"

namespace attn {
namespace {

using Poly = std::array<uint64_t, 4>;  // a polynomial of degree < 256 over GF(2): bit j is x^j's coefficient

constexpr bool bit(const uint64_t* w, int j) { return (w[j / 64] >> (j % 64)) & 1; }
constexpr void flip(uint64_t* w, int j) { w[j / 64] ^= uint64_t(1) << (j % 64); }

// P(x) = x²⁵⁶ + low(x): low's 256 coefficients, from Berlekamp–Massey over 512 draws' lowest state bit.
// The recurrence found is b[t] = Σ_{i=1..L} c_i b[t − i]; its characteristic polynomial is
// x^L + c_1 x^(L−1) + ... + c_L, i.e. P's coefficient of x^(L−i) is c_i.
constexpr Poly characteristic_polynomial() {
    constexpr int N = 512;
    std::array<uint8_t, N> b{};
    Rng g(1);
    for (int t = 0; t < N; t++) b[t] = g.s[0] & 1, g.next_u64();
    std::array<uint8_t, N + 1> c{}, prev{}, tmp{};  // connection polynomials 1 + c_1 x + ...
    c[0] = prev[0] = 1;
    int L = 0, m = 1;
    for (int t = 0; t < N; t++) {
        uint8_t d = b[t];  // the discrepancy: b[t] against what the recurrence predicts
        for (int i = 1; i <= L; i++) d ^= c[i] & b[t - i];
        if (!d) {
            m++;
            continue;
        }
        tmp = c;
        for (int i = 0; i + m <= N; i++) c[i + m] ^= prev[i];  // c -= x^m · prev
        if (2 * L <= t) L = t + 1 - L, prev = tmp, m = 1;
        else m++;
    }
    Poly low{};
    for (int i = 1; i <= L && i <= 256; i++)
        if (c[i]) low[(L - i) / 64] |= uint64_t(1) << ((L - i) % 64);
    return L == 256 ? low : Poly{};
}
constexpr Poly kP = characteristic_polynomial();
static_assert(kP != Poly{}, "Berlekamp–Massey should find a recurrence of degree 256 for xoshiro256");

// a · x mod P
Poly times_x(Poly a) {
    const bool carry = a[3] >> 63;
    for (int w = 3; w > 0; w--) a[w] = a[w] << 1 | a[w - 1] >> 63;
    a[0] <<= 1;
    if (carry)  // x²⁵⁶ = low(x) mod P
        for (int w = 0; w < 4; w++) a[w] ^= kP[w];
    return a;
}

// The 32 bits of v spread to the even bits of 64: bit i → bit 2i
uint64_t spread(uint64_t v) {
    v &= 0xffffffffull;
    v = (v | v << 16) & 0x0000ffff0000ffffull;
    v = (v | v << 8) & 0x00ff00ff00ff00ffull;
    v = (v | v << 4) & 0x0f0f0f0f0f0f0f0full;
    v = (v | v << 2) & 0x3333333333333333ull;
    return (v | v << 1) & 0x5555555555555555ull;
}

// a² mod P. Over GF(2), (Σ a_j x^j)² = Σ a_j x^(2j): the cross terms come in pairs and cancel.
Poly square(const Poly& a) {
    uint64_t w[8];
    for (int i = 0; i < 4; i++) w[2 * i] = spread(a[i]), w[2 * i + 1] = spread(a[i] >> 32);
    for (int j = 511; j >= 256; j--) {  // x^j = x^(j−256) · low(x) mod P, from the top down
        if (!bit(w, j)) continue;
        flip(w, j);
        const int s = j - 256, q = s / 64, r = s % 64;
        for (int k = 0; k < 4; k++) {  // w ^= low << s
            w[q + k] ^= kP[k] << r;
            if (r) w[q + k + 1] ^= kP[k] >> (64 - r);
        }
    }
    return {w[0], w[1], w[2], w[3]};
}

}  // namespace

void Rng::jump(uint64_t n) {
    if (n == 0) return;
    Poly r{1, 0, 0, 0};  // xⁿ mod P, by square and multiply from n's top bit
    for (int i = 63 - __builtin_clzll(n); i >= 0; i--) {
        r = square(r);
        if ((n >> i) & 1) r = times_x(r);
    }
    uint64_t acc[4] = {};  // Σ_j r_j T^j s
    for (int j = 0; j < 256; j++) {
        if (bit(r.data(), j))
            for (int w = 0; w < 4; w++) acc[w] ^= s[w];
        next_u64();
    }
    for (int w = 0; w < 4; w++) s[w] = acc[w];
}

}  // namespace attn
