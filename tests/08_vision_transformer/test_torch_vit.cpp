// Chapter 08 against PyTorch: the patch embedding (PyTorch writes it as a stride-P Conv2d), the class token,
// the position embeddings and one pre-norm encoder layer (chapter 06's, = nn.TransformerEncoderLayer with
// norm_first) — the tokens z0, the layer's output z1, and the gradients of the pixels and of every
// parameter. The reference is committed in tests/fixtures/vit.txt (data_tools/torch_fixtures/vit.py; PyTorch
// in float64 on float32 values, so the tolerances measure our float32 rounding alone).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "chapters/06_self_attention/encoder_layer.hpp"
#include "chapters/08_vision_transformer/patch_embedding.hpp"
#include "chapters/08_vision_transformer/vit_model.hpp"
#include "tests/fixture.hpp"

using namespace attn;
using namespace attn::testing;

namespace {

// Our parameter name for the fixture's (PyTorch's encoder-layer names, the rest already ours).
std::string ours_name(const std::string& n) {
    if (n == "linear1.weight") return "layer.ffn.W1";
    if (n == "linear1.bias") return "layer.ffn.b1";
    if (n == "linear2.weight") return "layer.ffn.W2";
    if (n == "linear2.bias") return "layer.ffn.b2";
    if (n.rfind("norm", 0) == 0) return "layer.ln" + n.substr(4);  // norm1.weight -> layer.ln1.weight
    if (n.rfind("attn.", 0) == 0) return "layer." + n;
    return n;  // patch.E, patch.b, tokens.cls, tokens.pos
}

void check_close(const std::string& what, const float* ours, const FixtureTensor& ref, size_t n, double tol) {
    INFO(what);
    REQUIRE(ref.v.size() == n);
    double scale = 0;
    for (float v : ref.v) scale = std::max(scale, (double)std::abs(v));
    CHECK(max_abs_diff(ours, ref.v.data(), n) / std::max(1.0, scale) < tol);
}

}  // namespace

TEST_CASE("torch: patch embedding (a stride-P Conv2d) + class token + positions + one pre-norm encoder layer") {
    const Fixture fx = load_fixture("vit.txt");
    const FixtureTensor& x = get(fx, "x");
    const int B = x.shape[0], H = x.shape[1];
    const FixtureTensor& Ef = get(fx, "p.patch.E");
    const int C = Ef.shape[0], D = Ef.shape[1], P = (int)std::lround(std::sqrt(D)), N = (H / P) * (H / P),
              T = N + 1;
    REQUIRE(P * P == D);
    ParamSet ps;
    Tensor E, bE, cls, pos;
    ch06::EncoderLayer L;
    ps.add(E, "patch.E", {C, D}), ps.add(bE, "patch.b", {C});
    ps.add(cls, "tokens.cls", {C}), ps.add(pos, "tokens.pos", {T, C});
    ch06::encoder_layer_declare(L, ps, "layer.", C, 2, 12, ch06::NormPlace::Pre, 0.0f);
    ps.allocate();
    size_t loaded = 0;
    for (const auto& [key, t] : fx) {
        if (key.rfind("p.", 0) != 0) continue;
        const auto* e = ps.find(ours_name(key.substr(2)));
        INFO("fixture parameter " << key);
        REQUIRE(e);
        REQUIRE(e->size == t.v.size());
        std::copy(t.v.begin(), t.v.end(), ps.data(*e));
        loaded++;
    }
    REQUIRE(loaded == ps.entries().size());  // every parameter of ours came from PyTorch

    // forward: pixels → patches → X → z0 → z1
    Buf xb(x.v.begin(), x.v.end()), xp((size_t)B * N * D), X((size_t)B * N * C), z0((size_t)B * T * C),
        z1(z0.size());
    ch08::patchify_forward(xp.data(), xb.data(), B, H, P);
    ch08::patch_embed_forward(X.data(), xp.data(), E.data, bE.data, B, N, D, C);
    ch08::tokens_forward(z0.data(), X.data(), cls.data, pos.data, B, N, C);
    check_close("z0", z0.data(), get(fx, "z0"), z0.size(), 2e-6);
    ch06::EncoderCache cache;
    Rng rng(0);
    ch06::encoder_layer_forward(z1.data(), cache, L, z0.data(), ch06::AttnMask{}, B, T, rng, true);
    check_close("z1", z1.data(), get(fx, "z1"), z1.size(), 2e-6);

    // backward: dz1 = R → dz0 → dX → dxp → dx, and every parameter's gradient
    ps.zero_grad();
    const FixtureTensor& R = get(fx, "R");
    Buf dz0(z0.size(), 0.0f), dX(X.size(), 0.0f), dxp(xp.size(), 0.0f), dx(xb.size(), 0.0f);
    ch06::encoder_layer_backward(dz0.data(), L, cache, R.v.data(), z0.data(), B, T);
    ch08::tokens_backward(dX.data(), cls.grad, pos.grad, dz0.data(), B, N, C);
    ch08::patch_embed_backward(dxp.data(), E.grad, bE.grad, dX.data(), xp.data(), E.data, B, N, D, C);
    ch08::patchify_backward(dx.data(), dxp.data(), B, H, P);
    check_close("dx (pixels)", dx.data(), get(fx, "dx"), dx.size(), 1e-5);
    size_t checked = 0;
    for (const auto& [key, t] : fx) {
        if (key.rfind("d.", 0) != 0 || key == "dx") continue;
        const auto* e = ps.find(ours_name(key.substr(2)));
        INFO("gradient " << key);
        REQUIRE(e);
        check_close(key, ps.grad_of(*e), t, e->size, 1e-5);
        checked++;
    }
    CHECK(checked == ps.entries().size());
}

TEST_CASE("torch: the hybrid's embedding (3x3 conv + ReLU stem, overlapping patches of its maps) + class token + positions") {
    const Fixture fx = load_fixture("vit_hybrid.txt");
    const FixtureTensor& x = get(fx, "x");
    const int B = x.shape[0];
    ch08::ViTConfig c;
    c.H = x.shape[1], c.P = 4, c.K = 6;
    c.S = get(fx, "p.stem.bias").shape[0], c.C = get(fx, "p.patch.b").shape[0];
    c.L = 0, c.NH = 2, c.F = 12, c.V = 3, c.dropout = 0.0f;  // no encoder layer: vit_embed_forward's z[0]
    ch08::ViT m;
    Rng rng(0);
    ch08::vit_init(m, c, rng);
    size_t loaded = 0;
    for (const auto& [key, t] : fx) {
        if (key.rfind("p.", 0) != 0) continue;
        const auto* e = m.params.find(key.substr(2));  // stem.*, patch.*, tokens.*: our names
        INFO("fixture parameter " << key);
        REQUIRE(e);
        REQUIRE(e->size == t.v.size());
        std::copy(t.v.begin(), t.v.end(), m.params.data(*e));
        loaded++;
    }
    REQUIRE(loaded == 6);
    ch08::ViTActs a;
    a.resize(B, c);
    a.training = false;
    ch08::vit_embed_forward(m, a, x.v.data(), B, rng, /*training=*/false);
    check_close("z0", a.z[0].data(), get(fx, "z0"), (size_t)B * c.T() * c.C, 2e-6);
    const FixtureTensor& R = get(fx, "R");
    std::copy(R.v.begin(), R.v.end(), a.dz0.begin());
    m.params.zero_grad();
    ch08::vit_embed_backward(m, a, B);
    size_t checked = 0;
    for (const auto& [key, t] : fx) {
        if (key.rfind("d.", 0) != 0) continue;
        const auto* e = m.params.find(key.substr(2));
        INFO("gradient " << key);
        REQUIRE(e);
        check_close(key, m.params.grad_of(*e), t, e->size, 1e-5);
        checked++;
    }
    CHECK(checked == 6);
}
