// utf8.hpp — the little UTF-8 the loaders need: validate (with a precise place), decode one
// code point, encode one, and lowercase the Latin letters of French and English.
//
// UTF-8 (RFC 3629) in one table — the first byte says how many bytes follow:
//   U+0000..U+007F    0xxxxxxx
//   U+0080..U+07FF    110xxxxx 10xxxxxx
//   U+0800..U+FFFF    1110xxxx 10xxxxxx 10xxxxxx            (not U+D800..U+DFFF: surrogates)
//   U+10000..U+10FFFF 11110xxx 10xxxxxx 10xxxxxx 10xxxxxx
// Overlong forms (e.g. C0 80 for U+0000) are invalid: each code point has one spelling.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace attn {

// Decode the code point starting at s[i] (i < n). Returns its length in bytes (1..4), or 0
// when the bytes there are not valid UTF-8. *cp receives the code point when valid.
int utf8_decode(const char* s, size_t n, size_t i, uint32_t* cp);

// Append the UTF-8 spelling of cp to out.
void utf8_append(std::string& out, uint32_t cp);

// Index of the first invalid byte in s[0..n), or n when all of it is valid UTF-8.
size_t utf8_first_invalid(const char* s, size_t n);

// Throw attn::Error "path:line:byte N: invalid UTF-8 ..." when text is not valid UTF-8.
// line is counted from 1; byte is the 0-based offset from the start of the text (as in every
// loader error: "file:byte N" means N bytes precede the bad one).
// first_line: the line number of text[0] (when text is one line of a larger file).
void check_utf8(const std::string& text, const std::string& path, long first_line = 1);

// Lowercase of one code point: ASCII A–Z, Latin-1 À–Þ (not ×), Latin Extended-A (Ā–ž, e.g.
// Œ→œ, Ÿ→ÿ). Everything else (digits, punctuation, other scripts) is returned unchanged.
uint32_t lower_codepoint(uint32_t cp);

// Whole strings, for drawing text (common/figures/font.hpp): one code point per character cell.
std::vector<char32_t> utf8_decode(const std::string& s);  // malformed byte → U+FFFD, then resynchronise
std::string utf8_encode(char32_t cp);
int utf8_length(const std::string& s);  // code points
// The first max_chars characters; when s is longer, the last kept one becomes "…".
std::string utf8_truncate(const std::string& s, int max_chars);

}  // namespace attn
