"""Compiled hot loops of the travel engine (numba, cached on disk).

Graphs are CSR arrays ``(indptr, indices, weights)``. Every kernel is a multi-source Dijkstra
with a 4-ary heap of ``(time, node << 32 | source)`` entries, lazy deletion and an optional
time limit.

- :func:`nearest_kernel`: time to the nearest source per node and which source (k = 1).
- :func:`klabel_kernel`: the k nearest *distinct* sources per node (k-label Dijkstra): a node is
  settled at most once per source and at most k times; it stops early once every target is
  complete. The i-th label settled at a node is its i-th nearest source: if a source ``s`` is
  among the k nearest of ``w`` and ``p`` precedes ``w`` on the shortest ``s -> w`` path, then
  ``s`` is among the k nearest of ``p`` (k sources nearer to ``p`` would be nearer to ``w``).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True, inline="always")
def _push(hk, hp, size, key, payload):
    """Push (key, payload) on the 4-ary min-heap; return the new size."""
    i = size
    while i > 0:
        parent = (i - 1) >> 2
        if hk[parent] <= key:
            break
        hk[i] = hk[parent]
        hp[i] = hp[parent]
        i = parent
    hk[i] = key
    hp[i] = payload
    return size + 1


@njit(cache=True, nogil=True, inline="always")
def _pop(hk, hp, size):
    """Remove the root of the 4-ary heap (caller read it first); return the new size."""
    size -= 1
    key = hk[size]
    pay = hp[size]
    i = 0
    while True:
        c = 4 * i + 1
        if c >= size:
            break
        best = c
        bk = hk[c]
        end = min(c + 4, size)
        for j in range(c + 1, end):
            if hk[j] < bk:
                bk = hk[j]
                best = j
        if bk >= key:
            break
        hk[i] = bk
        hp[i] = hp[best]
        i = best
    hk[i] = key
    hp[i] = pay
    return size


@njit(cache=True, nogil=True)
def _grow(hk, hp):
    m = len(hk) * 2
    a = np.empty(m, np.float64)
    b = np.empty(m, np.int64)
    a[: len(hk)] = hk
    b[: len(hp)] = hp
    return a, b


@njit(cache=True, nogil=True)
def nearest_kernel(indptr, indices, weights, src_node, src_off, limit, is_target, n_targets):
    """Multi-source Dijkstra: (time, source index) of the nearest source for every node.

    ``n_targets`` > 0 stops the search once that many ``is_target`` nodes are settled (nodes not
    settled by then are reported unreachable).
    """
    n = len(indptr) - 1
    dist = np.full(n, np.inf)
    src = np.full(n, -1, np.int32)
    done = np.zeros(n, np.bool_)
    cap = max(1024, 2 * len(src_node))
    hk = np.empty(cap, np.float64)
    hp = np.empty(cap, np.int64)
    size = 0
    for i in range(len(src_node)):
        d = src_off[i]
        node = src_node[i]
        if d <= limit and d < dist[node]:
            dist[node] = d
            src[node] = i
            if size >= len(hk):
                hk, hp = _grow(hk, hp)
            size = _push(hk, hp, size, d, np.int64(node))
    remaining = n_targets
    while size > 0:
        d = hk[0]
        node = hp[0]
        size = _pop(hk, hp, size)
        if done[node] or d > dist[node]:
            continue
        done[node] = True
        if remaining > 0 and is_target[node]:
            remaining -= 1
            if remaining == 0:
                break
        s = src[node]
        for e in range(indptr[node], indptr[node + 1]):
            w = indices[e]
            nd = d + weights[e]
            if nd < dist[w] and nd <= limit and not done[w]:
                dist[w] = nd
                src[w] = s
                if size >= len(hk):
                    hk, hp = _grow(hk, hp)
                size = _push(hk, hp, size, nd, np.int64(w))
    if n_targets > 0 and remaining == 0:
        for i in range(n):
            if not done[i]:
                dist[i] = np.inf
                src[i] = -1
    return dist, src


@njit(cache=True, nogil=True)
def klabel_kernel(indptr, indices, weights, src_node, src_off, k, k_free, limit, targets):
    """k-label multi-source Dijkstra: up to k nearest distinct sources of every node.

    The first ``k_free`` labels of a node have no time limit; later ones only count when their
    time is ``<= limit`` (so one pass gives the k nearest *and* those within a catchment).
    Per node a list of at most k tentative (time, source) pairs is kept: a push is made only if
    it improves that list, which bounds the heap. ``targets`` (unique node positions, may be
    empty) lets the search stop once every target is complete: it holds k labels, or at least
    ``k_free`` and the search has passed ``limit``.

    Returns ``(lab_d[n, k], lab_s[n, k], count[n])``; the first ``count`` labels of a node are
    final and ascending, the rest are undefined (times set to inf, sources to -1 on return).
    """
    n = len(indptr) - 1
    td = np.full((n, k), np.inf)
    ts = np.full((n, k), -1, np.int32)
    tc = np.zeros(n, np.int32)  # tentative entries (settled ones first)
    cnt = np.zeros(n, np.int32)  # settled labels
    is_target = np.zeros(n, np.bool_)
    for t in targets:
        is_target[t] = True
    remaining = len(targets)
    phase2 = False
    cap = max(1024, 4 * len(src_node))
    hk = np.empty(cap, np.float64)
    hp = np.empty(cap, np.int64)
    size = 0
    for i in range(len(src_node)):
        d = src_off[i]
        node = src_node[i]
        if not np.isfinite(d) or (d > limit and k_free == 0):
            continue
        if size >= len(hk):
            hk, hp = _grow(hk, hp)
        size = _offer(td, ts, tc, cnt, k, hk, hp, size, node, i, d)
    while size > 0:
        d = hk[0]
        pay = hp[0]
        size = _pop(hk, hp, size)
        node = pay >> 32
        s = np.int32(pay & 0xFFFFFFFF)
        if remaining > 0 and not phase2 and d > limit:
            # every later label is beyond the limit: targets with k_free labels are complete
            phase2 = True
            for t in targets:
                if cnt[t] >= k_free and cnt[t] < k:
                    remaining -= 1
            if remaining <= 0:
                break
        c = cnt[node]
        if c >= k:
            continue
        # find s among the tentative entries; stale when absent or improved since
        j = -1
        for q in range(c, tc[node]):
            if ts[node, q] == s:
                j = q
                break
        if j < 0 or td[node, j] != d:
            continue
        if c >= k_free and d > limit:
            continue
        # settle: move entry j to position c
        if j != c:
            td[node, j] = td[node, c]
            ts[node, j] = ts[node, c]
            td[node, c] = d
            ts[node, c] = s
        cnt[node] = c + 1
        if remaining > 0 and is_target[node] and (c + 1 == k or (phase2 and c + 1 == k_free)):
            remaining -= 1
            if remaining == 0:
                break
        while size + (indptr[node + 1] - indptr[node]) >= len(hk):
            hk, hp = _grow(hk, hp)
        for e in range(indptr[node], indptr[node + 1]):
            w = indices[e]
            if cnt[w] >= k:
                continue
            nd = d + weights[e]
            if nd > limit and cnt[w] >= k_free:
                continue
            size = _offer(td, ts, tc, cnt, k, hk, hp, size, w, s, nd)
    for i in range(n):
        for q in range(cnt[i], k):
            td[i, q] = np.inf
            ts[i, q] = -1
    return td, ts, cnt


@njit(cache=True, nogil=True, inline="always")
def _offer(td, ts, tc, cnt, k, hk, hp, size, w, s, nd):
    """Offer label (w, s, nd): update w's tentative list and push when it improves it.

    The caller guarantees room on the heap.
    """
    c = cnt[w]
    m = tc[w]
    for q in range(m):
        if ts[w, q] == s:
            if q < c or nd >= td[w, q]:
                return size
            td[w, q] = nd
            return _push(hk, hp, size, nd, (np.int64(w) << 32) | s)
    if m < k:
        td[w, m] = nd
        ts[w, m] = s
        tc[w] = m + 1
    else:
        worst = -1
        wd = nd
        for q in range(c, m):
            if td[w, q] > wd:
                wd = td[w, q]
                worst = q
        if worst < 0:
            return size
        td[w, worst] = nd
        ts[w, worst] = s
    return _push(hk, hp, size, nd, (np.int64(w) << 32) | s)


@njit(cache=True, nogil=True)
def per_source_kernel(indptr, indices, weights, src_node, src_off, limit, target_slot):
    """One bounded Dijkstra per source; collect (target slot, source, time) for target nodes.

    ``target_slot[node]`` is >= 0 for target nodes. Work is the sum of the sources' balls of
    radius ``limit``; memory is O(n) plus the pairs found. Returns three arrays (unsorted).
    """
    n = len(indptr) - 1
    dist = np.full(n, np.inf)
    done = np.zeros(n, np.bool_)
    touched = np.empty(n, np.int64)
    out_t = np.empty(1024, np.int64)
    out_s = np.empty(1024, np.int64)
    out_d = np.empty(1024, np.float64)
    n_out = 0
    hk = np.empty(1024, np.float64)
    hp = np.empty(1024, np.int64)
    for i in range(len(src_node)):
        d0 = src_off[i]
        if not d0 <= limit:
            continue
        n_touch = 0
        size = 0
        root = src_node[i]
        dist[root] = d0
        touched[n_touch] = root
        n_touch += 1
        size = _push(hk, hp, size, d0, np.int64(root))
        while size > 0:
            d = hk[0]
            node = hp[0]
            size = _pop(hk, hp, size)
            if done[node] or d > dist[node]:
                continue
            done[node] = True
            slot = target_slot[node]
            if slot >= 0:
                if n_out >= len(out_t):
                    m = 2 * len(out_t)
                    a = np.empty(m, np.int64)
                    a[:n_out] = out_t[:n_out]
                    out_t = a
                    b = np.empty(m, np.int64)
                    b[:n_out] = out_s[:n_out]
                    out_s = b
                    c = np.empty(m, np.float64)
                    c[:n_out] = out_d[:n_out]
                    out_d = c
                out_t[n_out] = slot
                out_s[n_out] = i
                out_d[n_out] = d
                n_out += 1
            for e in range(indptr[node], indptr[node + 1]):
                w = indices[e]
                nd = d + weights[e]
                if nd < dist[w] and nd <= limit:
                    if dist[w] == np.inf:
                        touched[n_touch] = w
                        n_touch += 1
                    dist[w] = nd
                    if size >= len(hk):
                        hk, hp = _grow(hk, hp)
                    size = _push(hk, hp, size, nd, np.int64(w))
        for q in range(n_touch):
            dist[touched[q]] = np.inf
            done[touched[q]] = False
    return out_t[:n_out].copy(), out_s[:n_out].copy(), out_d[:n_out].copy()


@njit(cache=True, nogil=True)
def subsequence_mask(pu, pv, pw, su, sv, sw):
    """Mark the parent arcs ``(pu, pv, pw)`` that form the arcs ``(su, sv, sw)`` in order.

    Greedy: each arc of the subset takes the first unused equal parent arc. Returns
    ``(mask, ok)``; ``ok`` is False when the subset is not an ordered sub-list of the parent.
    """
    m = len(su)
    keep = np.zeros(len(pu), np.bool_)
    j = 0
    for i in range(len(pu)):
        if j < m and pu[i] == su[j] and pv[i] == sv[j] and pw[i] == sw[j]:
            keep[i] = True
            j += 1
    return keep, j == m


@njit(cache=True, nogil=True)
def reach_kernel(indptr, indices, src_node):
    """Nodes reached from any of ``src_node`` over the CSR graph (a bool per node)."""
    n = len(indptr) - 1
    seen = np.zeros(n, np.bool_)
    stack = np.empty(n, np.int64)
    top = 0
    for s in src_node:
        if not seen[s]:
            seen[s] = True
            stack[top] = s
            top += 1
    while top > 0:
        top -= 1
        node = stack[top]
        for e in range(indptr[node], indptr[node + 1]):
            w = indices[e]
            if not seen[w]:
                seen[w] = True
                stack[top] = w
                top += 1
    return seen
