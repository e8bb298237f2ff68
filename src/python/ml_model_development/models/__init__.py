"""One folder per model project; each exposes ``train.TRAINER`` (its CLI name is ``contract.short_name``)."""
