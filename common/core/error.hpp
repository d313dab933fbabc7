// error.hpp — one way to fail: say where, what was expected, and give a hint.
//
//   fra.txt:1042: expected 2 or 3 tab-separated fields, found 1 (HINT: is this the ManyThings fra-eng file?)
//
// Library code throws attn::Error; each program's main() catches it, prints the message
// to stderr and exits 1 (usage errors exit 2). Never a crash, never a silent skip.
#pragma once
#include <stdexcept>
#include <string>

namespace attn {

struct Error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// where: "file", "file:line", "file:byte 123", "--flag", "matmul" ...
[[noreturn]] inline void fail(const std::string& where, const std::string& what,
                              const std::string& hint = "") {
    std::string msg = where.empty() ? what : where + ": " + what;
    if (!hint.empty()) msg += " (HINT: " + hint + ")";
    throw Error(msg);
}

// A precondition inside the library (a programming error, not bad input): names the function.
#define ATTN_CHECK(cond, where, what)                                   \
    do {                                                                \
        if (!(cond)) ::attn::fail(where, std::string("expected ") + what); \
    } while (0)

}  // namespace attn
