"""What the server says: summaries of jobs, logs, lists and schedules, the job card's facts,
and bad input in one sentence. Pure functions: no I/O, no MCP."""
