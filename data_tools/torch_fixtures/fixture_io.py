"""Write tensors in the text format that tests/fixture.hpp reads.

    <name> <ndim> <d0> ... : <v0> <v1> ...   (row-major, %.9g)
"""


def write_fixture(path, tensors, comment=""):
    with open(path, "w") as f:
        if comment:
            for line in comment.strip().splitlines():
                f.write("# " + line + "\n")
        for name, t in tensors.items():
            t = t.detach().double().contiguous()
            dims = list(t.shape)
            vals = " ".join("%.9g" % v for v in t.reshape(-1).tolist())
            f.write("%s %d %s : %s\n" % (name, len(dims), " ".join(map(str, dims)), vals))
