"""Running a check over a file: the scan, its checkpoints, worker processes."""
