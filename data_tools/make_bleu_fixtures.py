#!/usr/bin/env python3
"""Reference BLEU values from NLTK for tests/common/test_bleu.cpp.

    /usr/bin/python3 data_tools/make_bleu_fixtures.py      (Debian's python3-nltk)

Writes into tests/fixtures/:
  bleu_hyp.txt, bleu_ref0.txt, bleu_ref1.txt   a small corpus, one tokenised sentence per line
  bleu_expected.txt                            NLTK's corpus_bleu and sentence_bleu on it

Every hypothesis has at least 4 tokens: for a sentence shorter than n, NLTK counts its number of
n-grams as 1 instead of 0 (max(1, ...) in modified_precision), which differs from the standard
definition (multi-bleu.perl, sacreBLEU). With >= 4 tokens the two agree exactly; the short cases
are covered by hand-computed tests instead.

bleu_expected.txt, one value per line, BLEU in 0..100 as our BleuScore:
  corpus <name> <bleu> <bp> <hyp_len> <ref_len>        name: two_refs, ref0, short (brevity penalty)
  sentence <line> <method> <bleu>                       method 0..3 (SmoothingFunction().methodN)
"""
import os
import random
import warnings

import nltk
from nltk.translate.bleu_score import (SmoothingFunction, brevity_penalty, closest_ref_length, corpus_bleu,
                                      modified_precision, sentence_bleu)

here = os.path.dirname(os.path.abspath(__file__))
out_dir = os.path.join(here, "..", "tests", "fixtures")

# Hand-written lines: clipping (a repeated word), a perfect match, a reordering with no 4-gram
# match, and a reference much longer than the hypothesis.
HAND = [
    ("the the the the the the the", "the cat is on the mat", "there is a cat on the mat"),
    ("a small dog runs in the park", "a small dog runs in the park", "a little dog is running in the park"),
    ("in the park runs a small dog", "a small dog runs in the park", "the small dog runs around the park"),
    ("she reads a book", "she is reading a long book in the garden today", "she reads a good book in the garden"),
]

WORDS = ("the a cat dog bird sees chases likes eats small big red old house garden tree on in near "
         "with and quickly slowly today").split()


def make_corpus(seed=1234, n_random=12):
    """Random references; the hypothesis is reference 0 with a few drops, substitutions and swaps."""
    rng = random.Random(seed)
    lines = list(HAND)
    for _ in range(n_random):
        ref0 = [rng.choice(WORDS) for _ in range(rng.randint(6, 14))]
        ref1 = list(ref0)
        for _ in range(rng.randint(1, 3)):
            ref1[rng.randrange(len(ref1))] = rng.choice(WORDS)
        hyp = list(ref0)
        for _ in range(rng.randint(0, 4)):
            op, i = rng.randrange(3), rng.randrange(len(hyp))
            if op == 0 and len(hyp) > 4:
                del hyp[i]
            elif op == 1:
                hyp[i] = rng.choice(WORDS)
            elif i + 1 < len(hyp):
                hyp[i], hyp[i + 1] = hyp[i + 1], hyp[i]
        lines.append((" ".join(hyp), " ".join(ref0), " ".join(ref1)))
    for h, _, _ in lines:
        assert len(h.split()) >= 4, h
    return lines


def main():
    warnings.simplefilter("ignore")  # NLTK warns on every zero n-gram precision with method0
    # Our port needs NLTK's unnormalised fractions (Python < 3.12): 2/4 must stay 2/4.
    p = modified_precision([["a", "b", "c", "d"]], ["a", "b", "x", "y"], 1)
    assert (p.numerator, p.denominator) == (2, 4), "this NLTK/Python normalises its fractions"

    lines = make_corpus()
    hyps = [h.split() for h, _, _ in lines]
    refs = [[r0.split(), r1.split()] for _, r0, r1 in lines]
    for name, col in (("bleu_hyp.txt", 0), ("bleu_ref0.txt", 1), ("bleu_ref1.txt", 2)):
        with open(os.path.join(out_dir, name), "w") as f:
            f.writelines(line[col] + "\n" for line in lines)

    def corpus_line(name, hyps, refs):
        hyp_len = sum(len(h) for h in hyps)
        ref_len = sum(closest_ref_length(rs, len(h)) for h, rs in zip(hyps, refs))
        bp = brevity_penalty(ref_len, hyp_len)
        return "corpus %s %r %r %d %d\n" % (name, 100 * corpus_bleu(refs, hyps), bp, hyp_len, ref_len)

    # The brevity-penalty case: every hypothesis cut to its first 4 tokens, against reference 0.
    short = [h[:4] for h in hyps]
    ref0 = [[rs[0]] for rs in refs]
    out = [
        "# NLTK %s corpus_bleu / sentence_bleu on bleu_hyp.txt vs bleu_ref0.txt + bleu_ref1.txt (BLEU x 100)\n"
        % nltk.__version__,
        corpus_line("two_refs", hyps, refs),
        corpus_line("ref0", hyps, ref0),
        corpus_line("short", short, ref0),
    ]
    sm = SmoothingFunction()
    methods = [sm.method0, sm.method1, sm.method2, sm.method3]
    for i, (h, rs) in enumerate(zip(hyps, refs)):
        for m, fn in enumerate(methods):
            out.append("sentence %d %d %r\n" % (i + 1, m, 100 * sentence_bleu(rs, h, smoothing_function=fn)))
    with open(os.path.join(out_dir, "bleu_expected.txt"), "w") as f:
        f.writelines(out)
    print("wrote", len(lines), "sentences and", len(out) - 1, "reference values to", os.path.normpath(out_dir))


if __name__ == "__main__":
    main()
