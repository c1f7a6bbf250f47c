"""Compiled hot loops of the travel engine (numba, cached on disk).

Graphs are CSR arrays ``(indptr, indices, weights)``. Every kernel is a multi-source Dijkstra
with a binary heap of ``(time, node, source)`` entries, lazy deletion and an optional time limit.

- :func:`nearest_kernel`: time to the nearest source per node and which source (k = 1).
- :func:`klabel_kernel`: the k nearest *distinct* sources per node (k-label Dijkstra): a node is
  settled at most once per source and at most k times; it stops early once every target holds
  k labels. The i-th label settled at a node is its i-th nearest source: if a source ``s`` is
  among the k nearest of ``w`` and ``p`` precedes ``w`` on the shortest ``s -> w`` path, then
  ``s`` is among the k nearest of ``p`` (k sources nearer to ``p`` would be nearer to ``w``).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, inline="always")
def _push(hd, hn, hs, size, d, node, src):
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        if hd[parent] <= d:
            break
        hd[i] = hd[parent]
        hn[i] = hn[parent]
        hs[i] = hs[parent]
        i = parent
    hd[i] = d
    hn[i] = node
    hs[i] = src
    return size + 1


@njit(cache=True, inline="always")
def _pop(hd, hn, hs, size):
    """Remove the root; caller has read hd[0], hn[0], hs[0]. Returns the new size."""
    size -= 1
    d = hd[size]
    node = hn[size]
    src = hs[size]
    i = 0
    while True:
        c = 2 * i + 1
        if c >= size:
            break
        if c + 1 < size and hd[c + 1] < hd[c]:
            c += 1
        if hd[c] >= d:
            break
        hd[i] = hd[c]
        hn[i] = hn[c]
        hs[i] = hs[c]
        i = c
    hd[i] = d
    hn[i] = node
    hs[i] = src
    return size


@njit(cache=True)
def _grow(hd, hn, hs):
    m = len(hd) * 2
    hd2 = np.empty(m, np.float64)
    hn2 = np.empty(m, np.int32)
    hs2 = np.empty(m, np.int32)
    hd2[: len(hd)] = hd
    hn2[: len(hn)] = hn
    hs2[: len(hs)] = hs
    return hd2, hn2, hs2


@njit(cache=True)
def nearest_kernel(indptr, indices, weights, src_node, src_off, limit, is_target, n_targets):
    """Multi-source Dijkstra: (time, source index) of the nearest source for every node.

    ``n_targets`` > 0 stops the search once that many ``is_target`` nodes are settled.
    """
    n = len(indptr) - 1
    dist = np.full(n, np.inf)
    src = np.full(n, -1, np.int32)
    done = np.zeros(n, np.bool_)
    cap = max(16, 2 * len(src_node))
    hd = np.empty(cap, np.float64)
    hn = np.empty(cap, np.int32)
    hs = np.empty(cap, np.int32)
    size = 0
    for i in range(len(src_node)):
        d = src_off[i]
        node = src_node[i]
        if d <= limit and d < dist[node]:
            dist[node] = d
            src[node] = i
            if size >= len(hd):
                hd, hn, hs = _grow(hd, hn, hs)
            size = _push(hd, hn, hs, size, d, node, i)
    remaining = n_targets
    while size > 0:
        d = hd[0]
        node = hn[0]
        s = hs[0]
        size = _pop(hd, hn, hs, size)
        if done[node] or d > dist[node]:
            continue
        done[node] = True
        if remaining > 0 and is_target[node]:
            remaining -= 1
            if remaining == 0:
                break
        for e in range(indptr[node], indptr[node + 1]):
            w = indices[e]
            nd = d + weights[e]
            if nd < dist[w] and nd <= limit and not done[w]:
                dist[w] = nd
                src[w] = s
                if size >= len(hd):
                    hd, hn, hs = _grow(hd, hn, hs)
                size = _push(hd, hn, hs, size, nd, w, s)
    # nodes reached but never settled (early stop) keep tentative values: clear them
    if remaining == 0:
        for i in range(n):
            if not done[i]:
                dist[i] = np.inf
                src[i] = -1
    return dist, src


@njit(cache=True)
def klabel_kernel(indptr, indices, weights, src_node, src_off, k, limit, is_target, n_targets):
    """k-label multi-source Dijkstra: the k nearest distinct sources of every node.

    Returns ``(lab_d[n, k], lab_s[n, k], count[n])``, labels ascending by time. ``n_targets`` > 0
    stops once that many ``is_target`` nodes hold k labels.
    """
    n = len(indptr) - 1
    lab_d = np.full((n, k), np.inf)
    lab_s = np.full((n, k), -1, np.int32)
    cnt = np.zeros(n, np.int32)
    cap = max(1024, 4 * len(src_node))
    hd = np.empty(cap, np.float64)
    hn = np.empty(cap, np.int32)
    hs = np.empty(cap, np.int32)
    size = 0
    for i in range(len(src_node)):
        d = src_off[i]
        if d <= limit:
            if size >= len(hd):
                hd, hn, hs = _grow(hd, hn, hs)
            size = _push(hd, hn, hs, size, d, src_node[i], i)
    remaining = n_targets
    while size > 0:
        d = hd[0]
        node = hn[0]
        s = hs[0]
        size = _pop(hd, hn, hs, size)
        c = cnt[node]
        if c >= k:
            continue
        dup = False
        for j in range(c):
            if lab_s[node, j] == s:
                dup = True
                break
        if dup:
            continue
        lab_d[node, c] = d
        lab_s[node, c] = s
        cnt[node] = c + 1
        if remaining > 0 and c + 1 == k and is_target[node]:
            remaining -= 1
            if remaining == 0:
                break
        for e in range(indptr[node], indptr[node + 1]):
            w = indices[e]
            c2 = cnt[w]
            if c2 >= k:
                continue
            nd = d + weights[e]
            if nd > limit:
                continue
            dup = False
            for j in range(c2):
                if lab_s[w, j] == s:
                    dup = True
                    break
            if dup:
                continue
            if size >= len(hd):
                hd, hn, hs = _grow(hd, hn, hs)
            size = _push(hd, hn, hs, size, nd, w, s)
    return lab_d, lab_s, cnt
