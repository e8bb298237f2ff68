"""One folder per model project; each exposes ``train.TRAINER`` and ``train.CLI_NAME``."""
