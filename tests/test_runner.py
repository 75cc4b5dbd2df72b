from watcher.models import Watch
from watcher.runner import _interleave


def test_interleave_spreads_consecutive_checks_over_hosts() -> None:
    def w(name: str) -> Watch:
        return Watch(name=name, url=f"https://{name[0]}.test/{name}")

    hosts = [[w("a1"), w("a2"), w("a3")], [w("b1")], [w("c1"), w("c2")]]
    assert [x.name for x in _interleave(hosts)] == ["a1", "b1", "c1", "a2", "c2", "a3"]
    assert _interleave([]) == []
