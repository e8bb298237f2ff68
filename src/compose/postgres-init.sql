-- Databases and roles of the platform (what the Ansible postgresql role creates on server1).
CREATE ROLE mlflow LOGIN PASSWORD 'mlflow';
CREATE ROLE feast LOGIN PASSWORD 'feast';
CREATE ROLE airflow LOGIN PASSWORD 'airflow';
CREATE DATABASE mlflow OWNER mlflow;
CREATE DATABASE feast_offline OWNER feast;
CREATE DATABASE feast_registry OWNER feast;
CREATE DATABASE airflow OWNER airflow;
