"""The kernel's own schedules."""

from taihe.kernel.jobs.schedules import schedule

schedule("kernel.events.sweep", cron="* * * * *", job_name="kernel.events.sweep")
