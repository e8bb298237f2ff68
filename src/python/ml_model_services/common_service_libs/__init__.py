"""Building blocks every model API shares: errors, metrics, app skeleton."""
