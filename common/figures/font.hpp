// font.hpp — a built-in 5×7 bitmap font, so figures need no font files and no FreeType.
//
// Every glyph sits in a fixed cell of kFontCellW × kFontCellH pixels (monospace):
//
//   rows 0–1   accents on capitals (É À Ô ...); row 2 is the gap between accent and letter
//   rows 3–9   the 7-row body: capitals and digits fill it, lowercase uses rows 5–9 and
//              carries its accent in rows 2–3 (row 4 the gap)
//   rows 10–11 descenders (g j p q y , ;) and the cedilla
//   row 12     blank, the gap between lines
//
// Columns 0–4 are ink, column 5 is the gap between letters. A glyph row is a 5-bit mask,
// bit 4 (0x10) the leftmost column. Coverage: printable ASCII; the Latin-1 letters of French
// (à â ä ç é è ê ë î ï ô ö ù û ü ÿ œ æ and capitals), drawn as a base letter plus an accent;
// also á í ó ú ì ò ñ; and « » ’ ‘ “ ” … – — · × ° → and the (narrow) no-break spaces French
// puts before « ; : ! ? ». Anything else is drawn as a hollow box, visibly "unknown".
// Text is UTF-8; malformed bytes decode to U+FFFD (a box).
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "common/data/utf8.hpp"  // utf8_decode / utf8_encode / utf8_length / utf8_truncate

namespace attn {

constexpr int kFontCellW = 6;   // pixels per character at scale 1 (monospace advance)
constexpr int kFontCellH = 13;  // pixels per line at scale 1

using GlyphRows = std::array<uint8_t, kFontCellH>;  // kFontCellH rows of a 5-bit mask



bool font_has_glyph(char32_t cp);   // false → font_glyph draws the box
GlyphRows font_glyph(char32_t cp);  // the rows of cp's cell (the box when unknown)

int text_width(const std::string& utf8, int scale);  // = characters · kFontCellW · scale
inline int text_height(int scale) { return kFontCellH * scale; }

// Fitting text into max_px pixels at `scale`: fit_text cuts it to the longest prefix that fits,
// ending in "…" when cut; wrap_text breaks it between words into lines that fit (a word longer
// than a line is cut with "…"). For titles and axis labels, so nothing runs off a figure.
std::string fit_text(const std::string& utf8, int max_px, int scale);
std::vector<std::string> wrap_text(const std::string& utf8, int max_px, int scale);

}  // namespace attn
