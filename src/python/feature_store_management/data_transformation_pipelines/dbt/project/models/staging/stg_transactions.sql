-- Raw card transactions with explicit types; one row per transaction.
select
    cast(transaction_id as bigint) as transaction_id,
    cast(user_id as bigint) as user_id,
    cast(merchant_id as bigint) as merchant_id,
    cast(merchant_category as varchar) as merchant_category,
    cast(amount as double precision) as amount,
    upper(trim(cast(country as varchar))) as country,
    event_timestamp,
    cast(is_fraud as integer) as is_fraud
from {{ raw_relation('transactions') }}
