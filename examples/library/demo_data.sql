-- Deterministic demo data for the library example (policies/library.toml): 5 branches,
-- 40 patrons, 200 items, 2 staff assignments, 150 loans. Loaded by `pgwarden example load
-- library` as the database owner, once: it does nothing when branches already exist.
-- The demo accounts (auth.users, one per tier) exist before this runs; the patron card C000001
-- belongs to user@library.example and the staff account works at Central and Northside.

insert into library.branches (name, address, created_at)
select b.name, b.address, timestamptz '2026-01-05 09:00:00+00' + (b.n || ' days')::interval
  from (values (1, 'Central', '1 Library Square'), (2, 'Northside', '14 North Road'),
               (3, 'Riverside', '2 Quay Street'), (4, 'Eastgate', '88 East Avenue'),
               (5, 'Hillcrest', '7 Summit Lane')) as b (n, name, address)
 where not exists (select from library.branches)
 order by b.n;

insert into library.patrons (user_id, card_number, full_name, email, is_active, joined_at)
select case when n = 1 then (select u.id from auth.users u where u.email = 'user@library.example') end,
       'C' || pg_catalog.lpad(n::text, 6, '0'),
       (array['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken'])[1 + n % 8]
         || ' ' || (array['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov'])[1 + n % 5],
       'patron' || n || '@library.example',
       n % 13 <> 0,
       timestamptz '2026-02-01 10:00:00+00' + (n || ' days')::interval
  from pg_catalog.generate_series(1, 40) as n
 where not exists (select from library.patrons)
 order by n;

insert into library.items (branch_id, title, kind, isbn, status, created_at)
select (select b.id from library.branches b order by b.id offset (n % 5) limit 1),
       (array['The', 'A Short', 'Another', 'The Last', 'Notes on'])[1 + n % 5] || ' '
         || (array['History', 'Garden', 'Voyage', 'Algorithm', 'River', 'Winter', 'Atlas'])[1 + n % 7]
         || ' ' || n,
       (array['book', 'book', 'book', 'audiobook', 'dvd'])[1 + n % 5],
       case when n % 5 < 3 then '978' || pg_catalog.lpad(n::text, 10, '0') end,
       case when n <= 150 and n % 10 <> 0 then 'on_loan' when n % 47 = 0 then 'lost'
            else 'available' end,
       timestamptz '2026-03-01 08:00:00+00' + (n || ' hours')::interval
  from pg_catalog.generate_series(1, 200) as n
 where not exists (select from library.items)
 order by n;

insert into library.staff_branches (user_id, branch_id)
select u.id, b.id
  from auth.users u, library.branches b
 where u.email = 'staff@library.example' and b.name in ('Central', 'Northside')
   and not exists (select from library.staff_branches)
 order by b.id;

insert into library.loans (patron_id, item_id, branch_id, status, borrowed_at, due_at, returned_at)
select p.id, i.id, i.branch_id,
       case when n % 10 = 0 then 'returned' when n % 7 = 0 then 'overdue' else 'active' end,
       timestamptz '2026-10-01 12:00:00+00' + (n || ' hours')::interval,
       timestamptz '2026-10-01 12:00:00+00' + (n || ' hours')::interval + interval '21 days',
       case when n % 10 = 0 then timestamptz '2026-10-15 12:00:00+00' + (n || ' hours')::interval end
  from pg_catalog.generate_series(1, 150) as n
  join library.patrons p on p.card_number = 'C' || pg_catalog.lpad((1 + (n * 7) % 40)::text, 6, '0')
  cross join lateral (select x.id, x.branch_id from library.items x
                        order by x.id offset n - 1 limit 1) as i
 where not exists (select from library.loans)
 order by n;
