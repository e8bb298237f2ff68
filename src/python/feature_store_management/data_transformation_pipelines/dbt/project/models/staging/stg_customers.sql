-- Raw customers with explicit types and a normalized country code.
select
    cast(user_id as bigint) as user_id,
    signup_timestamp,
    cast(age as integer) as age,
    upper(trim(cast(home_country as varchar))) as home_country,
    cast(plan as varchar) as plan,
    cast(monthly_fee as double precision) as monthly_fee,
    cast(logins_30d as integer) as logins_30d,
    last_login_timestamp,
    cast(support_contacts_90d as integer) as support_contacts_90d,
    cast(churned as integer) as churned
from {{ raw_relation('customers') }}
