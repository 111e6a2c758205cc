"""``fields`` / ``exclude_fields``: comma-separated dotted names that trim a JSON answer.

Source: Mailchimp docs, methods-and-parameters.mdx.
"""

from __future__ import annotations

from typing import Any

_Tree = dict[str, "_Tree | None"]  # None marks "keep/drop this whole value"


def parse_names(values: list[str] | None) -> list[str]:
    return [n.strip() for v in values or [] for n in v.split(",") if n.strip()]


def _tree(names: list[str]) -> _Tree:
    root: _Tree = {}
    for name in names:
        node: _Tree = root
        *parents, leaf = name.split(".")
        for part in parents:
            child = node.setdefault(part, {})
            if child is None:
                break  # a shorter name already selects the whole value
            node = child
        else:
            node[leaf] = None
    return root


def include_only(payload: Any, names: list[str]) -> Any:
    return _keep(payload, _tree(names))


def _keep(node: Any, tree: _Tree) -> Any:
    if isinstance(node, list):
        return [_keep(item, tree) for item in node]
    if not isinstance(node, dict):
        return node
    return {k: (node[k] if sub is None else _keep(node[k], sub)) for k, sub in tree.items() if k in node}


def exclude(payload: Any, names: list[str]) -> Any:
    return _drop(payload, _tree(names))


def _drop(node: Any, tree: _Tree) -> Any:
    if isinstance(node, list):
        return [_drop(item, tree) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key not in tree:
            out[key] = value
        elif tree[key] is not None:
            out[key] = _drop(value, tree[key])
    return out
