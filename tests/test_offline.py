"""Nothing reaches the network at run time: the real model loads and checks with sockets guarded."""

from __future__ import annotations

import pytest

from assistant.checker import Checker
from assistant.config import Settings
from assistant.embeddings import load_embedder
from assistant.knowledge import load_knowledge


@pytest.mark.slow
@pytest.mark.usefixtures("no_network")
def test_checker_with_the_real_model_runs_with_networking_disabled(settings: Settings) -> None:
    checker = Checker(load_knowledge(settings.knowledge_dir), load_embedder(settings))
    result = checker.check("这事我说不上来,墙上贴着呢。")
    assert {v.rule for v in result.violations} >= {"read_it_yourself"}


def test_the_guard_itself_blocks_connections(no_network: None) -> None:
    import socket

    with pytest.raises(AssertionError, match="network access attempted"):
        socket.create_connection(("example.org", 443), timeout=1)
