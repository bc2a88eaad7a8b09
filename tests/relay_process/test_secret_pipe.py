"""The pipe that hands ffmpeg a source's credentials."""

import stat

from cameras.relay.secrets import SecretPipe, secrets_dir
from tests.peers.fixtures import holds_within


def test_pipe_gives_its_text_to_one_reader_and_disappears(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    pipe = SecretPipe()
    path = pipe.open("file 'srt://0.0.0.0:1'\noption passphrase 'x'\n")
    assert stat.S_ISFIFO(path.stat().st_mode) and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(secrets_dir().stat().st_mode) == 0o700
    assert path.read_text() == "file 'srt://0.0.0.0:1'\noption passphrase 'x'\n"
    assert holds_within(lambda: not path.exists(), 5)
    assert pipe.delivered.is_set()
    pipe.close()


def test_pipe_nobody_reads_is_removed_on_close(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    pipe = SecretPipe()
    path = pipe.open("secret")
    pipe.close()
    assert not path.exists() and not pipe.delivered.is_set()
    assert not pipe.thread.is_alive()


def test_pipe_nobody_reads_is_removed_after_its_deadline(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    pipe = SecretPipe(timeout=0.2)
    path = pipe.open("secret")
    assert holds_within(lambda: not path.exists(), 5)
    pipe.close()
