"""Programme case management (seed 004, the One Service): the records a through-the-gate programme keeps,
its engagement measures and dashboards, and the one-click routes from the caseload to a Data Lab
submission and a PbR cohort check. The service pages live in `justicelab.service.casework_pages`."""
