"""Compatibility shims between the suite's pinned tools, each with the release that needs it."""

from __future__ import annotations


def restore_node_nodeid() -> None:
    """Give pytest nodes back the ``_nodeid`` attribute Schemathesis' ``from_fixture`` uses.

    pytest 9.2 replaced ``Node._nodeid`` (a str) with ``Node._id`` (a ``NodeId``);
    Schemathesis 4.32.5, the newest release, still reads and rewrites ``_nodeid`` to name
    each operation's subtest (pytest-benchmark#321 is the same break). A no-op on a pytest
    that still has the attribute; remove once Schemathesis supports pytest 9.2.
    """
    from _pytest.nodes import Node

    if hasattr(Node, "_nodeid") or not hasattr(Node, "id"):
        return
    from _pytest.nodeid import coerce_node_id

    def get(node: Node) -> str:
        return node.nodeid

    def set_(node: Node, value: str) -> None:
        node._id = coerce_node_id(value)

    Node._nodeid = property(get, set_)  # type: ignore[attr-defined]
