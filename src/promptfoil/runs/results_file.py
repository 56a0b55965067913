"""Guards of a results file before a run writes to it: it must be a promptfoil results file
(or new, or empty), never the prompts file itself, and only one run may append to it at a time.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..codec.jsonl import last_per_id, loads
from ..errors import ConfigError, PromptfoilError
from ..types import read_records, result_lines
from .jsonout import strict_dumps
from .outputs import refuse_inputs, resolved, same_file

try:  # POSIX; elsewhere runs are not locked
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

#: Bytes read to decide whether an existing file is a results file.
_SNIFF_LINES = 50


def is_result_record(rec: Any) -> bool:
    """A line ``promptfoil run`` writes: an object with an ``id`` and either an ``error`` or
    the explanation's ``found`` and ``prompt``."""
    return isinstance(rec, dict) and "id" in rec and ("error" in rec or ("found" in rec and "prompt" in rec))


def check_results_file(out: str | Path, prompts: str | Path | None = None, cache: Any = True,
                       inputs: Iterable[str | Path | None] = ()) -> Path:
    """``out`` as a Path once it is safe to append results to it; a clear error otherwise.

    Refused: a folder, the prompts file itself (or another of ``inputs``), the response
    cache and its sidecar files (:func:`~promptfoil.runs.outputs.refuse_inputs`: through
    symlinks and hard links too), and any existing file whose lines are not results records
    (a torn last line that starts a JSON object is allowed: a killed write). Nothing is
    written here.
    """
    p = Path(out)
    if p.is_dir():
        raise ConfigError(f"--out {p} is a folder; give the path of a results file (e.g. {p / 'results.jsonl'})")
    if prompts is not None and same_file(p, Path(prompts)):
        raise ConfigError(f"--out {p} is the prompts file itself; results need a file of their own")
    refuse_inputs(p, "--out", inputs, cache)
    if not p.exists():
        if p.parent.is_dir() and not os.access(p.parent, os.W_OK):
            raise ConfigError(f"cannot create the results file {p}: folder {p.parent} is not writable")
        return p  # a missing folder is created by the run
    if not p.is_file():
        raise ConfigError(f"--out {p} is not a regular file")
    if not os.access(p, os.R_OK | os.W_OK):
        raise ConfigError(f"cannot read and append to the results file {p} (permission denied)")
    try:
        with p.open("rb") as fh:
            head = [fh.readline() for _ in range(_SNIFF_LINES)]
    except OSError as exc:
        raise ConfigError(f"cannot read the results file {p}: {exc}") from None
    for n, raw in enumerate(head, 1):
        if not raw.strip():
            continue
        torn = not raw.endswith(b"\n")
        try:
            rec = loads(raw.decode("utf-8"), f"{p} line {n}")
        except (UnicodeDecodeError, PromptfoilError):
            if torn and raw.lstrip().startswith(b"{"):
                continue  # an interrupted write of the first record
            rec = None
        if not is_result_record(rec):
            raise ConfigError(
                f"--out {p} is not a promptfoil results file (line {n} is not a result); "
                "refusing to append to it: give a new file name"
            )
    return p


@contextmanager
def _sigterm_exits() -> Iterator[None]:
    """While held, SIGTERM (``kill``, a scheduler's stop) raises SystemExit in the main thread
    instead of ending the process at once, so ``finally`` blocks (the lock's release) run.
    A handler someone else installed is left alone."""
    main = threading.current_thread() is threading.main_thread()
    if not main or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return

    def stop(signum: int, _frame: object) -> None:
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        if signal.getsignal(signal.SIGTERM) is stop:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _holder(lock: Path) -> str:
    try:
        pid = lock.read_text(encoding="utf-8").strip()
    except OSError:
        pid = ""
    return f"process {pid}" if pid.isdigit() else "another process"


@contextmanager
def results_lock(out: str | Path, wait: bool = False,
                 on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold ``OUT.lock`` (an exclusive ``flock``, holding our pid) while a run appends to ``out``.

    A second run fails at once, naming the process that holds the lock; with ``wait`` it
    waits for it (``on_wait`` is told whom it waits for). The lock file is removed on release,
    also when the run fails or is stopped by SIGTERM (see :func:`_sigterm_exits`).

    The lock is taken on the resolved path (symlinks followed), and an existing results file
    is also locked itself (``flock`` on its inode), so two runs writing one file under two
    names (a symlink, a hard link) exclude each other as well.
    """
    if fcntl is None:  # pragma: no cover
        yield
        return
    out = resolved(out)
    lock = out.with_name(out.name + ".lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    told = False
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise PromptfoilError(f"cannot create the lock file {lock}: {exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            who = _holder(lock)
            os.close(fd)
            if not wait:
                raise PromptfoilError(
                    f"{who} is already writing {out} (lock {lock}); wait for it to finish, "
                    "or pass --wait to wait for it"
                ) from None
            if on_wait is not None and not told:
                on_wait(who)
                told = True
            time.sleep(0.2)
            continue
        # The holder before us removes the file on release: make sure ours is still the one at the path.
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(lock))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    data_fd = None
    try:
        data_fd = _lock_data(out, wait, on_wait, told)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        with _sigterm_exits():
            yield
    finally:
        if data_fd is not None:
            os.close(data_fd)
        try:
            os.unlink(lock)
        except OSError:
            pass
        os.close(fd)


def _lock_data(out: Path, wait: bool, on_wait: Callable[[str], None] | None, told: bool) -> int | None:
    """An exclusive ``flock`` on the results file itself when it exists (held through the
    returned descriptor): another name of the same file (a hard link) cannot be locked apart."""
    try:
        data_fd = os.open(out, os.O_RDONLY)
    except OSError:
        return None  # a new file has one name only
    while True:
        try:
            fcntl.flock(data_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return data_fd
        except BlockingIOError:
            if not wait:
                os.close(data_fd)
                raise PromptfoilError(
                    f"another process is already writing {out} under another name (a hard link); "
                    "wait for it to finish, or pass --wait to wait for it"
                ) from None
            if on_wait is not None and not told:
                on_wait("another process")
                told = True
            time.sleep(0.2)


def iter_results(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, record) for each complete line; a torn final line is skipped.

    A malformed line anywhere but the end is an error naming its line number (the reader is
    :func:`promptfoil.types.result_lines`, shared with ``promptfoil.load_results``).
    """
    return result_lines(path)


def read_results(path: str | Path) -> list[dict[str, Any]]:
    """The records of a results file, the last one per id (a retried failure replaces the error).

    Read and checked by the codec (:func:`promptfoil.types.read_records`): a field of the
    wrong type is an error naming its line and field, and a line without ``found`` or
    ``error`` means the file is not a results file at all.
    """
    return [rec for _, rec in read_records(path)]


def repair_tail(path: Path) -> bool:
    """Cut a torn last line (a write killed midway) so appends start on a fresh line.

    Returns True when something was cut. A complete last record missing only its newline
    gets the newline. A last line that is not the start of a JSON object is not ours to
    cut: that is an error, and the file is left as it is.
    """
    if not path.is_file() or path.stat().st_size == 0:
        return False
    with path.open("rb+") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - 1))
        if fh.read(1) == b"\n":
            return False
        fh.seek(0)
        data = fh.read()
        cut = data.rfind(b"\n") + 1
        tail = data[cut:]
        try:
            loads(tail.decode("utf-8"), f"{path} last line")
        except (UnicodeDecodeError, PromptfoilError):
            if not tail.lstrip().startswith(b"{"):
                raise PromptfoilError(
                    f"{path}: the last line is not a result; not a promptfoil results file, left unchanged"
                ) from None
            fh.truncate(cut)
            cut_it = True
        else:
            fh.seek(0, os.SEEK_END)
            fh.write(b"\n")
            cut_it = False
        fh.flush()
        os.fsync(fh.fileno())
        return cut_it


def stored_records(path: Path) -> dict[str, dict[str, Any]]:
    """The last record per id already in a results file (empty when there is none)."""
    if not path.is_file():
        return {}
    return {str(rec["id"]): rec for _, rec in last_per_id(iter_results(path)) if "id" in rec}


def finished_ids(path: Path, retry_failed: bool = False) -> set[str]:
    """Ids already in the results file (failures too, unless ``retry_failed``)."""
    return {i for i, rec in stored_records(path).items() if not (retry_failed and "error" in rec)}


def append_record(fh: Any, rec: dict[str, Any]) -> None:
    """One line, written at once, flushed and fsynced: durable before the next item starts.

    Strict JSON: a number that is not finite is written as null; text that is not valid
    Unicode (lone surrogates) is written escaped.
    """
    line = strict_dumps(rec, ensure_ascii=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        line = strict_dumps(rec, ensure_ascii=True)
    fh.write(line + "\n")
    fh.flush()
    os.fsync(fh.fileno())
