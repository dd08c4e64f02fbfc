"""RFC 6962 Merkle trees: the published test vectors, a reference built from the RFC's text,
and properties (every proof verifies, any flipped bit does not)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhian.core import merkle
from zhian.core.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    consistency_proof,
    hash_leaves,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_hash,
    verify_consistency,
    verify_inclusion,
)

# --- Test vectors -------------------------------------------------------------------------
# Typed in from transparency-dev/merkle (Apache-2.0), the Go library behind Trillian and the
# Certificate Transparency Go code, which carries the "8-leaf tree" vectors forward from
# google/certificate-transparency:
#   testonly/constants.go   @ 582a6ad190b6848f1d26f8bf08ddef29955d9db1  (leaves, node hashes,
#                                                                        roots of sizes 0..8)
#   proof/verify_test.go    @ 02194e9afb6c1d95b5381350007963aa70fff472  (inclusion and
#                           consistency proofs, the corruptions that must fail, edge cases)
#   proof/proof_test.go     @ 02a3e2029520f515596d5238c54fb0ac9e19bff4  (which nodes each
#                                                                        proof is made of)
# Nothing is imported from those projects.


def h(hex_digits: str) -> bytes:
    return bytes.fromhex(hex_digits)


LEAF_INPUTS = [
    h(""),
    h("00"),
    h("10"),
    h("2021"),
    h("3031"),
    h("40414243"),
    h("5051525354555657"),
    h("606162636465666768696a6b6c6d6e6f"),
]

# NODE[level][index]: the hash of every complete subtree of the 8-leaf tree.
NODE = [
    [
        h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
        h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
        h("0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"),
        h("07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"),
        h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        h("4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"),
        h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
        h("46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"),
    ],
    [
        h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
        h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
        h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
    ],
    [
        h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
    ],
    [h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")],
]

# ROOT[n]: the tree hash of the first n leaves.
ROOT = [
    h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]

# (leaf index, tree size, proof). The Go table numbers leaves from 1; these are 0-based.
INCLUSION = [
    (0, 1, []),
    (
        0,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        5,
        8,
        [
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (2, 3, [h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]),
    (
        1,
        5,
        [
            h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
]

# (size1, size2, proof)
CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        6,
        8,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (
        2,
        5,
        [
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (
        6,
        7,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
]

SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")
LEAVES = hash_leaves(LEAF_INPUTS)

# proof_test.go names proof nodes by (level, index) in the tree drawn there; an "I+J" entry
# is a node the proof hashes on the fly: MTH(D[4:7]) = node(i, j) for sizes 7 and 8.
IJ = "i+j"
Ref = tuple[int, int] | str


def resolve(refs: Sequence[Ref]) -> list[bytes]:
    return [
        node_hash(NODE[1][2], NODE[0][6]) if isinstance(r, str) else NODE[r[0]][r[1]] for r in refs
    ]


INCLUSION_SHAPES: list[tuple[int, int, list[Ref]]] = [
    (1, 0, []),
    (2, 0, [(0, 1)]),
    (2, 1, [(0, 0)]),
    (3, 1, [(0, 0), (0, 2)]),
    (7, 0, [(0, 1), (1, 1), IJ]),
    (7, 1, [(0, 0), (1, 1), IJ]),
    (7, 2, [(0, 3), (1, 0), IJ]),
    (7, 3, [(0, 2), (1, 0), IJ]),
    (7, 4, [(0, 5), (0, 6), (2, 0)]),
    (7, 5, [(0, 4), (0, 6), (2, 0)]),
    (7, 6, [(1, 2), (2, 0)]),
    (4, 2, [(0, 3), (1, 0)]),
    (5, 3, [(0, 2), (1, 0), (0, 4)]),
    (6, 3, [(0, 2), (1, 0), (1, 2)]),
    (6, 4, [(0, 5), (2, 0)]),
]

CONSISTENCY_SHAPES: list[tuple[int, int, list[Ref]]] = [
    (1, 2, [(0, 1)]),
    (1, 4, [(0, 1), (1, 1)]),
    (1, 6, [(0, 1), (1, 1), (1, 2)]),
    (2, 3, [(0, 2)]),
    (2, 8, [(1, 1), (2, 1)]),
    (3, 7, [(0, 2), (0, 3), (1, 0), IJ]),
    (4, 7, [IJ]),
    (5, 7, [(0, 4), (0, 5), (0, 6), (2, 0)]),
    (6, 7, [(1, 2), (0, 6), (2, 0)]),
    (7, 8, [(0, 6), (0, 7), (1, 2), (2, 0)]),
    (2, 4, [(1, 1)]),
    (3, 5, [(0, 2), (0, 3), (1, 0), (0, 4)]),
    (3, 6, [(0, 2), (0, 3), (1, 0), (1, 2)]),
    (4, 6, [(1, 2)]),
    (1, 7, [(0, 1), (1, 1), IJ]),
    *[(n, n, []) for n in (1, 2, 3, 4, 5, 7, 8)],
]


def flip(value: bytes, byte: int, bit: int) -> bytes:
    out = bytearray(value)
    out[byte] ^= 1 << bit
    return bytes(out)


# --- The vectors --------------------------------------------------------------------------


def test_empty_tree_hash_is_sha256_of_nothing() -> None:
    assert EMPTY_ROOT == hashlib.sha256(b"").digest() == ROOT[0]
    assert root_hash([]) == MerkleTree([]).root == ROOT[0]


def test_leaf_and_node_hashes_match_the_published_ones() -> None:
    assert hash_leaves(LEAF_INPUTS) == NODE[0]
    for level in range(1, 4):
        below = NODE[level - 1]
        assert [node_hash(below[2 * i], below[2 * i + 1]) for i in range(len(below) // 2)] == (
            NODE[level]
        )


@pytest.mark.parametrize("size", range(9))
def test_roots_of_every_size(size: int) -> None:
    assert root_hash(LEAVES[:size]) == ROOT[size]
    assert MerkleTree(LEAVES[:size]).root == ROOT[size]


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_published_inclusion_proofs_are_generated_and_verify(
    index: int, size: int, proof: list[bytes]
) -> None:
    assert inclusion_proof(LEAVES[:size], index) == proof
    assert MerkleTree(LEAVES[:size]).inclusion_proof(index) == proof
    assert verify_inclusion(LEAVES[index], index, size, proof, ROOT[size])


@pytest.mark.parametrize(("m", "n", "proof"), CONSISTENCY)
def test_published_consistency_proofs_are_generated_and_verify(
    m: int, n: int, proof: list[bytes]
) -> None:
    assert consistency_proof(m, LEAVES[:n]) == proof
    assert MerkleTree(LEAVES[:n]).consistency_proof(m) == proof
    assert verify_consistency(m, n, ROOT[m], ROOT[n], proof)


@pytest.mark.parametrize(("size", "index", "refs"), INCLUSION_SHAPES)
def test_inclusion_proofs_are_made_of_the_published_nodes(
    size: int, index: int, refs: list[Ref]
) -> None:
    assert inclusion_proof(LEAVES[:size], index) == resolve(refs)
    assert verify_inclusion(LEAVES[index], index, size, resolve(refs), ROOT[size])


@pytest.mark.parametrize(("m", "n", "refs"), CONSISTENCY_SHAPES)
def test_consistency_proofs_are_made_of_the_published_nodes(
    m: int, n: int, refs: list[Ref]
) -> None:
    assert consistency_proof(m, LEAVES[:n]) == resolve(refs)
    assert verify_consistency(m, n, ROOT[m], ROOT[n], resolve(refs))


def inclusion_probes(
    index: int, size: int, proof: list[bytes], root: bytes, leaf: bytes
) -> list[tuple[str, bytes, int, int, list[bytes], bytes]]:
    """verify_test.go corruptInclusionProof, in verify_inclusion's argument order: all fail."""
    probes = [
        ("index - 1", leaf, index - 1, size, proof, root),
        ("index + 1", leaf, index + 1, size, proof, root),
        ("index ^ 2", leaf, index ^ 2, size, proof, root),
        ("size * 2", leaf, index, size * 2, proof, root),
        ("size / 2", leaf, index, size // 2, proof, root),
        ("wrong leaf", b"WrongLeaf", index, size, proof, root),
        ("empty root", leaf, index, size, proof, EMPTY_ROOT),
        ("random root", leaf, index, size, proof, SOME_HASH),
        ("trailing garbage", leaf, index, size, [*proof, b""], root),
        ("trailing root", leaf, index, size, [*proof, root], root),
        ("preceding garbage", leaf, index, size, [b"", *proof], root),
        ("preceding root", leaf, index, size, [root, *proof], root),
    ]
    for i in range(len(proof)):
        bad = [flip(p, 0, 3) if j == i else p for j, p in enumerate(proof)]
        probes.append((f"proof[{i}] bit 3", leaf, index, size, bad, root))
    if proof:
        probes.append(("removed component", leaf, index, size, proof[:-1], root))
    if len(proof) > 1:
        inserted = [proof[0], SOME_HASH, *proof[1:]]
        probes.append(("inserted component", leaf, index, size, inserted, root))
    return probes


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION[1:])
def test_corrupted_inclusion_proofs_fail(index: int, size: int, proof: list[bytes]) -> None:
    probes = inclusion_probes(index, size, proof, ROOT[size], LEAVES[index])
    assert [probe[0] for probe in probes if verify_inclusion(*probe[1:])] == []


def consistency_probes(
    m: int, n: int, proof: list[bytes]
) -> list[tuple[str, int, int, bytes, bytes, list[bytes]]]:
    """verify_test.go corruptConsistencyProof: every one of these must fail."""
    r1, r2 = ROOT[m], ROOT[n]
    probes = [
        ("size1 - 1", m - 1, n, r1, r2, proof),
        ("size1 + 1", m + 1, n, r1, r2, proof),
        ("size1 ^ 2", m ^ 2, n, r1, r2, proof),
        ("size2 * 2", m, n * 2, r1, r2, proof),
        ("size2 / 2", m, n // 2, r1, r2, proof),
        ("wrong root1", m, n, b"WrongRoot", r2, proof),
        ("wrong root2", m, n, r1, b"WrongRoot", proof),
        ("swapped roots", m, n, r2, r1, proof),
        ("empty proof", m, n, r1, r2, []),
        ("trailing garbage", m, n, r1, r2, [*proof, b""]),
        ("trailing root1", m, n, r1, r2, [*proof, r1]),
        ("trailing root2", m, n, r1, r2, [*proof, r2]),
        ("preceding garbage", m, n, r1, r2, [b"", *proof]),
        ("preceding root1", m, n, r1, r2, [r1, *proof]),
        ("preceding root2", m, n, r1, r2, [r2, *proof]),
        ("preceding proof[0]", m, n, r1, r2, [proof[0], *proof]),
        ("truncated proof", m, n, r1, r2, proof[:-1]),
    ]
    for i in range(len(proof)):
        bad = [flip(p, 0, 4) if j == i else p for j, p in enumerate(proof)]
        probes.append((f"proof[{i}] bit 4", m, n, r1, r2, bad))
    return probes


@pytest.mark.parametrize(("m", "n", "proof"), CONSISTENCY[1:])
def test_corrupted_consistency_proofs_fail(m: int, n: int, proof: list[bytes]) -> None:
    probes = consistency_probes(m, n, proof)
    assert [probe[0] for probe in probes if verify_consistency(*probe[1:])] == []


def test_single_entry_tree() -> None:
    # verify_test.go TestVerifyInclusionSingleEntry: root and leaf hash coincide.
    one = leaf_hash(b"data")
    assert verify_inclusion(one, 0, 1, [], one)
    assert not verify_inclusion(b"", 0, 1, [], one)
    assert not verify_inclusion(one, 0, 1, [], b"")
    assert not verify_inclusion(b"", 0, 1, [], b"")


@pytest.mark.parametrize(("index", "size"), [(0, 0), (0, 1), (1, 0), (2, 1)])
def test_inclusion_edge_cases_fail(index: int, size: int) -> None:
    # verify_test.go TestVerifyInclusion probes: an empty proof against a wrong root or leaf.
    assert not verify_inclusion(SOME_HASH, index, size, [], b"")
    assert not verify_inclusion(b"", index, size, [], EMPTY_ROOT)
    assert not verify_inclusion(SOME_HASH, index, size, [], EMPTY_ROOT)


def test_consistency_edge_cases() -> None:
    # From verify_test.go TestVerifyConsistency, with zhian's stricter rules: m == 0 is always
    # refused (the brief: an empty tree proves nothing), and roots must be 32-byte hashes.
    r1, r2 = ROOT[1], ROOT[2]
    assert verify_consistency(1, 1, r1, r1, [])
    assert not verify_consistency(1, 1, r1, r2, [])  # same size, different roots
    assert not verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert not verify_consistency(0, 1, EMPTY_ROOT, r1, [])
    assert not verify_consistency(1, 0, r1, EMPTY_ROOT, [])  # time travel
    assert not verify_consistency(2, 1, r2, r1, [])
    assert not verify_consistency(1, 2, r1, r2, [])  # empty proof
    assert not verify_consistency(1, 1, r1, r1, [EMPTY_ROOT])  # same size, non-empty proof


def test_generation_refuses_bad_arguments() -> None:
    with pytest.raises(IndexError):
        inclusion_proof(LEAVES, 8)
    with pytest.raises(IndexError):
        inclusion_proof([], 0)
    with pytest.raises(IndexError):
        MerkleTree(LEAVES).inclusion_proof(-1)
    for m, n in [(5, 0), (9, 8), (0, 8)]:
        with pytest.raises(ValueError):
            consistency_proof(m, LEAVES[:n])
    with pytest.raises(ValueError, match="32 bytes"):
        root_hash([b"raw leaf data, not its hash"])


# --- Against the RFC's own recursive definitions ------------------------------------------


def ref_mth(d: Sequence[bytes]) -> bytes:
    """RFC 6962 §2.1 MTH over leaf hashes, as written."""
    if not d:
        return EMPTY_ROOT
    if len(d) == 1:
        return d[0]
    k = 1
    while k * 2 < len(d):
        k *= 2
    return node_hash(ref_mth(d[:k]), ref_mth(d[k:]))


def ref_path(m: int, d: Sequence[bytes]) -> list[bytes]:
    """RFC 6962 §2.1.1 PATH(m, D[n]), as written."""
    if len(d) == 1:
        return []
    k = 1
    while k * 2 < len(d):
        k *= 2
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
    """RFC 6962 §2.1.2 SUBPROOF(m, D[n], b), as written."""
    if m == len(d):
        return [] if b else [ref_mth(d)]
    k = 1
    while k * 2 < len(d):
        k *= 2
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


def leaves_of(n: int) -> list[bytes]:
    return hash_leaves(i.to_bytes(4, "big") for i in range(n))


def test_matches_the_rfc_definitions_for_every_small_tree() -> None:
    for n in range(1, 34):
        d = leaves_of(n)
        tree = MerkleTree(d)
        assert root_hash(d) == tree.root == ref_mth(d)
        for i in range(n):
            assert inclusion_proof(d, i) == tree.inclusion_proof(i) == ref_path(i, d)
        for m in range(1, n + 1):
            expected = ref_subproof(m, d, True)
            assert consistency_proof(m, d) == tree.consistency_proof(m) == expected


def test_large_tree_needs_no_deep_recursion() -> None:
    n = 2**14 + 3  # one past a power of two exercises the carried-up odd nodes at every level
    d = leaves_of(n)
    tree = MerkleTree(d)
    assert tree.size == n
    assert tree.root == root_hash(d)
    for i in (0, 1, n // 2, n - 3, n - 1):
        proof = tree.inclusion_proof(i)
        assert proof == inclusion_proof(d, i)
        assert verify_inclusion(d[i], i, n, proof, tree.root)
    for m in (1, 2**14, 2**14 + 1, n - 1, n):
        proof = tree.consistency_proof(m)
        assert proof == consistency_proof(m, d)
        assert verify_consistency(m, n, root_hash(d[:m]), tree.root, proof)


# --- Properties ---------------------------------------------------------------------------

sizes = st.integers(min_value=1, max_value=80)


@settings(max_examples=60, deadline=None)
@given(n=sizes)
def test_every_inclusion_proof_verifies(n: int) -> None:
    d = leaves_of(n)
    tree = MerkleTree(d)
    for i in range(n):
        assert verify_inclusion(d[i], i, n, tree.inclusion_proof(i), tree.root)


@settings(max_examples=60, deadline=None)
@given(n=sizes)
def test_every_consistency_proof_verifies(n: int) -> None:
    d = leaves_of(n)
    tree = MerkleTree(d)
    for m in range(1, n + 1):
        assert verify_consistency(m, n, root_hash(d[:m]), tree.root, tree.consistency_proof(m))


@settings(max_examples=300, deadline=None)
@given(n=sizes, data=st.data())
def test_a_flipped_bit_anywhere_fails_inclusion(n: int, data: st.DataObject) -> None:
    d = leaves_of(n)
    i = data.draw(st.integers(0, n - 1), label="index")
    proof = inclusion_proof(d, i)
    root = root_hash(d)
    byte, bit = data.draw(st.integers(0, 31), label="byte"), data.draw(st.integers(0, 7))
    where = data.draw(st.integers(-2, len(proof) - 1), label="where")  # -2 leaf, -1 root
    leaf = flip(d[i], byte, bit) if where == -2 else d[i]
    root = flip(root, byte, bit) if where == -1 else root
    proof = [flip(p, byte, bit) if j == where else p for j, p in enumerate(proof)]
    assert not verify_inclusion(leaf, i, n, proof, root)


@settings(max_examples=300, deadline=None)
@given(n=st.integers(min_value=2, max_value=80), data=st.data())
def test_a_flipped_bit_anywhere_fails_consistency(n: int, data: st.DataObject) -> None:
    d = leaves_of(n)
    m = data.draw(st.integers(1, n - 1), label="m")
    proof = consistency_proof(m, d)
    root_m, root_n = root_hash(d[:m]), root_hash(d)
    byte, bit = data.draw(st.integers(0, 31), label="byte"), data.draw(st.integers(0, 7))
    where = data.draw(st.integers(-2, len(proof) - 1), label="where")  # -2 root_m, -1 root_n
    root_m = flip(root_m, byte, bit) if where == -2 else root_m
    root_n = flip(root_n, byte, bit) if where == -1 else root_n
    proof = [flip(p, byte, bit) if j == where else p for j, p in enumerate(proof)]
    assert not verify_consistency(m, n, root_m, root_n, proof)


@settings(max_examples=200, deadline=None)
@given(n=st.integers(min_value=2, max_value=80), data=st.data())
def test_a_proof_for_another_index_or_size_fails(n: int, data: st.DataObject) -> None:
    d = leaves_of(n + 1)
    i = data.draw(st.integers(0, n - 1), label="index")
    proof = inclusion_proof(d[:n], i)
    other = data.draw(st.integers(0, n - 1).filter(lambda j: j != i), label="other")
    assert not verify_inclusion(d[i], other, n, proof, root_hash(d[:n]))
    assert not verify_inclusion(d[other], other, n, proof, root_hash(d[:n]))
    assert not verify_inclusion(d[i], i, n + 1, proof, root_hash(d))


junk = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.binary(max_size=40),
    st.none(),
    st.text(max_size=4),
    st.lists(st.binary(min_size=31, max_size=33), max_size=4),
    st.booleans(),
    st.floats(allow_nan=True),
)
hashes = st.one_of(st.binary(min_size=32, max_size=32), junk)
proofs = st.one_of(st.lists(hashes, max_size=8), junk, st.binary(min_size=32, max_size=32))


@settings(max_examples=400, deadline=None)
@given(leaf=hashes, index=junk, size=junk, proof=proofs, root=hashes)
def test_inclusion_verification_never_raises(
    leaf: object, index: object, size: object, proof: object, root: object
) -> None:
    verify: Callable[..., bool] = verify_inclusion  # deliberately called with any types
    assert verify(leaf, index, size, proof, root) in (True, False)


@settings(max_examples=400, deadline=None)
@given(m=junk, n=junk, root_m=hashes, root_n=hashes, proof=proofs)
def test_consistency_verification_never_raises(
    m: object, n: object, root_m: object, root_n: object, proof: object
) -> None:
    verify: Callable[..., bool] = verify_consistency  # deliberately called with any types
    assert verify(m, n, root_m, root_n, proof) in (True, False)


@settings(max_examples=200, deadline=None)
@given(index=st.integers(-5, 200), size=st.integers(-5, 200), length=st.integers(0, 12))
def test_wrong_shapes_are_refused_not_raised(index: int, size: int, length: int) -> None:
    # Random hashes of the wrong count or for an impossible position: always False.
    proof = [hashlib.sha256(bytes([k])).digest() for k in range(length)]
    assert not verify_inclusion(SOME_HASH, index, size, proof, EMPTY_ROOT)
    assert not verify_consistency(index, size, SOME_HASH, EMPTY_ROOT, proof)


def test_module_surface_is_documented() -> None:
    for name in merkle.__all__:
        obj = getattr(merkle, name)
        if callable(obj):
            assert obj.__doc__, name


def test_leaf_hashes_not_all_plain_bytes_are_looked_at_one_by_one() -> None:
    leaves = leaves_of(5)
    mixed = [*leaves[:2], bytearray(leaves[2]), *leaves[3:]]
    assert root_hash(mixed) == MerkleTree(mixed).root == root_hash(leaves)
    with pytest.raises(ValueError, match="leaf hash 3 "):
        root_hash([*leaves[:3], leaves[3] + b"x", leaves[4]])
    with pytest.raises(ValueError, match="leaf hash 1 "):
        MerkleTree([leaves[0], "ab" * 16])  # a str of 32 characters is no hash
