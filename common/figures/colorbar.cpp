#include "common/figures/colorbar.hpp"

#include <algorithm>
#include <cmath>

#include "common/figures/font.hpp"
#include "common/figures/ticks.hpp"

namespace attn {

// An end's label: with its tick step's decimals when it is a multiple of the step, else with as
// many decimals as a hundredth of the range needs (3e-44 next to 0.9 is "0.000").
static std::string end_label(float v, float span, double step) {
    if (std::abs(v) < span * 1e-3f) v = 0;
    double k = v / step;
    if (std::abs(k - std::round(k)) < 1e-4) return format_tick(std::round(k) * step, step);
    return format_tick(v, span / 100);
}

std::vector<ColorbarTick> colorbar_ticks(float lo, float hi, int bar_h) {
    const float span = hi > lo ? hi - lo : 1.f;
    const int n = std::max(2, bar_h / 40);
    const double step = nice_step(lo, hi, n);
    std::vector<ColorbarTick> ticks = {{hi, end_label(hi, span, step)}};
    if (!(hi > lo)) return ticks;
    ticks.push_back({lo, end_label(lo, span, step)});
    for (double m : nice_ticks(lo, hi, n)) {  // between the ends, never within a label's height of them
        float dist = (float)std::min(m - lo, hi - m) / span * bar_h;
        if (dist >= text_height(1) + 2) ticks.push_back({(float)m, format_tick(m, step)});
    }
    return ticks;
}

int colorbar_width(float lo, float hi, int bar_h) {
    int w = 0;
    for (const ColorbarTick& t : colorbar_ticks(lo, hi, bar_h)) w = std::max(w, text_width(t.label, 1));
    return kColorbarW + 6 + w;
}

void draw_colorbar(Canvas& c, const Rect& bar, float lo, float hi, Colormap cmap) {
    const Color ink{40, 40, 40};
    const int th = text_height(1);
    const float span = hi > lo ? hi - lo : 1.f;
    for (int y = 0; y < bar.h; y++) c.fill_rect(bar.x, bar.y + y, bar.w, 1, cmap(1.f - (float)y / (bar.h - 1)));
    c.rect(bar.x - 1, bar.y - 1, bar.w + 2, bar.h + 2, Color{160, 160, 160});
    for (const ColorbarTick& t : colorbar_ticks(lo, hi, bar.h)) {
        int y = bar.y + (int)std::lround((1.f - (t.value - lo) / span) * (bar.h - 1));
        c.fill_rect(bar.x + bar.w, y, 4, 1, ink);
        c.text(bar.x + bar.w + 6, std::clamp(y - th / 2, bar.y - 2, bar.y + bar.h - th + 2), t.label, ink);
    }
}

}  // namespace attn
