// transformer_config.hpp — chapter 07's model name and configuration as checkpoints keep them.
#pragma once
#include <cstdio>
#include <string>

#include "chapters/07_transformer/transformer.hpp"
#include "common/core/error.hpp"

namespace ch07 {

inline const char* kTransformerKind = "transformer";  // the checkpoint's tag; --load refuses another model's

inline std::string transformer_title(const TransformerConfig& c) {
    return "Transformer (C=" + std::to_string(c.C) + ", heads=" + std::to_string(c.NH) + ", F=" + std::to_string(c.F) +
           ", layers " + std::to_string(c.enc_layers) + "+" + std::to_string(c.dec_layers) + ", " +
           (c.norm == NormPlace::Pre ? "pre" : "post") + "-norm, " + (c.tie ? "tied" : "untied") + " output, dropout " +
           std::to_string(c.dropout).substr(0, 4) + "/" + std::to_string(c.attn_dropout).substr(0, 4) + ", smoothing " + std::to_string(c.smoothing).substr(0, 4) + ")";
}
inline std::string transformer_config_text(const TransformerConfig& c) {
    char buf[256];
    std::snprintf(buf, sizeof buf, "%d %d %d %d %d %d %d %s %d %g %g %d %g", c.Vs, c.Vt, c.C, c.NH, c.F, c.enc_layers,
                  c.dec_layers, c.norm == NormPlace::Pre ? "pre" : "post", c.tie ? 1 : 0, c.dropout, c.smoothing, c.Tmax,
                  c.attn_dropout);
    return buf;
}
inline TransformerConfig transformer_parse_config(const std::string& s, const std::string& where) {
    TransformerConfig c;
    char norm[8] = {0};
    int tie = 0, used = 0;  // used: the characters read (%n), so that trailing text is refused too
    if (std::sscanf(s.c_str(), "%d %d %d %d %d %d %d %7s %d %g %g %d %g %n", &c.Vs, &c.Vt, &c.C, &c.NH, &c.F,
                    &c.enc_layers, &c.dec_layers, norm, &tie, &c.dropout, &c.smoothing, &c.Tmax, &c.attn_dropout,
                    &used) != 13 ||
        used != (int)s.size() || (std::string(norm) != "pre" && std::string(norm) != "post") || c.C < 1 ||
        c.NH < 1 || c.C % c.NH != 0 || c.Vs < 1 || c.Vt < 1 || c.F < 1 || c.enc_layers < 1 || c.dec_layers < 1 ||
        c.Tmax < 1 || !(c.dropout >= 0 && c.dropout < 1) || !(c.smoothing >= 0 && c.smoothing < 1) ||
        !(c.attn_dropout >= 0 && c.attn_dropout < 1))
        fail(where, "a chapter 07 model config 'Vs Vt C heads F enc dec pre|post tied dropout smoothing Tmax attn_dropout', found '" +
                        s + "'", "was this checkpoint written by 07_transformer?");
    c.norm = std::string(norm) == "pre" ? NormPlace::Pre : NormPlace::Post;
    c.tie = tie != 0;
    return c;
}

}  // namespace ch07
