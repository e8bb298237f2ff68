{#- Raw tables are parquet files embedded (DuckDB reads them in place) and PostgreSQL tables
    on the servers; models call raw_relation('transactions') and stay the same on both. -#}
{% macro raw_relation(name) -%}
  {%- if target.type == 'duckdb' -%}
    read_parquet('{{ var("raw_dir") }}/{{ name }}.parquet')
  {%- else -%}
    {{ adapter.quote(var("raw_schema")) }}.{{ adapter.quote(name) }}
  {%- endif -%}
{%- endmacro %}
