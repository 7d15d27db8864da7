-- Revert family_app:policies_family_app from pg
-- Compiled by `pgwarden policies compile` from examples/family_app/family_app.toml: do not edit; change the
-- declarations and compile again.
BEGIN;

delete from authz.resources where name in ('family', 'household', 'family_member', 'family_delegate', 'child_profile', 'care_plan', 'guardian_note', 'household_announcement', 'shopping_item', 'calendar_event');
select audit.disable('family.calendar_event'::regclass);
drop table if exists family.calendar_event;
drop function if exists family.calendar_event_assign();
select audit.disable('family.shopping_item'::regclass);
drop table if exists family.shopping_item;
drop function if exists family.shopping_item_assign();
select audit.disable('family.household_announcement'::regclass);
drop table if exists family.household_announcement;
drop function if exists family.household_announcement_assign();
select audit.disable('family.guardian_note'::regclass);
drop table if exists family.guardian_note;
drop function if exists family.guardian_note_assign();
select audit.disable('family.care_plan'::regclass);
drop table if exists family.care_plan;
drop function if exists family.care_plan_assign();
select audit.disable('family.child_profile'::regclass);
drop table if exists family.child_profile;
drop function if exists family.child_profile_assign();
select audit.disable('family.family_delegate'::regclass);
drop table if exists family.family_delegate;
drop function if exists family.family_delegate_assign();
select audit.disable('family.family_member'::regclass);
drop table if exists family.family_member;
drop function if exists family.family_member_assign();
select audit.disable('family.household'::regclass);
drop table if exists family.household;
drop function if exists family.household_assign();
select audit.disable('family.family'::regclass);
drop table if exists family.family;
drop function if exists family.family_assign();
drop function if exists authz.family_app_family_member_f141b40f(bigint);
drop function if exists authz.family_app_family_delegate_22c7c197(bigint);
drop function if exists authz.family_app_family_8d82a190(bigint);
drop function if exists authz.family_app_household_7909d5ec(bigint, bigint);
drop function if exists authz.family_app_child_profile_74f3027e(bigint, bigint);
drop function if exists authz.family_app_household_8d23a7ce(bigint, text);
delete from authz.templates where name in ('guardian', 'caregiver', 'child_viewer', 'household_moderator');
delete from authz.permissions where name in ('family_read', 'family_contribute', 'child_care_read', 'child_care_manage', 'household_moderate');
delete from authz.scopes where name = 'household';
delete from authz.scopes where name = 'family';
drop schema if exists family;

COMMIT;
