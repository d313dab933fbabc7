// Tests for checkpoint.hpp: a bit-exact round trip, resuming training, and every kind of bad file.
#include <doctest/doctest.h>
#include <sys/stat.h>  // mkfifo
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/run/checkpoint.hpp"
#include "common/core/error.hpp"
#include "common/nn/init.hpp"

using namespace attn;
namespace fs = std::filesystem;

namespace {
// A scratch directory per test process (other test binaries may run at the same time).
struct TempDir {
    fs::path dir;
    TempDir() {
        dir = fs::temp_directory_path() / ("attn_test_ckpt_" + std::to_string(getpid()));
        fs::create_directories(dir);
    }
    ~TempDir() { fs::remove_all(dir); }
    std::string file(const std::string& name) const { return (dir / name).string(); }
    bool has_tmp_files() const {
        for (const auto& e : fs::directory_iterator(dir))
            if (e.path().extension() == ".tmp") return true;
        return false;
    }
};

struct Model {
    Tensor w, b;
    ParamSet ps;
    Model(const Shape& wshape = {3, 4}, bool with_b = true) {
        ps.add(w, "w", wshape);
        if (with_b) ps.add(b, "b", {5});
        ps.allocate();
    }
};

std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}
void write_all(const std::string& path, const std::string& s) {
    std::ofstream out(path, std::ios::binary);
    out << s;
}

// One Adam step with deterministic gradients that depend on the step and the weights.
void train_step(Model& m, Adam& opt) {
    m.ps.zero_grad();
    for (const auto& e : m.ps.entries())  // (not the alignment padding between tensors, as a backward would)
        for (size_t i = e.offset; i < e.offset + e.size; i++)
            m.ps.grad[i] = std::sin(3.0f * m.ps.value[i] + (float)opt.t);
    opt.step(m.ps);
}

bool same_bits(const Buf& a, const Buf& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// load() must fail with a message that names the file and contains `what`.
void check_load_fails(const std::string& path, const std::string& what) {
    CAPTURE(what);
    CHECK_THROWS_WITH_AS(Checkpoint::load(path), doctest::Contains(path.c_str()), attn::Error);
    CHECK_THROWS_WITH_AS(Checkpoint::load(path), doctest::Contains(what.c_str()), attn::Error);
}
}  // namespace

TEST_CASE("checkpoint: params, Adam state, SGD state, RNG and bytes round-trip bit-exactly") {
    TempDir tmp;
    Model m;
    Rng rng(11);
    init_normal(m.w, rng, 1.0f);
    init_uniform(m.b, rng, -1.0f, 1.0f);
    m.w.data[0] = -0.0f, m.w.data[1] = 1e-42f;  // a negative zero and a denormal survive too
    Adam opt = make_adamw(m.ps, 1e-2f, 0.1f);
    train_step(m, opt);
    train_step(m, opt);
    SGD sgd = make_sgd(m.ps, 0.1f, 0.9f);
    sgd.step(m.ps);
    const char raw[] = "vocab\0with a NUL and \xff\xfe bytes\n";
    const std::string blob(raw, sizeof raw - 1);  // embedded NUL and non-ASCII bytes kept

    Checkpoint ck;
    ck.add_params(m.ps);
    ck.add_adam(opt);
    ck.add_sgd(sgd);
    ck.add_rng(rng);
    ck.add_bytes("vocab", blob);
    ck.add_bytes("empty", "");
    const std::string path = tmp.file("model.ckpt");
    ck.save(path);
    CHECK_FALSE(tmp.has_tmp_files());

    Checkpoint in = Checkpoint::load(path);
    CHECK(in.path == path);
    CHECK(in.has("param/w"));
    CHECK_FALSE(in.has("param/nope"));
    CHECK(in.bytes("vocab") == blob);
    CHECK(in.bytes("empty").empty());

    Model m2;
    Adam opt2 = make_adamw(m2.ps, 1e-2f, 0.1f);
    SGD sgd2 = make_sgd(m2.ps, 0.1f, 0.9f);
    Rng rng2(0);
    in.restore_params(m2.ps);
    in.restore_adam(opt2);
    in.restore_sgd(sgd2);
    in.restore_rng(rng2);
    CHECK(same_bits(m2.ps.value, m.ps.value));
    CHECK(std::signbit(m2.w.data[0]));
    CHECK(opt2.t == 2);
    CHECK(same_bits(opt2.m, opt.m));
    CHECK(same_bits(opt2.v, opt.v));
    CHECK(same_bits(sgd2.velocity, sgd.velocity));
    CHECK(rng2.next_u64() == rng.next_u64());

    // Saving what was loaded gives the same bytes: the format has no hidden state (time, padding).
    in.save(tmp.file("again.ckpt"));
    CHECK(read_all(tmp.file("again.ckpt")) == read_all(path));
    // Saving over an existing checkpoint replaces it.
    Checkpoint small;
    small.add_bytes("x", "1");
    small.save(path);
    CHECK(Checkpoint::load(path).records.size() == 1);
    CHECK_FALSE(tmp.has_tmp_files());
}

// The bytes of a small checkpoint as the version-1 writer produced them (commit 09aa021): the
// writer must keep producing exactly these bytes, and the reader must keep accepting them.
TEST_CASE("checkpoint: a file written by an earlier build is read and re-written byte for byte") {
    static const char kGolden[] =
        "\x41\x54\x54\x4e\x43\x4b\x50\x54\x01\x00\x00\x00\x03\x00\x00\x00"
        "\xa2\x00\x00\x00\x00\x00\x00\x00\x07\x00\x00\x00\x70\x61\x72\x61"
        "\x6d\x2f\x77\x00\x02\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00"
        "\x18\x00\x00\x00\x00\x00\x00\x00\x00\x00\xc0\x3f\x00\x00\x00\xc0"
        "\x00\x00\x00\x00\x00\x00\x50\x40\x00\x00\x00\xbe\x6f\x12\x83\x3a"
        "\x05\x00\x00\x00\x76\x6f\x63\x61\x62\x01\x00\x00\x00\x00\x04\x00"
        "\x00\x00\x00\x00\x00\x00\x61\x09\x62\x0a\x03\x00\x00\x00\x72\x6e"
        "\x67\x01\x00\x00\x00\x00\x20\x00\x00\x00\x00\x00\x00\x00\xd7\x0d"
        "\x32\x59\xe4\xe1\xcb\x63\x1c\x66\x3c\xf4\xd7\x3c\x4c\x04\x02\x2a"
        "\xb1\xba\x80\x40\x98\xe6\xcb\x29\x3e\x67\x70\xeb\x3a\x95\xae\x13"
        "\x8d\xb0";
    const std::string golden(kGolden, sizeof kGolden - 1);
    REQUIRE(golden.size() == 162);
    TempDir tmp;
    const float w[6] = {1.5f, -2.f, 0.f, 3.25f, -0.125f, 1e-3f};
    Checkpoint ck;  // the same records as the golden file
    ck.add_tensor("param/w", {2, 3}, w);
    ck.add_bytes("vocab", "a\tb\n");
    ck.add_rng(Rng(7));
    ck.save(tmp.file("now.ckpt"));
    CHECK(read_all(tmp.file("now.ckpt")) == golden);

    write_all(tmp.file("golden.ckpt"), golden);
    Checkpoint in = Checkpoint::load(tmp.file("golden.ckpt"));
    REQUIRE(in.records.size() == 3);
    float back[6] = {};
    in.restore_tensor("param/w", {2, 3}, back);
    CHECK(std::memcmp(back, w, sizeof w) == 0);
    CHECK(in.bytes("vocab") == "a\tb\n");
    Rng r(0), want(7);
    in.restore_rng(r);
    CHECK(r.next_u64() == want.next_u64());
    in.save(tmp.file("again.ckpt"));
    CHECK(read_all(tmp.file("again.ckpt")) == golden);
}

TEST_CASE("checkpoint: train 3 steps == train 1, save, load into a fresh model, train 2") {
    TempDir tmp;
    Model a;
    Rng rng(5);
    init_normal(a.w, rng, 0.5f);
    init_normal(a.b, rng, 0.5f);
    Model b;
    b.ps.value = a.ps.value;
    Adam oa = make_adam(a.ps, 1e-2f), ob = make_adam(b.ps, 1e-2f);
    for (int s = 0; s < 3; s++) train_step(a, oa);

    train_step(b, ob);
    Checkpoint ck;
    ck.add_params(b.ps);
    ck.add_adam(ob);
    ck.save(tmp.file("resume.ckpt"));
    Model c;
    Adam oc = make_adam(c.ps, 1e-2f);
    Checkpoint in = Checkpoint::load(tmp.file("resume.ckpt"));
    in.restore_params(c.ps);
    in.restore_adam(oc);
    for (int s = 0; s < 2; s++) train_step(c, oc);
    CHECK(same_bits(c.ps.value, a.ps.value));
    CHECK(same_bits(oc.m, oa.m));
    CHECK(oc.t == 3);
}

TEST_CASE("checkpoint: bad files are errors naming the file and what was expected") {
    TempDir tmp;
    Model m;
    Rng rng(1);
    init_normal(m.w, rng, 1.0f);
    Checkpoint ck;
    ck.add_params(m.ps);
    ck.add_bytes("config", "{\"hidden\": 4}");
    const std::string good_path = tmp.file("good.ckpt");
    ck.save(good_path);
    const std::string good = read_all(good_path);
    const std::string bad = tmp.file("bad.ckpt");

    check_load_fails(tmp.file("missing.ckpt"), "cannot be opened");
    write_all(bad, "");
    check_load_fails(bad, "empty file");

    std::string s = good;
    s[0] = 'X';
    write_all(bad, s);
    check_load_fails(bad, "magic");
    write_all(bad, "GIF89a and then some more bytes to pass the header size");
    check_load_fails(bad, "magic");

    s = good;
    s[8] = 2;  // version 2
    write_all(bad, s);
    check_load_fails(bad, "version 1, found 2");

    for (size_t pos : {(size_t)12, (size_t)30, good.size() / 2, good.size() - 20, good.size() - 1}) {
        CAPTURE(pos);
        s = good;
        s[pos] ^= 0x10;  // one flipped bit anywhere after the header's checked fields
        write_all(bad, s);
        check_load_fails(bad, "checksum");
    }

    for (size_t cut : {(size_t)4, (size_t)8, (size_t)23}) {
        CAPTURE(cut);
        write_all(bad, good.substr(0, cut));
        check_load_fails(bad, "header");
        check_load_fails(bad, "truncated");
    }
    for (size_t cut : {(size_t)24, (size_t)40, good.size() / 2, good.size() - 4, good.size() - 1}) {
        CAPTURE(cut);
        write_all(bad, good.substr(0, cut));
        check_load_fails(bad, "truncated");
    }
    write_all(bad, good + "junk");
    check_load_fails(bad, "trailing bytes");

    Checkpoint::load(good_path);  // the good file still loads
    CHECK_THROWS_WITH_AS(Checkpoint::load(good_path).bytes("vocab"), doctest::Contains("'vocab'"),
                         attn::Error);
    CHECK_THROWS_WITH_AS(Checkpoint::load(good_path).bytes("param/w"), doctest::Contains("good.ckpt"),
                         attn::Error);
}

TEST_CASE("checkpoint: a model that does not match is an error naming the tensors, and stays untouched") {
    TempDir tmp;
    Model m;
    Rng rng(2);
    init_normal(m.w, rng, 1.0f);
    init_normal(m.b, rng, 1.0f);
    Checkpoint ck;
    ck.add_params(m.ps);
    const std::string path = tmp.file("model.ckpt");
    ck.save(path);
    Checkpoint in = Checkpoint::load(path);

    SUBCASE("shape mismatch") {
        Model other({3, 5});
        init_constant(other.w, 7.0f);
        Buf before = other.ps.value;
        CHECK_THROWS_WITH_AS(
            in.restore_params(other.ps),
            doctest::Contains("'param/w' has shape (3, 4) in the file but (3, 5) in the model"), attn::Error);
        CHECK_THROWS_WITH_AS(in.restore_params(other.ps), doctest::Contains("model.ckpt"), attn::Error);
        CHECK(same_bits(other.ps.value, before));  // b matched, but was not copied either
    }
    SUBCASE("a tensor missing from the file") {
        Tensor extra;
        ParamSet ps;
        Tensor w, b;
        ps.add(w, "w", {3, 4});
        ps.add(b, "b", {5});
        ps.add(extra, "extra", {2});
        ps.allocate();
        Buf before = ps.value;
        CHECK_THROWS_WITH_AS(in.restore_params(ps),
                             doctest::Contains("'param/extra' (2) is missing from the file"), attn::Error);
        CHECK(same_bits(ps.value, before));
    }
    SUBCASE("a tensor in the file that the model does not have") {
        Model other({3, 4}, /*with_b*/ false);
        Buf before = other.ps.value;
        CHECK_THROWS_WITH_AS(in.restore_params(other.ps),
                             doctest::Contains("'param/b' (5) is in the file but not"), attn::Error);
        CHECK(same_bits(other.ps.value, before));
    }
    SUBCASE("optimiser state: not initialised, or for another model size") {
        Adam opt = make_adam(m.ps, 1e-3f);
        Checkpoint c2;
        c2.add_adam(opt);
        Adam fresh;
        CHECK_THROWS_WITH_AS(c2.restore_adam(fresh), doctest::Contains("init"), attn::Error);
        Model big({8, 8});
        Adam other = make_adam(big.ps, 1e-3f);
        CHECK_THROWS_AS(c2.restore_adam(other), attn::Error);
        CHECK(other.t == 0);
        CHECK_THROWS_WITH_AS(in.restore_adam(opt), doctest::Contains("'adam/t'"),
                             attn::Error);  // never saved
    }
    SUBCASE("the tensors match: restore works") {
        Model same;
        in.restore_params(same.ps);
        CHECK(same_bits(same.ps.value, m.ps.value));
    }
}

TEST_CASE("checkpoint: duplicate names and unwritable paths are errors; no .tmp is left behind") {
    TempDir tmp;
    Checkpoint ck;
    ck.add_bytes("a", "1");
    CHECK_THROWS_WITH_AS(ck.add_bytes("a", "2"), doctest::Contains("'a'"), attn::Error);
    const std::string nodir = tmp.file("no_such_dir/model.ckpt");
    CHECK_THROWS_WITH_AS(ck.save(nodir), doctest::Contains(nodir.c_str()), attn::Error);
    // A directory where the checkpoint should go: the .tmp is written, the rename fails, the .tmp is removed.
    fs::create_directories(tmp.file("is_a_dir"));
    CHECK_THROWS_WITH_AS(ck.save(tmp.file("is_a_dir")), doctest::Contains("is_a_dir"), attn::Error);
    CHECK_FALSE(tmp.has_tmp_files());
    CHECK_THROWS_WITH_AS(Checkpoint::load(tmp.file("is_a_dir")), doctest::Contains("is_a_dir"), attn::Error);
}

TEST_CASE("checkpoint: a save path is checked first, and a save never replaces a directory, a link or a pipe") {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("attn_ckpt_paths_" + std::to_string(getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir / "sub");
    const std::string ok = (dir / "new.ckpt").string();
    CHECK_NOTHROW(Checkpoint::check_save_path(ok));
    CHECK(!fs::exists(ok + ".tmp"));  // the probe leaves nothing behind
    const std::string missing = "--save " + (dir / "missing/x.ckpt").string();
    CHECK_THROWS_WITH_AS(Checkpoint::check_save_path((dir / "missing/x.ckpt").string()),
                         doctest::Contains(missing.c_str()), Error);
    CHECK_THROWS_WITH_AS(Checkpoint::check_save_path((dir / "sub").string()), doctest::Contains("expected a regular file or a new name, found a directory"), Error);
    CHECK_THROWS_WITH_AS(Checkpoint::check_save_path((dir / "sub/").string()), doctest::Contains("a file name"), Error);
    fs::create_symlink(dir / "target", dir / "link.ckpt");
    Checkpoint ck;
    ck.add_bytes("x", "1");
    CHECK_THROWS_WITH_AS(ck.save((dir / "link.ckpt").string()), doctest::Contains("found a symbolic link"), Error);
    CHECK(fs::is_symlink(dir / "link.ckpt"));  // still the link
    REQUIRE(mkfifo((dir / "pipe.ckpt").c_str(), 0600) == 0);
    CHECK_THROWS_WITH_AS(Checkpoint::check_save_path((dir / "pipe.ckpt").string()), doctest::Contains("device, pipe or socket"),
                         Error);
    ck.save(ok);  // an earlier checkpoint (a regular file) is replaced
    CHECK_NOTHROW(ck.save(ok));
    std::ofstream(ok + ".tmp") << "half a checkpoint";  // a save killed midway leaves its .tmp behind:
    CHECK_NOTHROW(Checkpoint::check_save_path(ok));      // the next run's check clears it
    CHECK(!fs::exists(ok + ".tmp"));
    fs::remove_all(dir);
}
