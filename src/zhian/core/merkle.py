"""RFC 6962 Merkle trees: tree hashes, audit (inclusion) proofs and consistency proofs.

The format is Certificate Transparency's (RFC 6962 §2.1, restated in RFC 9162 §2.1), with
SHA-256 throughout, so any CT tool can check what zhian publishes:

- a leaf hashes as ``SHA-256(0x00 || data)`` and an interior node as
  ``SHA-256(0x01 || left || right)``; the two prefixes keep a leaf from ever being passed off
  as a node (second-preimage resistance);
- the Merkle Tree Hash of ``n > 1`` leaves splits them at ``k``, the largest power of two
  smaller than ``n``: ``MTH(D[n]) = node(MTH(D[0:k]), MTH(D[k:n]))``; one leaf is its leaf
  hash; no leaves is ``SHA-256("")``;
- an inclusion proof for leaf ``index`` is the list of sibling subtree hashes from the leaf
  up to the root (RFC 6962 §2.1.1, ``PATH``); a consistency proof between sizes ``m <= n`` is
  RFC 6962 §2.1.2 ``PROOF(m, D[n])``; both lists are ordered bottom-up, as the RFC builds them.

Every function takes *leaf hashes* (32 bytes each), never raw leaf data: the two are both
``bytes`` and cannot be told apart, so hash raw data first with :func:`hash_leaves`.
Generation raises on bad arguments; verification (:func:`verify_inclusion`,
:func:`verify_consistency`, RFC 9162 §2.1.3.2 and §2.1.4.2) never raises and answers False
for anything malformed: wrong proof length, index outside the tree, ``m == 0``, ``m > n``,
hashes that are not 32 bytes.

Trees are built bottom-up, level by level, without recursion: pairing nodes left to right
and carrying an odd last node up unchanged gives exactly the largest-power-of-two split.
:class:`MerkleTree` keeps every level (about two hashes a leaf) so that each proof costs
``O(log n)`` lookups; the module functions build what one answer needs and discard it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import TypeGuard

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MerkleTree",
    "consistency_proof",
    "hash_leaves",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root_hash",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

_sha256 = hashlib.sha256
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
_NODE_START = _sha256(_NODE_PREFIX)

_Subtree = Callable[[int, int], bytes]


def leaf_hash(data: bytes) -> bytes:
    """The RFC 6962 hash of one leaf: SHA-256(0x00 || data)."""
    return _sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The RFC 6962 hash of an interior node: SHA-256(0x01 || left || right)."""
    return _sha256(_NODE_PREFIX + left + right).digest()


def hash_leaves(leaves: Iterable[bytes]) -> list[bytes]:
    """The leaf hashes of raw leaf data, in order."""
    return [_sha256(_LEAF_PREFIX + data).digest() for data in leaves]


def root_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle Tree Hash of the given leaf hashes (SHA-256 of b"" for none)."""
    _check_hashes(leaf_hashes)
    return _mth(leaf_hashes)


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of all the given leaf hashes."""
    _check_hashes(leaf_hashes)
    return _inclusion(len(leaf_hashes), index, _slicer(leaf_hashes))


def consistency_proof(m: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """The proof that the first ``m`` leaves are a prefix of all the given leaf hashes."""
    _check_hashes(leaf_hashes)
    return _consistency(m, len(leaf_hashes), _slicer(leaf_hashes))


class MerkleTree:
    """A tree over a fixed list of leaf hashes that keeps every level, for many proofs.

    >>> tree = MerkleTree(hash_leaves([b"a", b"b", b"c"]))
    >>> verify_inclusion(leaf_hash(b"c"), 2, tree.size, tree.inclusion_proof(2), tree.root)
    True
    """

    __slots__ = ("_levels",)

    def __init__(self, leaf_hashes: Iterable[bytes]) -> None:
        leaves = list(leaf_hashes)
        _check_hashes(leaves)
        levels = [leaves]
        while len(levels[-1]) > 1:
            levels.append(_next_level(levels[-1]))
        self._levels = levels

    @property
    def size(self) -> int:
        """The number of leaves."""
        return len(self._levels[0])

    @property
    def root(self) -> bytes:
        """The Merkle Tree Hash of all the leaves."""
        return self._levels[-1][0] if self._levels[0] else EMPTY_ROOT

    def inclusion_proof(self, index: int) -> list[bytes]:
        """The audit path of leaf ``index`` in this tree."""
        return _inclusion(self.size, index, self._subtree)

    def consistency_proof(self, m: int) -> list[bytes]:
        """The proof that this tree's first ``m`` leaves are a prefix of it."""
        return _consistency(m, self.size, self._subtree)

    def _subtree(self, lo: int, hi: int) -> bytes:
        # Level L holds MTH(D[j*2^L : min((j+1)*2^L, n)]) at position j (the carried-up odd
        # node included), and every node of the RFC's split has that shape, so a lookup does.
        level = (hi - lo - 1).bit_length()
        return self._levels[level][lo >> level]


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether ``proof`` puts ``leaf_hash`` at ``index`` in the tree of that size and root."""
    path = _as_path(proof)
    if path is None or not (_is_hash(leaf_hash) and _is_hash(root)):
        return False
    if not (_is_size(index) and _is_size(tree_size) and index < tree_size):
        return False
    # RFC 9162 §2.1.3.2: fn walks the leaf's path, sn the path of the last leaf; where they
    # meet on the right border a level has no right sibling, and is skipped.
    fn, sn, r = index, tree_size - 1, bytes(leaf_hash)
    for p in path:
        if sn == 0:
            return False  # the proof is longer than the path
        if fn & 1 or fn == sn:
            r = _sha256(_NODE_PREFIX + p + r).digest()
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = _sha256(_NODE_PREFIX + r + p).digest()
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    m: int, n: int, root_m: bytes, root_n: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows the tree of size ``m`` and ``root_m`` is a prefix of ``root_n``."""
    path = _as_path(proof)
    if path is None or not (_is_hash(root_m) and _is_hash(root_n)):
        return False
    if not (_is_size(m) and _is_size(n) and 0 < m <= n):
        return False
    if m == n:
        return not path and root_m == root_n
    if not path:
        return False
    # RFC 9162 §2.1.4.2. When m is a power of two the old tree is itself a node of the new
    # one, so the proof leaves its hash out and the verifier puts it back.
    if m & (m - 1) == 0:
        path.insert(0, bytes(root_m))
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False  # the proof is longer than the path
        if fn & 1 or fn == sn:
            fr = _sha256(_NODE_PREFIX + c + fr).digest()
            sr = _sha256(_NODE_PREFIX + c + sr).digest()
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = _sha256(_NODE_PREFIX + sr + c).digest()
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == root_m and sr == root_n


def _inclusion(n: int, index: int, subtree: _Subtree) -> list[bytes]:
    """RFC 6962 §2.1.1 PATH(index, D[n]), walked top-down and returned bottom-up."""
    if not 0 <= index < n:
        raise IndexError(f"leaf index {index} outside a tree of {n} leaves")
    path: list[bytes] = []
    lo, hi = 0, n
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            path.append(subtree(lo + k, hi))
            hi = lo + k
        else:
            path.append(subtree(lo, lo + k))
            lo += k
    path.reverse()
    return path


def _consistency(m: int, n: int, subtree: _Subtree) -> list[bytes]:
    """RFC 6962 §2.1.2 PROOF(m, D[n]) = SUBPROOF(m, D[n], true), iteratively, bottom-up."""
    if not 0 < m <= n:
        raise ValueError(f"no consistency proof from {m} to {n} leaves (needs 0 < m <= n)")
    path: list[bytes] = []
    # ``whole`` is the RFC's flag b: it stays true while the walk only goes left, and then
    # D[0:m] is itself a node of D[n], whose hash the verifier already holds.
    lo, hi, whole = 0, n, True
    while hi != m:
        k = _split(hi - lo)
        if m - lo <= k:
            path.append(subtree(lo + k, hi))
            hi = lo + k
        else:
            path.append(subtree(lo, lo + k))
            lo += k
            whole = False
    if not whole:
        path.append(subtree(lo, hi))
    path.reverse()
    return path


def _split(size: int) -> int:
    """The largest power of two strictly smaller than ``size`` (``size >= 2``)."""
    return 1 << ((size - 1).bit_length() - 1)


def _next_level(level: Sequence[bytes]) -> list[bytes]:
    # Pairs (0, 1), (2, 3), ...; an odd last node has no partner and is carried up below.
    # Each node's hash starts as a copy of one already fed the prefix: copying OpenSSL's
    # state costs less than setting up a fresh one and concatenating the prefix, and this
    # runs once per node of every tree (a million nodes for a million leaves).
    fresh = _NODE_START.copy
    up: list[bytes] = []
    append = up.append
    for left, right in zip(level[0::2], level[1::2], strict=False):
        node = fresh()
        node.update(left)
        node.update(right)
        append(node.digest())
    if len(level) & 1:
        up.append(level[-1])
    return up


def _mth(leaf_hashes: Sequence[bytes]) -> bytes:
    if not leaf_hashes:
        return EMPTY_ROOT
    level = leaf_hashes
    while len(level) > 1:
        level = _next_level(level)
    return level[0]


def _slicer(leaf_hashes: Sequence[bytes]) -> _Subtree:
    # The subtrees a single proof needs are disjoint, so hashing each slice afresh costs no
    # more than one pass over the leaves, and keeps no levels in memory.
    return lambda lo, hi: _mth(leaf_hashes[lo:hi])


def _check_hashes(leaf_hashes: Sequence[bytes]) -> None:
    # Every one plain bytes of the right length, seen in C (a third of the cost of a call per
    # hash); anything else is looked at one by one, to accept bytearray and name a bad one.
    if set(map(type, leaf_hashes)) <= _PLAIN and set(map(len, leaf_hashes)) <= _SIZES:
        return
    for i, h in enumerate(leaf_hashes):
        if not _is_hash(h):
            raise ValueError(f"leaf hash {i} is not {HASH_SIZE} bytes (hash raw data first)")


_PLAIN = {bytes}
_SIZES = {HASH_SIZE}


def _is_hash(value: object) -> TypeGuard[bytes | bytearray]:
    return isinstance(value, bytes | bytearray) and len(value) == HASH_SIZE


def _as_path(proof: Iterable[object]) -> list[bytes] | None:
    """The proof as a list of 32-byte hashes, or None if it is anything else."""
    if isinstance(proof, bytes | bytearray | str):
        return None  # iterable, but a single value, not a list of hashes
    try:
        path = list(proof)
    except TypeError:
        return None
    hashes = [bytes(h) for h in path if _is_hash(h)]
    return hashes if len(hashes) == len(path) else None


def _is_size(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
