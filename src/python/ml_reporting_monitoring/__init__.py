"""ml-reporting-and-monitoring-logic: drift and bias analysis, reports, alert/dashboard checks."""
