#include "common/figures/colormap.hpp"

#include <cmath>

namespace attn {

namespace {

// Viridis sampled from its published 256-entry table (matplotlib's _viridis_data, CC0) at
// entries 0, 17, 34, ..., 255, i.e. 16 anchors evenly spaced in t; between anchors we
// interpolate linearly in RGB (error under 1/255 of the full table, invisible here).
const float kViridis[16][3] = {
    {0.267004f, 0.004874f, 0.329415f}, {0.282656f, 0.100196f, 0.422160f},
    {0.277134f, 0.185228f, 0.489898f}, {0.253935f, 0.265254f, 0.529983f},
    {0.221989f, 0.339161f, 0.548752f}, {0.190631f, 0.407061f, 0.556089f},
    {0.163625f, 0.471133f, 0.558148f}, {0.139147f, 0.533812f, 0.555298f},
    {0.120565f, 0.596422f, 0.543611f}, {0.134692f, 0.658636f, 0.517649f},
    {0.208030f, 0.718701f, 0.472873f}, {0.327796f, 0.773980f, 0.406640f},
    {0.477504f, 0.821444f, 0.318195f}, {0.647257f, 0.858400f, 0.209861f},
    {0.824940f, 0.884720f, 0.106217f}, {0.993248f, 0.906157f, 0.143936f},
};

// Moreland's (2009) cool-warm diverging map, 5 anchors: both ends equally dark, grey middle.
const float kCoolWarm[5][3] = {
    {59 / 255.f, 76 / 255.f, 192 / 255.f},  {141 / 255.f, 176 / 255.f, 254 / 255.f},
    {221 / 255.f, 221 / 255.f, 221 / 255.f}, {244 / 255.f, 154 / 255.f, 123 / 255.f},
    {180 / 255.f, 4 / 255.f, 38 / 255.f},
};

Color interpolate(const float (*anchors)[3], int n, float t) {
    if (!(t > 0.f)) t = 0.f;  // also catches NaN
    if (t > 1.f) t = 1.f;
    float pos = t * (n - 1);
    int i = (int)pos;
    if (i >= n - 1) i = n - 2;
    float f = pos - i;
    auto ch = [&](int k) {
        float v = anchors[i][k] + f * (anchors[i + 1][k] - anchors[i][k]);
        return (uint8_t)std::lround(v * 255.f);
    };
    return Color{ch(0), ch(1), ch(2)};
}

}  // namespace

Color colormap_viridis(float t) { return interpolate(kViridis, 16, t); }
Color colormap_coolwarm(float t) { return interpolate(kCoolWarm, 5, t); }

Color colormap_greys(float t) {
    if (!(t > 0.f)) t = 0.f;
    if (t > 1.f) t = 1.f;
    uint8_t v = (uint8_t)std::lround(255.f * (1.f - t));
    return Color{v, v, v};
}

Color palette_color(int i) {
    // matplotlib's "tab10" qualitative palette: distinct hues of similar weight.
    static const Color kPalette[10] = {{31, 119, 180}, {255, 127, 14}, {44, 160, 44},  {214, 39, 40},
                                       {148, 103, 189}, {140, 86, 75},  {227, 119, 194}, {127, 127, 127},
                                       {188, 189, 34},  {23, 190, 207}};
    return kPalette[((i % 10) + 10) % 10];
}

float luminance(Color c) {
    auto lin = [](uint8_t v) {  // undo the sRGB gamma
        float x = v / 255.f;
        return x <= 0.04045f ? x / 12.92f : std::pow((x + 0.055f) / 1.055f, 2.4f);
    };
    return 0.2126f * lin(c.r) + 0.7152f * lin(c.g) + 0.0722f * lin(c.b);
}

Color lerp(Color a, Color b, float t) {
    auto ch = [t](uint8_t x, uint8_t y) { return (uint8_t)std::lround(x + t * ((float)y - (float)x)); };
    return Color{ch(a.r, b.r), ch(a.g, b.g), ch(a.b, b.b)};
}

}  // namespace attn
