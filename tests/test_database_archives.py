"""Reading .npz archives with messages that name the file and the command that writes it."""

import numpy as np
import pytest

from topograph.database.archives import read_archive


def test_round_trip_returns_every_array(tmp_path):
    path = tmp_path / "a.npz"
    np.savez(path, first=np.arange(3), second=np.eye(2))
    arrays = read_archive(path, "test arrays", "make arrays")
    assert sorted(arrays) == ["first", "second"]
    np.testing.assert_array_equal(arrays["second"], np.eye(2))


def test_single_array_is_named(tmp_path):
    path = tmp_path / "a.npy"
    np.save(path, np.arange(3))
    with pytest.raises(ValueError, match=r"contains a single array \(.npy\), not the .npz archive of test arrays that `make arrays` writes"):
        read_archive(path, "test arrays", "make arrays")


@pytest.mark.parametrize("content", [None, b"not an archive", "truncated"])
def test_unreadable_file_is_named(tmp_path, content):
    path = tmp_path / "a.npz"
    if content == "truncated":
        np.savez(path, values=np.arange(10_000))
        path.write_bytes(path.read_bytes()[:300])
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(ValueError, match=r"cannot read test arrays '.*a.npz' .*write them with `make arrays`"):
        read_archive(path, "test arrays", "make arrays")
