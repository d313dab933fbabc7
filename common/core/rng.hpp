// rng.hpp — the one random number generator of a run: xoshiro256** (Blackman & Vigna 2018).
//
// Every program makes exactly one Rng from --seed and passes it explicitly (never a global,
// never std::random_device), so the same seed gives the same numbers on 1 or 16 threads.
// The 64-bit seed is expanded into the 256-bit state with splitmix64, as the authors advise.
// Distributions are written out here rather than taken from <random>, whose
// std::normal_distribution differs between standard libraries (g++ vs clang's libc++).
#pragma once
#include <cmath>
#include <cstdint>

namespace attn {

// splitmix64's finaliser: a 64-bit value mixed so that every input bit moves about half the output
// bits. Rng seeds with it; data_tools/holdout_pairs hashes sentences with it.
constexpr uint64_t splitmix64_mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

struct Rng {
    uint64_t s[4];

    constexpr explicit Rng(uint64_t seed = 42) : s{} { reseed(seed); }

    constexpr void reseed(uint64_t seed) {
        uint64_t x = seed;
        for (auto& w : s) {  // splitmix64
            x += 0x9e3779b97f4a7c15ull;
            w = splitmix64_mix(x);
        }
    }

    static constexpr uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

    constexpr uint64_t next_u64() {
        const uint64_t result = rotl(s[1] * 5, 7) * 9;
        const uint64_t t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = rotl(s[3], 45);
        return result;
    }

    // Move on as n calls of next_u64 would, without making them: about log2(n) steps of arithmetic
    // on polynomials and 256 of the generator, whatever n (rng_jump.cpp says how). So a stream can be
    // cut among threads, each starting its part where the one before ends (dropout.cpp).
    void jump(uint64_t n);

    // uniform in [0, 1): the top 24 bits, so every value is exactly representable as a float
    float uniform() { return (next_u64() >> 40) * (1.0f / 16777216.0f); }
    float uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }
    double uniform_double() { return (next_u64() >> 11) * (1.0 / 9007199254740992.0); }

    // uniform integer in [0, n) without modulo bias (Lemire's multiply-shift with rejection)
    uint64_t below(uint64_t n) {
        uint64_t x = next_u64();
        __uint128_t m = (__uint128_t)x * n;
        uint64_t l = (uint64_t)m;
        if (l < n) {
            uint64_t t = (0 - n) % n;
            while (l < t) {
                x = next_u64();
                m = (__uint128_t)x * n;
                l = (uint64_t)m;
            }
        }
        return (uint64_t)(m >> 64);
    }
    int randint(int lo, int hi) { return lo + (int)below((uint64_t)(hi - lo + 1)); }  // [lo, hi]

    // standard normal by Box–Muller (both values of a pair are not cached: simpler, and
    // the stream then depends only on how many normals were drawn)
    float normal() {
        double u1 = uniform_double(), u2 = uniform_double();
        if (u1 < 1e-300) u1 = 1e-300;
        return (float)(std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
    }
    float normal(float mean, float stddev) { return mean + stddev * normal(); }

    // sample an index from probabilities p[0..n) (need not be normalised exactly)
    int categorical(const float* p, int n) {
        double total = 0;
        for (int i = 0; i < n; i++) total += p[i];
        double r = uniform_double() * total, acc = 0;
        for (int i = 0; i < n; i++) {
            acc += p[i];
            if (r < acc) return i;
        }
        for (int i = n - 1; i >= 0; i--)  // r landed on the rounding edge: last non-zero
            if (p[i] > 0) return i;
        return n - 1;
    }

    // Fisher–Yates shuffle of any random-access range
    template <class It> void shuffle(It first, It last) {
        for (auto n = last - first; n > 1; n--) {
            auto j = (decltype(n))below((uint64_t)n);
            std::swap(first[n - 1], first[j]);
        }
    }
};

}  // namespace attn
