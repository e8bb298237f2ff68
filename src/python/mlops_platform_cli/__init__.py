"""The platform CLI (``mlops``): one way to run each step, for people, DAGs and Ansible.

Every step delegates to the owning component's Pants-built PEX (feature store, trainer,
services, monitoring), so this package never imports a component's stack.
"""
