"""``--engine ray``: items explained by Ray actors, each holding one Explainer.

The driver (this process) hands each ready actor ``depth`` items at a time and gives it
another as each finishes, so fast and slow workers stay busy. Fault tolerance is Ray's:
an actor that dies is restarted (``max_restarts``) and the task it was running is run
again on it (``max_task_retries``); an item whose actor is gone for good is handed to
another actor, and an item that has killed its worker ``item_tries`` times is recorded as
failed. Every item is yielded exactly once.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from ...config import Config
from ...errors import ConfigError, MissingDependency, PromptfoilError
from ...targets.base import capabilities_of
from ..items import RunItem
from ..records import result_record, settings_of
from .worker import ExplainWorker, Outcome


def import_ray() -> Any:
    """The ``ray`` module, or a one-line error naming the extra."""
    try:
        import ray
    except ImportError:
        raise MissingDependency("--engine ray", "ray", "ray") from None
    return ray


#: Seconds ``start`` may spend starting or joining Ray, and then waiting for the first actor
#: to be placed on a node (``--ray-timeout``).
DEFAULT_RAY_TIMEOUT = 120.0
#: Seconds to wait for a TCP answer from an explicit ``host:port`` address before Ray is asked.
CONNECT_PROBE_SECONDS = 10.0


def check_resource(value: Any, flag: str) -> float:
    """``value`` as a finite number of at least 0, else a one-line error naming ``flag``."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number) or number < 0:
        raise ConfigError(f"{flag} must be a finite number of at least 0 (got {value!r})")
    return number


def _host_port(address: str) -> tuple[str, int] | None:
    """(host, port) of an explicit ``[ray://]host:port`` address; None for 'auto', 'local', ..."""
    rest = address.split("://", 1)[1] if "://" in address else address
    host, sep, port = rest.rstrip("/").rpartition(":")
    if not sep or not port.isdigit() or not host:
        return None
    return host.strip("[]"), int(port)


def _fmt(value: float) -> str:
    return f"{value:g}"


class _NoSigtermWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "SIGTERM handler is not set" not in record.getMessage()


def portable(config: Config) -> Config:
    """``config`` with what only this machine knows written in: ``$OPENAI_BASE_URL`` (which the
    ``openai`` target falls back to) is not set on the cluster's nodes."""
    env_url = os.environ.get("OPENAI_BASE_URL")
    if capabilities_of(config.target.name).endpoint and not config.endpoint.base_url and env_url:
        return replace(config, endpoint=replace(config.endpoint, base_url=env_url))
    return config


class RayEngine:
    """``workers`` Ray actors (default: as many as the cluster's free CPUs fit).

    ``address`` None starts a local Ray instance (``num_cpus`` CPUs, default all), else
    connects to that cluster (``"auto"``: the one ``ray start`` brought up here). When Ray is
    already initialised in this process it is used as it is, and left running on close.
    """

    name = "ray"

    def __init__(
        self,
        config: Config,
        workers: int | None = None,
        address: str | None = None,
        *,
        worker_cpus: float = 1.0,
        worker_gpus: float = 0.0,
        num_cpus: int | None = None,
        depth: int = 2,
        max_restarts: int = 4,
        max_task_retries: int = 2,
        item_tries: int = 3,
        timeout: float = DEFAULT_RAY_TIMEOUT,
    ) -> None:
        if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
            raise ConfigError(f"--workers must be a whole number of at least 1 (got {workers!r})")
        worker_cpus = check_resource(worker_cpus, "--worker-cpus")
        worker_gpus = check_resource(worker_gpus, "--worker-gpus")
        timeout = check_resource(timeout, "--ray-timeout")
        if timeout <= 0:
            raise ConfigError(f"--ray-timeout must be more than 0 seconds (got {timeout!r})")
        self.ray = import_ray()
        self.config = portable(config)
        self.workers = workers
        self.address = address
        self.worker_cpus = worker_cpus
        self.worker_gpus = worker_gpus
        self.timeout = timeout
        self.num_cpus = num_cpus
        self.depth = depth
        self.max_restarts = max_restarts
        self.max_task_retries = max_task_retries
        self.item_tries = item_tries
        self.actors: list[Any] = []
        self._owns_ray = False

    # -- lifecycle -----------------------------------------------------------------------
    def _where(self) -> str:
        if self.address == "auto":
            return "the Ray cluster `ray start` runs here (--address auto)"
        return f"the Ray cluster at {self.address}" if self.address else "a local Ray instance"

    def _probe_address(self) -> None:
        """An explicit ``host:port`` that nothing answers on is an error at once (Ray itself
        would retry for many minutes)."""
        hp = _host_port(self.address or "")
        if hp is None:
            return
        wait = min(CONNECT_PROBE_SECONDS, self.timeout)
        try:
            with socket.create_connection(hp, timeout=wait):
                pass
        except socket.timeout:
            raise PromptfoilError(f"cannot reach {self._where()}: no answer within {_fmt(wait)} s "
                                  "(is `ray start --head` running there, and is the port open?)") from None
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise PromptfoilError(f"cannot reach {self._where()}: {reason.lower()} "
                                  "(is `ray start --head` running there?)") from None

    def _connect(self) -> None:
        ray = self.ray
        if ray.is_initialized():
            return
        self._probe_address()
        kw: dict[str, Any] = {"address": self.address or "local", "include_dashboard": False,
                              "log_to_driver": False, "logging_level": logging.WARNING}
        if not self.address and self.num_cpus is not None:
            kw["num_cpus"] = self.num_cpus
        box: dict[str, BaseException | None] = {}

        def init() -> None:
            try:
                ray.init(**kw)
                box["error"] = None
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                box["error"] = exc

        if not self.address:
            # A local start: Ray's own waits bound it; its processes must be started from this
            # thread (they are stopped when the thread that started them ends).
            init()
        else:
            # Joining: ray.init retries an unresponsive address for many minutes and cannot be
            # interrupted; it runs in a helper thread, and the run stops once ``timeout`` has passed.
            thread = threading.Thread(target=init, name="promptfoil-ray-init", daemon=True)
            quiet = _NoSigtermWarning()  # Ray warns that only a main-thread init sets its SIGTERM handler
            logging.getLogger("ray._private.worker").addFilter(quiet)
            try:
                thread.start()
                thread.join(self.timeout)
            finally:
                logging.getLogger("ray._private.worker").removeFilter(quiet)
            if thread.is_alive():
                raise PromptfoilError(f"cannot reach {self._where()}: Ray did not connect within "
                                      f"{_fmt(self.timeout)} s (raise --ray-timeout if it is only slow)")
        exc = box.get("error")
        if exc is not None:
            if isinstance(exc, (ConnectionError, ValueError, RuntimeError, TimeoutError)):
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise PromptfoilError(f"cannot start or reach {self._where()}: {first}") from None
            raise exc
        self._owns_ray = True

    def _asked(self) -> str:
        return f"{_fmt(self.worker_cpus)} CPU and {_fmt(self.worker_gpus)} GPU per worker"

    def _available(self) -> str:
        try:
            free = self.ray.available_resources()
            total = self.ray.cluster_resources()
        except Exception:  # noqa: BLE001 - only for the message
            return "the cluster's resources are unknown"
        return (f"the cluster has {_fmt(float(free.get('CPU', 0)))} of {_fmt(float(total.get('CPU', 0)))} CPU "
                f"and {_fmt(float(free.get('GPU', 0)))} of {_fmt(float(total.get('GPU', 0)))} GPU free")

    def _check_fits(self) -> None:
        """A Ray started here has the resources it has: an actor no node can hold is an error now.
        (A cluster we join may add nodes; there :meth:`_await_placement` bounds the wait.)"""
        if not self._owns_ray or self.address:
            return
        try:
            nodes = [n.get("Resources", {}) for n in self.ray.nodes() if n.get("Alive")]
        except Exception:  # noqa: BLE001 - the placement wait still bounds it
            return
        if nodes and not any(float(n.get("CPU", 0)) >= self.worker_cpus and float(n.get("GPU", 0)) >= self.worker_gpus
                             for n in nodes):
            raise PromptfoilError(f"no Ray worker can be placed: asked for {self._asked()}; "
                                  f"{self._available()} (lower --worker-cpus / --worker-gpus)")

    def _await_placement(self) -> None:
        """Wait (at most ``timeout`` s) until one actor is running on a node; else a clear error."""
        refs = [actor.placed.remote() for actor in self.actors]
        deadline = time.monotonic() + self.timeout
        died = ""
        while refs:
            ready, refs = self.ray.wait(refs, num_returns=1, timeout=max(0.0, deadline - time.monotonic()))
            if not ready:
                break
            try:
                self.ray.get(ready[0])
                return
            except self.ray.exceptions.RayActorError as exc:  # died on its way up; another may still come
                died = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                continue
            except Exception as exc:  # noqa: BLE001 - e.g. a worker that cannot unpickle the config
                raise PromptfoilError(f"a Ray worker could not start: {str(exc).strip().splitlines()[-1]}") from None
        if refs:
            raise PromptfoilError(f"no Ray worker was placed within {_fmt(self.timeout)} s: asked for "
                                  f"{self._asked()}; {self._available()} (lower --worker-cpus / "
                                  "--worker-gpus or --workers, or raise --ray-timeout)")
        raise PromptfoilError(f"every Ray worker died while starting ({died})")

    def _count(self) -> int:
        if self.workers is not None:
            return self.workers
        cpus = float(self.ray.available_resources().get("CPU", 1.0))
        return max(1, int(cpus // self.worker_cpus) if self.worker_cpus else int(cpus))

    @property
    def settings(self) -> dict[str, Any]:
        """The experiment's settings (every worker explains with this one config)."""
        return settings_of(self.config)

    def start(self) -> str:
        """Connect to (or start) Ray and launch the actors; they build their Explainers meanwhile."""
        if not self.actors:
            self._connect()
            self._check_fits()
            remote = self.ray.remote(ExplainWorker).options(
                num_cpus=self.worker_cpus, num_gpus=self.worker_gpus,
                max_restarts=self.max_restarts, max_task_retries=self.max_task_retries,
            )
            self.actors = [remote.remote(self.config) for _ in range(self._count())]
            self._await_placement()
        where = self.address or "local Ray"
        return f"ray: {len(self.actors)} worker(s) on {where}"

    def close(self) -> None:
        for actor in self.actors:
            try:
                self.ray.kill(actor, no_restart=True)
            except Exception:  # noqa: BLE001 - already gone
                pass
        self.actors = []
        if self._owns_ray:
            self.ray.shutdown()
            self._owns_ray = False

    def __enter__(self) -> RayEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- scheduling ----------------------------------------------------------------------
    def explain_items(self, items: Sequence[RunItem], trace: bool = True) -> Iterator[tuple[RunItem, dict[str, Any]]]:
        if not items:
            return
        self.start()
        yield from _Schedule(self, items, trace).results()


class _Schedule:
    """One pass over the items: which actor holds what, and what to hand out next."""

    def __init__(self, engine: RayEngine, items: Sequence[RunItem], trace: bool) -> None:
        self.e = engine
        self.ray = engine.ray
        self.trace = trace
        self.queue: deque[RunItem] = deque(items)
        self.inflight: dict[Any, tuple[RunItem, int]] = {}
        self.probes: dict[Any, int] = {a.ready.remote(): i for i, a in enumerate(engine.actors)}
        self.load = [0] * len(engine.actors)
        self.alive: set[int] = set()
        self.tries: Counter[str] = Counter()

    def _fill(self, idx: int) -> None:
        actor = self.e.actors[idx]
        while self.load[idx] < self.e.depth and self.queue:
            item = self.queue.popleft()
            self.inflight[actor.explain.remote(item, self.trace)] = (item, idx)
            self.load[idx] += 1

    def _probe(self, ref: Any) -> None:
        idx = self.probes.pop(ref)
        try:
            error = self.ray.get(ref)
        except self.ray.exceptions.RayActorError:
            return  # gone for good: its items were handed to others
        if error is not None:
            raise error
        self.alive.add(idx)
        self._fill(idx)

    def _lost(self, item: RunItem, idx: int, exc: Exception) -> dict[str, Any] | None:
        """The actor died under ``item``: hand it out again, or record it as failed."""
        self.tries[item.id] += 1
        if idx in self.alive:  # is it coming back? ask it; meanwhile others take its work
            self.alive.discard(idx)
            self.probes[self.e.actors[idx].ready.remote()] = idx
        if self.tries[item.id] >= self.e.item_tries:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return result_record(item, None, f"its Ray worker died {self.tries[item.id]} times "
                                             f"while explaining it ({reason})")
        self.queue.appendleft(item)
        for j in sorted(self.alive):
            self._fill(j)
        return None

    def results(self) -> Iterator[tuple[RunItem, dict[str, Any]]]:
        ray = self.ray
        while self.queue or self.inflight:
            if not self.inflight and not self.probes:
                raise PromptfoilError("every Ray worker died; nothing is left to explain the "
                                      f"{len(self.queue)} remaining item(s) (re-run to resume)")
            ready, _ = ray.wait([*self.inflight, *self.probes], num_returns=1)
            ref = ready[0]
            if ref in self.probes:
                self._probe(ref)
                continue
            item, idx = self.inflight.pop(ref)
            self.load[idx] -= 1
            try:
                outcome: Outcome = ray.get(ref)
            except ray.exceptions.RayActorError as exc:
                rec = self._lost(item, idx, exc)
                if rec is not None:
                    yield item, rec
                continue
            except ray.exceptions.RayTaskError as exc:  # the worker itself broke on this item
                yield item, result_record(item, None, f"worker error: {str(exc).strip().splitlines()[-1]}")
                self._fill(idx)
                continue
            if outcome.fatal is not None:
                raise outcome.fatal
            assert outcome.record is not None
            yield item, outcome.record
            if idx in self.alive:
                self._fill(idx)
