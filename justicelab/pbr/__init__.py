"""Payment by results: contracts as data, reconviction events, outcome arithmetic and payment."""
