#include "common/data/utf8.hpp"

#include <cstdio>

#include "common/core/error.hpp"

namespace attn {

int utf8_decode(const char* s, size_t n, size_t i, uint32_t* cp) {
    const unsigned char* u = (const unsigned char*)s;
    unsigned char b0 = u[i];
    if (b0 < 0x80) {
        *cp = b0;
        return 1;
    }
    int len;
    uint32_t c, min;
    if ((b0 & 0xE0) == 0xC0) len = 2, c = b0 & 0x1F, min = 0x80;
    else if ((b0 & 0xF0) == 0xE0) len = 3, c = b0 & 0x0F, min = 0x800;
    else if ((b0 & 0xF8) == 0xF0) len = 4, c = b0 & 0x07, min = 0x10000;
    else return 0;  // a continuation byte (10xxxxxx) or F8..FF cannot start a character
    if (i + len > n) return 0;  // cut off by the end of the text
    for (int k = 1; k < len; k++) {
        if ((u[i + k] & 0xC0) != 0x80) return 0;
        c = (c << 6) | (u[i + k] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;  // overlong, too big, surrogate
    *cp = c;
    return len;
}

void utf8_append(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out += (char)cp;
    } else if (cp < 0x800) {
        out += (char)(0xC0 | (cp >> 6));
        out += (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += (char)(0xE0 | (cp >> 12));
        out += (char)(0x80 | ((cp >> 6) & 0x3F));
        out += (char)(0x80 | (cp & 0x3F));
    } else {
        out += (char)(0xF0 | (cp >> 18));
        out += (char)(0x80 | ((cp >> 12) & 0x3F));
        out += (char)(0x80 | ((cp >> 6) & 0x3F));
        out += (char)(0x80 | (cp & 0x3F));
    }
}

size_t utf8_first_invalid(const char* s, size_t n) {
    size_t i = 0;
    uint32_t cp;
    while (i < n) {
        // fast path: a run of ASCII bytes (most of every file we read)
        while (i < n && (unsigned char)s[i] < 0x80) i++;
        if (i == n) break;
        int len = utf8_decode(s, n, i, &cp);
        if (len == 0) return i;
        i += len;
    }
    return n;
}

void check_utf8(const std::string& text, const std::string& path, long first_line) {
    size_t bad = utf8_first_invalid(text.data(), text.size());
    if (bad == text.size()) return;
    long line = first_line;
    for (size_t i = 0; i < bad; i++) line += text[i] == '\n';
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02X", (unsigned)(unsigned char)text[bad]);
    fail(path + ":" + std::to_string(line) + ":byte " + std::to_string(bad),
         std::string("expected valid UTF-8, found byte ") + hex,
         "is the file in another encoding (Latin-1, Windows-1252)? convert it with iconv -t UTF-8");
}

uint32_t lower_codepoint(uint32_t cp) {
    if (cp < 0x80) return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
    if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return cp + 0x20;  // À..Þ -> à..þ (× is not a letter)
    if (cp < 0x100 || cp > 0x17F) return cp;
    // Latin Extended-A: upper/lower alternate, upper at even code points in 0100..0137 and
    // 014A..0177, at odd ones in 0139..0148 and 0179..017E; a few stand alone.
    if (cp == 0x130) return 'i';    // İ (Turkish dotted capital I)
    if (cp == 0x178) return 0xFF;   // Ÿ -> ÿ (its lowercase lives in Latin-1)
    if ((cp <= 0x137 && cp != 0x131) || (cp >= 0x14A && cp <= 0x177)) return (cp % 2 == 0) ? cp + 1 : cp;
    if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E)) return (cp % 2 == 1) ? cp + 1 : cp;
    return cp;  // ı ĸ ŉ ſ
}

std::vector<char32_t> utf8_decode(const std::string& s) {
    std::vector<char32_t> out;
    for (size_t i = 0; i < s.size();) {
        uint32_t cp;
        int len = utf8_decode(s.data(), s.size(), i, &cp);
        if (len == 0) {  // one bad byte → one replacement character
            out.push_back(0xFFFD);
            i += 1;
        } else {
            out.push_back(cp);
            i += len;
        }
    }
    return out;
}

std::string utf8_encode(char32_t cp) {
    std::string s;
    utf8_append(s, cp);
    return s;
}

int utf8_length(const std::string& s) { return (int)utf8_decode(s).size(); }

std::string utf8_truncate(const std::string& s, int max_chars) {
    std::vector<char32_t> cps = utf8_decode(s);
    if ((int)cps.size() <= max_chars) return s;
    std::string out;
    for (int i = 0; i + 1 < max_chars; i++) utf8_append(out, cps[i]);
    if (max_chars > 0) utf8_append(out, U'…');
    return out;
}

}  // namespace attn
