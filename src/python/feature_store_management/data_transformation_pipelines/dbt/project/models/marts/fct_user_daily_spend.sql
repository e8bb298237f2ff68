-- Spend per user and UTC day.
select
    user_id,
    cast(timezone('UTC', event_timestamp) as date) as spend_date,
    count(*) as txn_count,
    sum(amount) as amount_sum,
    sum(is_fraud) as fraud_count
from {{ ref('stg_transactions') }}
group by 1, 2
