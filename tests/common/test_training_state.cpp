// Tests for common/run/training_state: the resumable checkpoint of chapters 00, 09 and 10.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "common/core/error.hpp"
#include "common/run/checkpoint.hpp"
#include "common/run/training_state.hpp"

using namespace attn;

TEST_CASE("training_state: weights, Adam, rng and epochs round-trip; another config is refused untouched") {
    std::string path =
        (std::filesystem::temp_directory_path() / ("attn_training_state_" + std::to_string(getpid()) + ".ckpt")).string();
    ParamSet a;
    Tensor w;
    a.add(w, "w", {3, 4});
    a.allocate();
    for (size_t i = 0; i < w.size; i++) w.data[i] = 0.1f * (float)i, w.grad[i] = 1.0f;
    Adam opt = make_adam(a, 1e-2f);
    opt.step(a);  // non-trivial moments
    Rng rng(7);
    rng.normal();
    save_training_state(path, "D 3 H 4", a, opt, rng, 5);

    ParamSet b;
    Tensor w2;
    b.add(w2, "w", {3, 4});
    b.allocate();
    Adam opt_b = make_adam(b, 1e-2f);
    Rng rng_b(99);
    CHECK(load_training_state(path, "D 3 H 4", "hint", b, opt_b, rng_b) == 5);
    CHECK(std::memcmp(a.value.data(), b.value.data(), a.value.size() * sizeof(float)) == 0);
    CHECK(rng_b.normal() == rng.normal());  // the stream continues where it was saved
    for (size_t i = 0; i < w.size; i++) w.grad[i] = w2.grad[i] = 0.5f;
    opt.step(a), opt_b.step(b);  // and Adam's moments too
    CHECK(std::memcmp(a.value.data(), b.value.data(), a.value.size() * sizeof(float)) == 0);

    ParamSet c;
    Tensor w3;
    c.add(w3, "w", {3, 4});
    c.allocate();
    Adam opt_c = make_adam(c, 1e-2f);
    Rng rng_c(1);
    CHECK_THROWS_WITH_AS(load_training_state(path, "D 3 H 8", "use the same --hidden", c, opt_c, rng_c),
                         doctest::Contains("D 3 H 4"), Error);
    for (size_t i = 0; i < w3.size; i++) CHECK(w3.data[i] == 0.0f);  // untouched
    std::remove(path.c_str());
}

// A checkpoint with a valid checksum but hand-made records: every number is range-checked, with an
// error naming the file and the record, before anything is restored (issue 17's reproducers).
TEST_CASE("training_state: hand-made epoch and step counts are refused with a clear error") {
    const std::string path =
        (std::filesystem::temp_directory_path() / ("attn_training_state_bad_" + std::to_string(getpid()) + ".ckpt")).string();
    ParamSet a;
    Tensor w;
    a.add(w, "w", {2});
    a.allocate();
    Adam opt = make_adam(a, 1e-2f);
    Rng rng(1);
    auto save_with = [&](const std::string& epoch, const std::string& steps) {
        Checkpoint ck;
        ck.add_bytes("config", "D 2");
        ck.add_params(a);
        Checkpoint full;
        full.add_adam(opt);
        for (Checkpoint::Record& r : full.records)
            if (r.name == "adam/t") ck.add_bytes("adam/t", steps);
            else ck.records.push_back(r);
        ck.add_rng(rng);
        ck.add_bytes("epoch", epoch);
        ck.save(path);
    };
    for (const char* epoch : {"abc", "99999999999", "-7", "", " 5", "5x", "1e3"}) {
        CAPTURE(epoch);
        save_with(epoch, "3");
        CHECK_THROWS_WITH_AS(load_training_state(path, "D 2", "", a, opt, rng),
                             doctest::Contains("'epoch' to be a whole number from 0 to 1000000"), Error);
    }
    for (const char* steps : {"100000000000000000000000", "-1", "1.5"}) {
        CAPTURE(steps);
        save_with("2", steps);
        CHECK_THROWS_WITH_AS(load_training_state(path, "D 2", "", a, opt, rng), doctest::Contains("'adam/t' to be a whole number"),
                             Error);
    }
    save_with("2", "3");  // and the well-formed one loads
    CHECK(load_training_state(path, "D 2", "", a, opt, rng) == 2);
    CHECK(opt.t == 3);
    std::remove(path.c_str());
}

TEST_CASE("checkpoint: a float record of zero elements round-trips") {
    const std::string path =
        (std::filesystem::temp_directory_path() / ("attn_ckpt_empty_" + std::to_string(getpid()) + ".ckpt")).string();
    Checkpoint ck;
    ck.add_tensor("empty", {0}, nullptr);
    ck.save(path);
    const Checkpoint back = Checkpoint::load(path);
    REQUIRE(back.find("empty") != nullptr);
    CHECK(back.find("empty")->f32.empty());
    std::remove(path.c_str());
}
