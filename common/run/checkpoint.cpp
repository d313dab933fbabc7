#include "common/run/checkpoint.hpp"

#include <unistd.h>  // fsync
#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/core/error.hpp"

namespace attn {

static const char kMagic[8] = {'A', 'T', 'T', 'N', 'C', 'K', 'P', 'T'};
static const size_t kHeaderBytes = 24;  // magic 8 + version 4 + count 4 + file_size 8
// Every load/restore error reads "<file>: expected <what>, found <what> (HINT: ...)".
[[noreturn]] static void expected(const std::string& where, const std::string& what,
                                  const std::string& hint = "") {
    fail(where, "expected " + what, hint);
}

static const char* kHintCorrupt =
    "the file is damaged (an interrupted copy or a disk error?): copy it again or re-save it";

// ---- little-endian encoding ------------------------------------------------------------------
// Integers are written byte by byte, so they are little-endian whatever the machine. Float arrays
// are copied as they are in memory, which is little-endian IEEE-754 on every machine this course
// targets (x86-64, ARM64); the assert makes a big-endian build fail loudly rather than write files
// nobody else can read.
static_assert(std::endian::native == std::endian::little, "checkpoint.cpp assumes a little-endian machine");

static void put_u32(std::string& out, uint32_t x) {
    for (int i = 0; i < 4; i++) out.push_back((char)((x >> (8 * i)) & 0xff));
}
static void put_u64(std::string& out, uint64_t x) {
    for (int i = 0; i < 8; i++) out.push_back((char)((x >> (8 * i)) & 0xff));
}
static uint64_t get_le(const std::string& s, size_t pos, int nbytes) {
    uint64_t x = 0;
    for (int i = 0; i < nbytes; i++) x |= (uint64_t)(uint8_t)s[pos + i] << (8 * i);
    return x;
}
static uint32_t crc32_of(const std::string& s, size_t n) {
    return (uint32_t)crc32_z(crc32_z(0L, Z_NULL, 0), (const Bytef*)s.data(), n);
}

// A cursor over the loaded file that turns every overrun into a "truncated record" error.
struct Reader {
    const std::string& s;
    const std::string& path;
    size_t pos, end;
    void need(size_t n, const std::string& what) {
        if (n > end - pos)
            expected(path + ":byte " + std::to_string(pos),
                     std::to_string(n) + " more bytes for " + what + ", found " + std::to_string(end - pos),
                     kHintCorrupt);
    }
    uint64_t num(int nbytes, const std::string& what) {
        need((size_t)nbytes, what);
        uint64_t x = get_le(s, pos, nbytes);
        pos += (size_t)nbytes;
        return x;
    }
};

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
    for (uint64_t w : rng.s) put_u64(b, w);
    add_bytes(name, std::move(b));
}

// ---- save ------------------------------------------------------------------------------------

void Checkpoint::save(const std::string& out_path) const {
    std::string buf(kMagic, 8);
    put_u32(buf, kVersion);
    put_u32(buf, (uint32_t)records.size());
    put_u64(buf, 0);  // file_size, patched below
    for (const auto& r : records) {
        put_u32(buf, (uint32_t)r.name.size());
        buf += r.name;
        buf.push_back((char)r.dtype);
        put_u32(buf, (uint32_t)r.shape.size());
        for (int d : r.shape) put_u32(buf, (uint32_t)d);
        if (r.dtype == DType::Bytes) {
            put_u64(buf, r.bytes.size());
            buf += r.bytes;
        } else {
            put_u64(buf, 4 * (uint64_t)r.f32.size());
            buf.append((const char*)r.f32.data(), 4 * r.f32.size());  // little-endian host: see the top
        }
    }
    const uint64_t total = buf.size() + 4;
    for (int i = 0; i < 8; i++) buf[16 + i] = (char)((total >> (8 * i)) & 0xff);
    put_u32(buf, crc32_of(buf, buf.size()));

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

static std::string printable(const std::string& s) {
    std::string out;
    for (unsigned char c : s) {
        if (c >= 32 && c < 127)
            out.push_back((char)c);
        else {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02x", c);
            out += hex;
        }
    }
    return out;
}

Checkpoint Checkpoint::load(const std::string& path) {
    const std::string s = read_file(path);
    const std::string hint_trunc =
        "the file was cut short (an interrupted save or copy?): copy it again or re-save it";
    if (s.empty()) expected(path, "a checkpoint, found an empty file", hint_trunc);
    if (std::memcmp(s.data(), kMagic, std::min(s.size(), sizeof kMagic)) != 0)
        expected(path, "magic \"ATTNCKPT\" at byte 0, found \"" + printable(s.substr(0, 8)) + "\"",
                 "this is not a checkpoint written by --save");
    if (s.size() < kHeaderBytes)
        expected(path,
                 "a " + std::to_string(kHeaderBytes) + "-byte header, found only " +
                     std::to_string(s.size()) + " bytes (truncated)",
                 hint_trunc);
    uint32_t version = (uint32_t)get_le(s, 8, 4);
    if (version != kVersion)
        expected(
            path,
            "checkpoint format version " + std::to_string(kVersion) + ", found " + std::to_string(version),
            "it was written by a different version of this code; re-save it with this one");
    uint32_t count = (uint32_t)get_le(s, 12, 4);
    uint64_t declared = get_le(s, 16, 8);
    if (declared != s.size())
        expected(path,
                 std::to_string(declared) + " bytes as its header says, found " + std::to_string(s.size()) +
                     (s.size() < declared ? " (truncated)" : " (trailing bytes)"),
                 s.size() < declared ? hint_trunc : kHintCorrupt);
    if (s.size() < kHeaderBytes + 4)
        expected(path, "a 4-byte checksum after the header, found none", kHintCorrupt);
    const size_t body = s.size() - 4;
    uint32_t stored = (uint32_t)get_le(s, body, 4), computed = crc32_of(s, body);
    if (stored != computed) {
        char msg[128];
        std::snprintf(msg, sizeof msg, "CRC-32 checksum 0x%08x (stored in its last 4 bytes), computed 0x%08x",
                      stored, computed);
        expected(path, msg, kHintCorrupt);
    }

    // The checksum matched, so a structural error below means the writer was wrong, not the disk.
    Checkpoint ck;
    ck.path = path;
    Reader rd{s, path, kHeaderBytes, body};
    for (uint32_t k = 0; k < count; k++) {
        const std::string rec = "record " + std::to_string(k);
        Record r;
        size_t name_len = (size_t)rd.num(4, rec + "'s name length");
        rd.need(name_len, rec + "'s name");
        r.name = s.substr(rd.pos, name_len);
        rd.pos += name_len;
        const std::string what = "record '" + r.name + "'";
        uint64_t dtype = rd.num(1, what + "'s dtype");
        if (dtype > 1)
            expected(path + ":byte " + std::to_string(rd.pos - 1),
                     "dtype 0 or 1 for " + what + ", found " + std::to_string(dtype), kHintCorrupt);
        r.dtype = (DType)dtype;
        uint64_t ndim = rd.num(4, what + "'s rank");
        rd.need(4 * ndim, what + "'s dims");
        uint64_t expect = 4;
        for (uint64_t i = 0; i < ndim; i++) {
            int d = (int)rd.num(4, what + "'s dims");
            r.shape.push_back(d);
            expect *= (uint64_t)d;
        }
        uint64_t nbytes = rd.num(8, what + "'s size");
        if (r.dtype == DType::F32 && nbytes != expect)
            expected(path,
                     std::to_string(expect) + " bytes for float32 " + what + " of shape " +
                         shape_str(r.shape) + ", found " + std::to_string(nbytes),
                     kHintCorrupt);
        rd.need(nbytes, what + "'s data");
        if (r.dtype == DType::Bytes) {
            r.bytes = s.substr(rd.pos, nbytes);
        } else {
            r.f32.resize(nbytes / 4);
            std::memcpy(r.f32.data(), s.data() + rd.pos, nbytes);  // little-endian host: see the top
        }
        rd.pos += nbytes;
        if (ck.has(r.name)) expected(path, "unique record names, found '" + r.name + "' twice", kHintCorrupt);
        ck.records.push_back(std::move(r));
    }
    if (rd.pos != body)
        expected(path + ":byte " + std::to_string(rd.pos),
                 "the checksum after record " + std::to_string(count) + ", found " +
                     std::to_string(body - rd.pos) + " more bytes",
                 kHintCorrupt);
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

void Checkpoint::restore_adam(Adam& opt, const std::string& prefix) const {
    const std::string& ts = bytes(prefix + "t");
    const Record& m = need(prefix + "m", DType::F32);
    const Record& v = need(prefix + "v", DType::F32);
    char* end = nullptr;
    long t = std::strtol(ts.c_str(), &end, 10);
    if (ts.empty() || *end != '\0' || t < 0)
        expected(path, "'" + prefix + "t' to be a step count, found \"" + printable(ts) + "\"", kHintCorrupt);
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
    for (int i = 0; i < 4; i++) rng.s[i] = get_le(b, 8 * (size_t)i, 8);
}

}  // namespace attn
