// bleu — corpus BLEU of a system output against one or more reference files.
//
//   build/bin/bleu --hyp runs/02_additive_attention/test.hyp.txt --ref test.ref.txt [--ref test.ref2.txt ...]
//   BLEU = 34.56 65.1/40.2/27.3/18.9 (BP = 0.987 ratio = 0.987 hyp_len = 1234 ref_len = 1250)
//
// One whitespace-tokenised sentence per line; line i of each reference file is a reference
// translation of line i of the hypothesis file. Same numbers as multi-bleu.perl, or
// `sacrebleu REF -i HYP --tokenize none` (see common/eval/bleu.hpp for the definition).
// Exit status: 0 on success, 2 on a bad command line or bad input files.
#include <cstdio>
#include <string>
#include <vector>

#include "common/eval/bleu.hpp"
#include "common/run/cli.hpp"
#include "common/core/error.hpp"

int main(int argc, char** argv) {
    attn::Cli cli("bleu",
                  "Corpus BLEU (Papineni et al. 2002) of tokenised system output against reference files,\n"
                  "one sentence per line; the output line matches sacreBLEU with --tokenize none.");
    std::string hyp;
    std::vector<std::string> refs;
    bool sentences = false;
    cli.flag("hyp", &hyp, "system output, one tokenised sentence per line");
    cli.flag_list("ref", &refs, "reference translations, line-aligned with --hyp");
    cli.flag("sentences", &sentences, "first print each line's smoothed sentence BLEU (line, tab, score)");
    cli.parse(argc, argv);
    if (hyp.empty() || refs.empty()) {
        std::fprintf(stderr, "bleu: error: %s (HINT: bleu --hyp HYP.txt --ref REF.txt)\n\n%s",
                     hyp.empty() ? "--hyp is required" : "at least one --ref is required", cli.usage().c_str());
        return 2;
    }
    try {
        attn::BleuFiles f = attn::read_bleu_files(hyp, refs);
        if (sentences)
            for (size_t i = 0; i < f.hyp.sents.size(); i++)
                std::printf("%zu\t%.2f\n", i + 1, attn::sentence_bleu(f.hyp.sents[i], f.ref.sents[i]).bleu);
        attn::BleuScore s = attn::corpus_bleu(f.hyp, f.ref);
        std::printf("%s\n", s.str().c_str());
    } catch (const attn::Error& e) {
        std::fprintf(stderr, "bleu: error: %s\n", e.what());
        return 2;
    }
    return 0;
}
