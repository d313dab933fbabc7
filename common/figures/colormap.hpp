// colormap.hpp — colours, and maps from a number in [0,1] to a colour.
//
// viridis (van der Walt & Smith, matplotlib 2015) is the default for every heatmap: it is
// perceptually uniform, its luminance rises monotonically (dark = low, bright = high), and it
// survives colour-blindness and greyscale printing. A diverging map is there for signed
// values (e.g. a weight matrix or a difference of two attention maps).
#pragma once
#include <cstdint>

namespace attn {

struct Color {
    uint8_t r = 0, g = 0, b = 0;
    bool operator==(const Color&) const = default;
};

constexpr Color kWhite{255, 255, 255};
constexpr Color kBlack{0, 0, 0};
constexpr Color kGrey{128, 128, 128};
constexpr Color kLightGrey{220, 220, 220};
constexpr Color kRed{214, 39, 40};
constexpr Color kGreen{44, 160, 44};
constexpr Color kBlue{31, 119, 180};
constexpr Color kOrange{255, 127, 14};

using Colormap = Color (*)(float t);  // t in [0,1], clamped; NaN gives the t = 0 colour

Color colormap_viridis(float t);  // dark purple (68,1,84) → blue → green → yellow (253,231,37)
Color colormap_coolwarm(float t); // blue (59,76,192) → grey (221,221,221) at 0.5 → red (180,4,38)
Color colormap_greys(float t);    // white → black, for ink on paper

Color palette_color(int i);  // 10 distinct colours for line series (cycles)
float luminance(Color c);    // relative luminance in [0,1] (sRGB, Rec. 709 weights)
Color lerp(Color a, Color b, float t);

}  // namespace attn
