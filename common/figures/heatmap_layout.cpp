#include "common/figures/heatmap_layout.hpp"

#include <algorithm>

#include "common/figures/colorbar.hpp"
#include "common/figures/font.hpp"

namespace attn {

bool is_symbol_token(const std::string& utf8) {
    std::vector<char32_t> cps = utf8_decode(utf8);
    for (char32_t cp : cps) {
        bool ascii_alnum = (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
        bool letter = cp >= 0xC0 && cp != 0xD7 && cp != 0xF7 && cp < 0x2000;  // Latin letters, not × ÷
        if (ascii_alnum || letter) return false;
    }
    return !cps.empty();
}

int heatmap_cell(int rows, int cols, bool labels) {
    return std::clamp(560 / std::max(rows, cols), labels ? text_height(1) + 2 : 3, 48);
}

// A chip covers the glyphs' body and descender rows (cell rows 3..11) with 2 pixels around.
static int chip_w(const std::string& s, int scale) { return text_width(s, scale) - scale + 4; }
static int chip_h(int scale) { return 9 * scale + 4; }

// A row label's size: text, or a chip (scale 2 when the row is tall enough) for punctuation.
static TokenLabel row_label(const std::string& s, int cell, int max_chars) {
    TokenLabel t;
    t.text = utf8_truncate(s, max_chars);
    t.chip = is_symbol_token(t.text);
    t.scale = t.chip && chip_h(2) <= cell ? 2 : 1;
    t.box.w = t.chip ? chip_w(t.text, t.scale) : text_width(t.text, 1);
    t.box.h = t.chip ? chip_h(t.scale) : text_height(1);
    return t;
}

// A column label's size: rotated text, or an upright chip for punctuation when it fits the cell.
static TokenLabel col_label(const std::string& s, int cell, int max_chars) {
    TokenLabel t;
    t.text = utf8_truncate(s, max_chars);
    if (is_symbol_token(t.text)) {
        for (int scale : {2, 1})
            if (chip_w(t.text, scale) <= cell) {
                t.chip = true, t.scale = scale;
                t.box.w = chip_w(t.text, scale), t.box.h = chip_h(scale);
                return t;
            }
    }
    t.rotated = true;
    t.box.w = text_height(1), t.box.h = text_width(t.text, 1);
    return t;
}

HeatmapLayout heatmap_layout(int rows, int cols, const std::vector<std::string>& row_labels,
                             const std::vector<std::string>& col_labels, const HeatmapOptions& opt, float lo,
                             float hi) {
    HeatmapLayout L;
    const int th = text_height(1), pad = 10;
    L.cell = opt.cell > 0 ? opt.cell : heatmap_cell(rows, cols, !row_labels.empty() || !col_labels.empty());
    const int cell = L.cell;
    bool values_fit = cell >= text_width("0.55", 1) + 4 && rows <= 20 && cols <= 20;
    L.values = opt.show_values == 1 || (opt.show_values == -1 && values_fit);

    int rl_w = 0, cl_h = 0;
    for (const std::string& s : row_labels) L.rows.push_back(row_label(s, cell, opt.max_label_chars)), rl_w = std::max(rl_w, L.rows.back().box.w);
    for (const std::string& s : col_labels) L.cols.push_back(col_label(s, cell, opt.max_label_chars)), cl_h = std::max(cl_h, L.cols.back().box.h);
    int title_h = opt.title.empty() ? 0 : text_height(2) + 8;
    int xlabel_h = opt.xlabel.empty() ? 0 : th + 6;
    int ylabel_w = opt.ylabel.empty() ? 0 : th + 6;
    int gx = pad + ylabel_w + (rl_w ? rl_w + 6 : 0);
    int gy = pad + title_h + xlabel_h + (cl_h ? cl_h + 6 : 0);
    L.grid = {gx, gy, cols * cell, rows * cell};
    int bar_h = std::max(L.grid.h, 80);  // at least 80 px tall so its numbers never collide
    L.width = gx + L.grid.w + pad;
    if (opt.colorbar) {
        L.bar = {gx + L.grid.w + 14, gy, kColorbarW, bar_h};
        L.width = L.bar.x + colorbar_width(lo, hi, bar_h) + pad;
    }
    L.height = gy + (opt.colorbar ? std::max(L.grid.h, bar_h) : L.grid.h) + pad;

    // Titles and axis labels, centred on the grid but never off the figure (which grows instead).
    if (!opt.xlabel.empty()) {
        int w = text_width(opt.xlabel, 1);
        L.xlabel = {std::max(pad, gx + (L.grid.w - w) / 2), pad + title_h, w, th};
        L.width = std::max(L.width, L.xlabel.x + w + pad);
    }
    if (!opt.ylabel.empty()) {
        int w = text_width(opt.ylabel, 1);
        L.ylabel = {pad, std::max(pad, gy + (L.grid.h - w) / 2), th, w};
        L.height = std::max(L.height, L.ylabel.y + w + pad);
    }
    if (!opt.title.empty()) {
        int w = text_width(opt.title, 2);
        L.width = std::max(L.width, w + 2 * pad);
        L.title = {(L.width - w) / 2, pad, w, text_height(2)};
    }
    // Rows right-aligned against the grid; columns upwards from just above it; each centred on its cell.
    for (int i = 0; i < (int)L.rows.size(); i++) {
        Rect& b = L.rows[i].box;
        b.x = gx - 6 - b.w, b.y = gy + i * cell + (cell - b.h) / 2;
    }
    for (int j = 0; j < (int)L.cols.size(); j++) {
        Rect& b = L.cols[j].box;
        b.x = gx + j * cell + (cell - b.w) / 2, b.y = gy - 5 - b.h;
    }
    return L;
}

}  // namespace attn
