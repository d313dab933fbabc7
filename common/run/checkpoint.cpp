#include "common/run/checkpoint.hpp"

#include <sys/stat.h>  // lstat
#include <unistd.h>    // fsync

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/core/error.hpp"
#include "common/run/checkpoint_format.hpp"
#include "common/run/cli_values.hpp"

namespace attn {

using ckpt::expected;
using ckpt::kHintCorrupt;

// ---- building --------------------------------------------------------------------------------

void Checkpoint::add_record(Record r) {
    if (has(r.name)) expected(path, "unique record names, but '" + r.name + "' was added twice");
    records.push_back(std::move(r));
}

void Checkpoint::add_tensor(const std::string& name, const Shape& shape, const float* data) {
    Record r;
    r.name = name, r.dtype = DType::F32, r.shape = shape;
    r.f32.assign(data, data + shape_size(shape));
    add_record(std::move(r));
}

void Checkpoint::add_bytes(const std::string& name, std::string data) {
    Record r;
    r.name = name, r.dtype = DType::Bytes, r.bytes = std::move(data);
    add_record(std::move(r));
}

void Checkpoint::add_params(const ParamSet& ps, const std::string& prefix) {
    ATTN_CHECK(ps.value.size() == ps.count(), "Checkpoint::add_params", "an allocated ParamSet");
    for (const auto& e : ps.entries()) add_tensor(prefix + e.name, e.shape, ps.value.data() + e.offset);
}

void Checkpoint::add_adam(const Adam& opt, const std::string& prefix) {
    add_bytes(prefix + "t", std::to_string(opt.t));
    add_tensor(prefix + "m", {(int)opt.m.size()}, opt.m.data());
    add_tensor(prefix + "v", {(int)opt.v.size()}, opt.v.data());
}

void Checkpoint::add_sgd(const SGD& opt, const std::string& prefix) {
    add_tensor(prefix + "velocity", {(int)opt.velocity.size()}, opt.velocity.data());
}

void Checkpoint::add_rng(const Rng& rng, const std::string& name) {
    std::string b;
    for (uint64_t w : rng.s) ckpt::put_u64(b, w);
    add_bytes(name, std::move(b));
}

// ---- save ------------------------------------------------------------------------------------

void Checkpoint::check_save_path(const std::string& path, const std::string& flag) {
    const std::string where = flag + " " + path;
    struct stat st;
    if (path.empty() || path.back() == '/') fail(where, "expected a file name, not a directory", "e.g. --save runs/model.ckpt");
    if (lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
        fail(where,
             std::string("expected a regular file or a new name, found ") +
                 (S_ISDIR(st.st_mode) ? "a directory" : S_ISLNK(st.st_mode) ? "a symbolic link" : "a device, pipe or socket"),
             "a checkpoint never replaces anything but an earlier checkpoint: choose another path");
    const std::string probe = path + ".tmp";  // where save() writes first
    FILE* f = std::fopen(probe.c_str(), "wb");
    if (!f)
        fail(where, "expected a file we can create (" + probe + ": " + std::strerror(errno) + ")",
             "does its directory exist, and may we write there?");
    std::fclose(f);
    std::remove(probe.c_str());
}

void Checkpoint::save(const std::string& out_path) const {
    check_save_path(out_path, "saving");
    const std::string buf = ckpt::encode(records);
    const std::string tmp = out_path + ".tmp";
    FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f)
        fail(out_path, "cannot create " + tmp + " (" + std::strerror(errno) + ")",
             "does the directory exist, and may we write there?");
    bool ok = std::fwrite(buf.data(), 1, buf.size(), f) == buf.size();
    ok = (std::fflush(f) == 0) && ok;
    ok = (fsync(fileno(f)) == 0) && ok;  // the bytes are on disk before the rename makes them "the" file
    int err = errno;
    ok = (std::fclose(f) == 0) && ok;
    if (!ok) {
        std::remove(tmp.c_str());
        fail(out_path,
             "could not write " + std::to_string(buf.size()) + " bytes to " + tmp + " (" +
                 std::strerror(err) + ")",
             "is the disk full?");
    }
    if (std::rename(tmp.c_str(), out_path.c_str()) != 0) {
        err = errno;
        std::remove(tmp.c_str());
        fail(out_path, "cannot rename " + tmp + " over it (" + std::strerror(err) + ")",
             "is the path a directory?");
    }
}

// ---- load ------------------------------------------------------------------------------------

static std::string read_file(const std::string& path) {
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f)
        expected(path,
                 std::string("a checkpoint file, but it cannot be opened (") + std::strerror(errno) + ")",
                 "check the --load path; checkpoints are written by --save");
    std::string s;
    char chunk[65536];
    size_t n;
    while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) s.append(chunk, n);
    bool bad = std::ferror(f);
    int err = errno;
    std::fclose(f);
    if (bad)
        expected(path, std::string("a readable checkpoint file (") + std::strerror(err) + ")",
                 "is it a directory?");
    return s;
}

Checkpoint Checkpoint::load(const std::string& path) {
    Checkpoint ck;
    ck.path = path;
    ck.records = ckpt::decode(read_file(path), path);
    return ck;
}

// ---- reading ---------------------------------------------------------------------------------

const Checkpoint::Record* Checkpoint::find(const std::string& name) const {
    for (const auto& r : records)
        if (r.name == name) return &r;
    return nullptr;
}
bool Checkpoint::has(const std::string& name) const { return find(name) != nullptr; }

const Checkpoint::Record& Checkpoint::need(const std::string& name, DType dtype) const {
    const Record* r = find(name);
    const char* kind = dtype == DType::F32 ? "float32" : "bytes";
    if (!r)
        expected(path, std::string("a ") + kind + " record '" + name + "', found none",
                 "was it saved by this program?");
    if (r->dtype != dtype)
        expected(path, "record '" + name + "' to hold " + kind + ", but it holds the other type");
    return *r;
}

const std::string& Checkpoint::bytes(const std::string& name) const { return need(name, DType::Bytes).bytes; }

long Checkpoint::integer(const std::string& name, long lo, long hi) const {
    const std::string& s = bytes(name);
    long long v = 0;  // the whole record must be the number (the flags' strict parser)
    if (!cli_values::parse_integer(s, lo, hi, &v))
        expected(path, "'" + name + "' to be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi) +
                           ", found \"" + ckpt::printable(s) + "\"",
                 kHintCorrupt);
    return (long)v;
}

void Checkpoint::restore_tensor(const std::string& name, const Shape& shape, float* out) const {
    const Record& r = need(name, DType::F32);
    if (r.shape != shape)
        expected(path, "'" + name + "' of shape " + shape_str(shape) + ", found " + shape_str(r.shape));
    std::copy(r.f32.begin(), r.f32.end(), out);
}

void Checkpoint::restore_params(ParamSet& ps, const std::string& prefix) const {
    ATTN_CHECK(ps.value.size() == ps.count(), "Checkpoint::restore_params", "an allocated ParamSet");
    // Pass 1: compare names and shapes, touching nothing.
    std::vector<std::string> problems;
    for (const auto& e : ps.entries()) {
        const Record* r = find(prefix + e.name);
        if (!r)
            problems.push_back("'" + prefix + e.name + "' " + shape_str(e.shape) +
                               " is missing from the file");
        else if (r->dtype != DType::F32)
            problems.push_back("'" + r->name + "' is a bytes record, not float32");
        else if (r->shape != e.shape)
            problems.push_back("'" + r->name + "' has shape " + shape_str(r->shape) + " in the file but " +
                               shape_str(e.shape) + " in the model");
    }
    for (const auto& r : records)
        if (r.name.compare(0, prefix.size(), prefix) == 0 && !ps.find(r.name.substr(prefix.size())))
            problems.push_back("'" + r.name + "' " + shape_str(r.shape) +
                               " is in the file but not in the model");
    if (!problems.empty()) {
        std::string msg =
            "parameters matching the model's " + std::to_string(ps.entries().size()) + " tensors, but ";
        for (size_t i = 0; i < problems.size() && i < 8; i++) msg += (i ? "; " : "") + problems[i];
        if (problems.size() > 8) msg += "; and " + std::to_string(problems.size() - 8) + " more";
        expected(
            path, msg,
            "was it saved with different model flags (sizes, layers, vocabulary)? The model is unchanged");
    }
    // Pass 2: copy.
    for (const auto& e : ps.entries()) {
        const Record* r = find(prefix + e.name);
        std::copy(r->f32.begin(), r->f32.end(), ps.data(e));
    }
}

// The optimiser state must have been sized by init() on the same model: same buffer length.
static void check_state_size(const std::string& path, const std::string& name, size_t file_n, size_t opt_n) {
    if (file_n != opt_n)
        expected(path,
                 "'" + name + "' of " + std::to_string(opt_n) + " floats (the optimiser's state), found " +
                     std::to_string(file_n),
                 opt_n == 0 ? "call opt.init(params) before restoring its state"
                            : "the checkpoint was saved for a model of another size");
}

// More optimiser steps than any run of this course takes by far (a bigger count is corrupt).
static constexpr long kMaxSteps = 1000000000000L;

void Checkpoint::restore_adam(Adam& opt, const std::string& prefix) const {
    const long t = integer(prefix + "t", 0, kMaxSteps);  // Adam's step count
    const Record& m = need(prefix + "m", DType::F32);
    const Record& v = need(prefix + "v", DType::F32);
    check_state_size(path, prefix + "m", m.f32.size(), opt.m.size());
    check_state_size(path, prefix + "v", v.f32.size(), opt.v.size());
    opt.t = t;
    std::copy(m.f32.begin(), m.f32.end(), opt.m.begin());
    std::copy(v.f32.begin(), v.f32.end(), opt.v.begin());
}

void Checkpoint::restore_sgd(SGD& opt, const std::string& prefix) const {
    const Record& vel = need(prefix + "velocity", DType::F32);
    check_state_size(path, prefix + "velocity", vel.f32.size(), opt.velocity.size());
    std::copy(vel.f32.begin(), vel.f32.end(), opt.velocity.begin());
}

void Checkpoint::restore_rng(Rng& rng, const std::string& name) const {
    const std::string& b = bytes(name);
    if (b.size() != 32)
        expected(path, "'" + name + "' of 32 bytes (RNG state), found " + std::to_string(b.size()));
    for (int i = 0; i < 4; i++) rng.s[i] = ckpt::get_le(b, 8 * (size_t)i, 8);
}

}  // namespace attn
