"""The worker's command-line options and help, without the worker itself.

`python -m tlcore` builds its whole parser for every command; the worker's module brings
Huey, the job records and the store (about a fifth of a second to import), which `predict`
and `train` never use. So its options live here, and `tlcore.jobs.worker` is imported only to run
the `worker` command.
"""

import argparse

STALE_SECONDS_VARIABLE = "TLCORE_JOB_STALE_SECONDS"
DEFAULT_STALE_SECONDS = 20.0

HELP = f"""\
Runs jobs (trainings) queued by the app's web servers, one at a time, until stopped
(Ctrl-C finishes the job under way; SIGTERM stops at once, and the job runs again later).

It reads:
  TLCORE_WORKSPACE      the shared workspace folder (projects, photos; default
                        ~/.tlcore/workspace); on several machines, a shared volume
  TLCORE_QUEUE_URL      the queue: unset for <workspace>/.jobs/queue.sqlite3,
                        or redis://host:6379/0 for a Redis server
  TLCORE_DATABASE_URL   the projects and jobs: unset for <workspace>/tlcore.db,
                        sqlite:////absolute/path.db, or postgresql://user@host/db
  TLCORE_WEIGHTS_DIR    a folder holding the pretrained weights (else Keras' cache)
  TLCORE_CACHE_DIR      the cached photo features
  {STALE_SECONDS_VARIABLE}  seconds without a heartbeat after which a running job's
                        worker is taken for dead and the job runs again (default
                        {DEFAULT_STALE_SECONDS:.0f})
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the worker's options to its command-line parser."""
    parser.add_argument(
        "--workspace",
        help="the workspace folder; TLCORE_WORKSPACE or ~/.tlcore/workspace when not given",
    )
    parser.add_argument("--name", help="this worker's name in the jobs' records")
    parser.add_argument(
        "--parent-pid",
        type=int,
        help="stop when this process ends (how a web server ties its local workers to itself)",
    )
