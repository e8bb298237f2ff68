{#- Generic test: the combination of `columns` is unique (dbt_utils is not reachable here). -#}
{% test unique_together(model, columns) %}
select {{ columns | join(', ') }}, count(*) as n
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
