--------------------------------------------------------------------------------
-- Affiliate directory: a public card for every gym in the network.
-- SECURITY DEFINER (shared role): visitors of one gym cannot read other gyms, and anonymous
-- visitors nothing at all. Safe because the shared role sees only gyms that opted in (its
-- policy on gyms), and this returns only name, city, description and a coarse member count
-- band: no id, no plan, no exact counts, no people.
--------------------------------------------------------------------------------
set role ":ROLE_SHARED";

create type app_shared.gym_card as (
  name              text,
  city              text,
  description       text,
  member_count_band text
);
comment on type app_shared.gym_card is E'@name gym_card\nA gym''s public directory card.';
comment on column app_shared.gym_card.member_count_band is 'Roughly how many people train there: 1–10, 11–50, 51–200 or 200+.';

create function app_shared.gym_directory() returns setof app_shared.gym_card
  language sql stable security definer set search_path = pg_catalog
as $$
  select g.name, g.city, g.description,
         case when c.n <= 10 then '1–10' when c.n <= 50 then '11–50'
              when c.n <= 200 then '51–200' else '200+' end
  from app_public.gyms g
  cross join lateral (
    select count(*) as n from app_public.memberships m where m.tenant_id = g.id
  ) c
  where g.network_opt_in
  order by g.name
$$;
comment on function app_shared.gym_directory() is
  E'@name gym_directory\n@anonymousOk the directory is the network''s public shop window\n@sharedSafe only opted-in gyms, only name, city, description and a member count band\nThe network''s gym directory (gyms that chose to be listed). Open to everyone, logged in or not.';
grant execute on function app_shared.gym_directory() to
  ":ROLE_ANONYMOUS", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH",
  ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";

reset role;
