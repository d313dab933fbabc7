// main_guard.hpp — the one main() wrapper of every program: run the chapter, and turn an error into
// one line on stderr and exit code 1, never a crash.
//
//   int main(int argc, char** argv) {
//       return guarded_main("09_spatial_transformer", [&] { return run(argc, argv); });
//   }
//
// attn::Error (bad input, a missing file, a refused checkpoint) prints "<program>: error: <message>";
// any other exception is a bug or an exhausted machine, and says so. Usage errors (an unknown flag)
// never get here: the Cli prints them and exits 2.
#pragma once
#include <cstdio>
#include <exception>
#include <new>

#include "common/core/error.hpp"

namespace attn {

template <class Body>
int guarded_main(const char* program, Body&& body) {
    try {
        return body();
    } catch (const Error& e) {
        std::fprintf(stderr, "%s: error: %s\n", program, e.what());
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "%s: error: out of memory (HINT: a smaller --batch or model)\n", program);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: error: internal error: %s\n", program, e.what());
    }
    return 1;
}

}  // namespace attn
