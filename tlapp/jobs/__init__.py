"""The work a page asks of the workers: queued here, followed from the job's record.

- `workers`: the web server's link to the work tier: the queue, the records, local workers.
- `progress`: a job's place in the queue, progress bar and Cancel, from its record.
- `trainings`: trainings queued by the Train page.
- `arrivals`: photos embedded as they arrive, so Train never waits for them.
- `data_check`: the Check data page's data check.
- `batch`: Predict's answers: a few photos here, many at once by a worker.
"""
