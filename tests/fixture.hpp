// fixture.hpp — read reference tensors written by data_tools/torch_fixtures/*.py.
//
// File format (text, one tensor per line, so a diff of a fixture is readable):
//   # comment lines start with '#'
//   <name> <ndim> <d0> ... <d(ndim-1)> : <v0> <v1> ... (row-major, %.9g)
// Tests never run Python: the fixtures are committed in tests/fixtures/.
#pragma once
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace attn::testing {

struct FixtureTensor {
    std::vector<int> shape;
    std::vector<float> v;
};
using Fixture = std::map<std::string, FixtureTensor>;

inline Fixture load_fixture(const std::string& file) {
    std::string path = std::string(ATTN_FIXTURES) + "/" + file;
    std::ifstream in(path);
    REQUIRE_MESSAGE(in.good(), "missing fixture " << path << " (make it with data_tools/make_torch_fixtures.py)");
    Fixture fx;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream ss(line);
        std::string name, colon;
        int ndim = 0;
        ss >> name >> ndim;
        FixtureTensor t;
        size_t n = 1;
        for (int i = 0; i < ndim; i++) {
            int d;
            ss >> d;
            t.shape.push_back(d);
            n *= (size_t)d;
        }
        ss >> colon;
        REQUIRE_MESSAGE(colon == ":", path << ": malformed line for " << name);
        t.v.resize(n);
        for (size_t i = 0; i < n; i++) ss >> t.v[i];
        REQUIRE_MESSAGE(!ss.fail(), path << ": " << name << " has fewer than " << n << " values");
        fx[name] = std::move(t);
    }
    return fx;
}

inline const FixtureTensor& get(const Fixture& fx, const std::string& name) {
    auto it = fx.find(name);
    REQUIRE_MESSAGE(it != fx.end(), "fixture tensor '" << name << "' missing");
    return it->second;
}

// max |a - b| over n elements
inline double max_abs_diff(const float* a, const float* b, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        const double d = std::abs((double)a[i] - (double)b[i]);
        if (std::isnan(d)) return d;  // a NaN on either side fails every `< tolerance` check (std::max would drop it)
        m = std::max(m, d);
    }
    return m;
}

}  // namespace attn::testing
