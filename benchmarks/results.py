"""Every benchmark's figures kept as JSON, with the machine, the date and the command behind them.

A benchmark calls `record` once it has its figures (it still prints them as it goes):

    results.record("bench_live", [("answers a second, 1 viewer", 14.9, "answers/s")],
                   argv=argv, load_before=load_before)

which writes `benchmarks/results/bench_live.json` (or the folder named by `$TLCORE_BENCH_RESULTS`;
the tests point it at a temporary folder). A file holds the benchmark's runs, newest first: a
new run replaces an earlier one of the same command and source, so rerunning a benchmark
refreshes its figures and keeps the others. Each run holds:

- `figures`: a list of `{"name", "value", "unit"}`;
- `machine`: the platform, processor, CPU count, memory (`/proc/meminfo`) and GPU (`nvidia-smi`;
  "none" where it is missing or finds none), or, for figures recorded by hand, a `description`;
- `date`: when it ran (UTC, ISO 8601);
- `command`: what reproduces it, paths beside the repository written relative to it;
- `load_average`: the machine's 1-, 5- and 15-minute load when it started and ended (other work
  on the same cores slows every figure);
- `source`: "measured" for a run recorded by the benchmark itself, "recorded <date>" for figures
  measured earlier and entered through `record` by hand;
- `notes`: what a reader needs besides (optional).

`benchmarks.report` renders every file into docs/benchmarks.md.
"""

import datetime
import json
import os
import pathlib
import platform
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence

REPOSITORY = pathlib.Path(__file__).resolve().parents[1]
#: Where the JSON files go unless `$TLCORE_BENCH_RESULTS` names another folder.
DEFAULT_FOLDER = REPOSITORY / "benchmarks" / "results"
FOLDER_VARIABLE = "TLCORE_BENCH_RESULTS"
MEASURED = "measured"


def results_folder() -> pathlib.Path:
    """The folder the results are written to and read from."""
    return pathlib.Path(os.environ.get(FOLDER_VARIABLE) or DEFAULT_FOLDER)


def load_average() -> list[float]:
    """The machine's load averages over 1, 5 and 15 minutes."""
    return [round(value, 2) for value in os.getloadavg()]


def memory_gib() -> float | None:
    """The machine's memory in GiB, from /proc/meminfo (None where it cannot be read)."""
    try:
        for line in pathlib.Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    return None


def gpus() -> str:
    """The GPUs `nvidia-smi` lists, one name each, or "none"."""
    program = shutil.which("nvidia-smi")
    if program is None:
        return "none"
    try:
        listed = subprocess.run(
            [program, "--query-gpu=name,memory.total", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return "none"
    names = [line.strip() for line in listed.splitlines() if line.strip()]
    return "; ".join(names) or "none"


def machine() -> dict:
    """This machine: platform, processor, CPU count, memory and GPU."""
    return {
        "platform": platform.platform(),
        "processor": platform.machine(),
        "cpus": os.cpu_count(),
        "memory_gib": memory_gib(),
        "gpu": gpus(),
        "python": platform.python_version(),
    }


def _relative(argument: str) -> str:
    """An argument with the repository's path, or its parent's, written relative to the
    repository (the shared photos sit beside it: `../shared/...`)."""
    for folder, shown in ((REPOSITORY, "."), (REPOSITORY.parent, "..")):
        prefix = str(folder) + os.sep
        if argument.startswith(prefix):
            return shown + "/" + argument[len(prefix) :]
        if argument == str(folder):
            return shown
    return argument


def command(module: str, argv: Sequence[str] | None = None) -> str:
    """The command that reproduces a run: `python -m <module> <arguments>`, run from the
    repository's root.

    Args:
        module: The benchmark's module, such as "benchmarks.bench_live".
        argv: Its arguments; the process's own (`sys.argv[1:]`) when None.
    """
    arguments = list(sys.argv[1:] if argv is None else argv)
    return shlex.join(["python", "-m", module, *(_relative(str(a)) for a in arguments)])


def figure(name: str, value: float | int | str, unit: str = "") -> dict:
    """One figure as it is stored; floats are rounded to 4 significant digits."""
    if isinstance(value, float):
        value = float(f"{value:.4g}")
    return {"name": name, "value": value, "unit": unit}


def record(
    benchmark: str,
    figures: Iterable[tuple | dict],
    *,
    argv: Sequence[str] | None = None,
    command_line: str | None = None,
    load_before: Sequence[float] | None = None,
    notes: str = "",
    source: str = MEASURED,
    date: str | None = None,
    machine_description: dict | None = None,
    load: dict | str | None = None,
    folder: os.PathLike | str | None = None,
) -> pathlib.Path:
    """Records a run's figures in `<folder>/<benchmark>.json` and returns that file.

    Args:
        benchmark: The benchmark's name, its module's last part ("bench_live").
        figures: (name, value, unit) tuples, or dicts as `figure` makes them.
        argv: The arguments it ran with (`sys.argv[1:]` when None), for its command.
        command_line: The command, when it is not `python -m benchmarks.<benchmark> <argv>`.
        load_before: The load averages when the run started (`load_average()`); the end's
            are read now.
        notes: What a reader needs besides the figures.
        source: `MEASURED`, or "recorded <date>" for figures entered by hand.
        date: When it ran; now when None.
        machine_description: The machine, for figures entered by hand; this one when None.
        load: The load as it was reported, for figures entered by hand.
        folder: Where the file goes; `results_folder()` when None.
    """
    run = {
        "date": date or datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "source": source,
        "command": command_line or command(f"benchmarks.{benchmark}", argv),
        "machine": machine_description or machine(),
        "load_average": load
        if load is not None
        else {"start": list(load_before) if load_before else None, "end": load_average()},
        "figures": [item if isinstance(item, dict) else figure(*item) for item in figures],
    }
    if notes:
        run["notes"] = notes
    target = pathlib.Path(folder) if folder is not None else results_folder()
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"{benchmark}.json"
    runs = read(path)["runs"] if path.is_file() else []
    runs = [
        kept
        for kept in runs
        if (kept["command"], kept["source"]) != (run["command"], run["source"])
    ]
    runs.insert(0, run)
    text = json.dumps({"benchmark": benchmark, "runs": runs}, indent=2, ensure_ascii=False)
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(text + "\n", encoding="utf-8")
    os.replace(temporary, path)
    return path


def read(path: os.PathLike | str) -> dict:
    """One benchmark's file: `{"benchmark": name, "runs": [...]}`."""
    return json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
