-- Per-user rolling aggregates as of each transaction (windows include the transaction
-- itself and both ends: [t - window, t]). The Spark job computes the same numbers at scale;
-- a test proves they agree.
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
    sum(case when prev.event_timestamp >= cur.event_timestamp - interval '24 hours' then prev.amount else 0 end)
        as txn_amount_sum_24h,
    avg(prev.amount) as txn_amount_avg_7d,
    max(prev.amount) as txn_amount_max_7d,
    count(distinct prev.merchant_category) as distinct_categories_7d
from txn as cur
join txn as prev
    on prev.user_id = cur.user_id
    and prev.event_timestamp between cur.event_timestamp - interval '7 days' and cur.event_timestamp
group by cur.transaction_id, cur.user_id, cur.event_timestamp
