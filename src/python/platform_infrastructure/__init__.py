"""mlops-platform-infrastructure: checks and helpers for Ansible, images and manifests."""
