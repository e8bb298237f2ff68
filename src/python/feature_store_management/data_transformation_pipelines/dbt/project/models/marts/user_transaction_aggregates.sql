-- Per-user rolling aggregates as of each transaction, over what was known *before* it:
-- windows [t - window, t), the transaction itself and anything later excluded (the
-- definition in mlops_common/contracts/transaction_windows.py). An empty window gives 0 for
-- every feature. The Spark job and the stream consumer compute the same numbers; tests prove
-- they agree.
with txn as (
    select transaction_id, user_id, event_timestamp, amount, merchant_category
    from {{ ref('stg_transactions') }}
)
select
    cur.transaction_id,
    cur.user_id,
    cur.event_timestamp,
    cast(sum(case when prev.event_timestamp >= cur.event_timestamp - interval '1 hour' then 1 else 0 end) as bigint)
        as txn_count_1h,
    cast(sum(case when prev.event_timestamp >= cur.event_timestamp - interval '24 hours' then 1 else 0 end) as bigint)
        as txn_count_24h,
    cast(coalesce(sum(case when prev.event_timestamp >= cur.event_timestamp - interval '24 hours' then prev.amount else 0 end), 0) as double precision)
        as txn_amount_sum_24h,
    cast(coalesce(avg(prev.amount), 0) as double precision) as txn_amount_avg_7d,
    cast(coalesce(max(prev.amount), 0) as double precision) as txn_amount_max_7d,
    count(distinct prev.merchant_category) as distinct_categories_7d
from txn as cur
left join txn as prev
    on prev.user_id = cur.user_id
    and prev.event_timestamp >= cur.event_timestamp - interval '7 days'
    and prev.event_timestamp < cur.event_timestamp
group by cur.transaction_id, cur.user_id, cur.event_timestamp
