/**
 * A deterministic SaaS database of about `sizeMb` on disk: organizations, users, subscriptions,
 * payments and events (jsonb), with indexes and foreign keys. Every value derives from the row
 * number through an integer hash, so two builds of the same size hold the same data. Text comes from a
 * word list, so the data compresses about 3-4x with gzip like real application data, not 35x
 * like pgbench's filler.
 */
import { PsqlSession } from '../src/postgres/psql-session.js';
import type { DatabaseTarget } from '../src/postgres/connection.js';

const WORDS = `account active added admin alert allow amount annual api app approve archive audit auth
automatic backup balance basic batch billing blue board browser budget build bulk business cache calendar
campaign cancel card cart change channel chart check client close cloud code comment company complete
config connect contact content contract copy cost count coupon create credit currency customer daily
dashboard data date deal default delete deliver demo deploy design detail device discount domain download
draft due edit email enable end enterprise entry error event export failed feature feed field file filter
finance first flow folder form free friday gateway global goal group guest health help history home hour
import inbox index integration invite invoice issue item job key label language launch lead ledger level
license limit link list live load local lock login logout manager march market member message meter
metric migrate mobile monday month monthly name network new next note notify number offer open order
owner page paid partner password payment pending period phone plan platform policy portal premium price
primary private product profile project public purchase quarter queue quota quote rate record refund
region release remote renew report request reset review role rule sale save schedule search seat secure
send server service session setting setup share shipping sign site sku slack source spend sprint staff
standard start status storage store stripe subscription success summary support survey sync system tag
task tax team template tenant test ticket tier time token total track trial update upgrade upload usage
user value vendor verify version view visit wallet webhook week weekly widget workflow workspace year`.split(/\s+/);

const BYTES_PER_MB = 1024 * 1024;

/** Rows per table of the sample database. */
export type SaasDataset = Record<'organizations' | 'users' | 'subscriptions' | 'payments' | 'events', number>;

/** Rows per table for a target size, from the on-disk size of each row type (heap and indexes). */
export function rowsFor(sizeMb: number): SaasDataset {
  const bytes = sizeMb * BYTES_PER_MB;
  const events = Math.max(1000, Math.round((bytes * 0.55) / 336));
  const users = Math.max(200, Math.round((bytes * 0.2) / 264));
  const payments = Math.max(200, Math.round((bytes * 0.2) / 208));
  const organizations = Math.max(20, Math.round(users / 25));
  const subscriptions = organizations * 2;
  return { organizations, users, subscriptions, payments, events };
}

/** A cheap integer hash (multiplicative, mod a prime near 2^32): deterministic and fast enough for gigabytes. */
const h = (expr: string, salt: number) => `(((${expr})::bigint * 2654435761 + ${salt * 40503 + 12345}) % 4294967291)`;
const pick = (list: string, expr: string, salt: number) => `(${list})[1 + ${h(expr, salt)} % array_length(${list}, 1)]`;
const phrase = (expr: string, salt: number, words: number) =>
  Array.from({ length: words }, (_, i) => pick('w.words', expr, salt + i)).join(` || ' ' || `);

export async function createSaasSchema(target: DatabaseTarget, sizeMb: number): Promise<SaasDataset> {
  const rows = rowsFor(sizeMb);
  const session = await PsqlSession.open(target);
  const words = `ARRAY[${WORDS.map((w) => `'${w}'`).join(',')}]`;
  const steps = [
    `SET synchronous_commit = off`,
    `CREATE TEMP TABLE w AS SELECT ${words} AS words`,
    `CREATE TABLE organizations (id bigint PRIMARY KEY, name text NOT NULL, plan text NOT NULL, created_at timestamptz NOT NULL, settings jsonb NOT NULL)`,
    `INSERT INTO organizations SELECT g, initcap(${phrase('g', 1, 2)}) || ' ' || g, ${pick("ARRAY['free','team','business','enterprise']", 'g', 3)},
       timestamptz '2019-01-01' + (${h('g', 4)} % 2000) * interval '1 day',
       jsonb_build_object('locale', ${pick("ARRAY['en','de','fr','es','ja']", 'g', 5)}, 'sso', ${h('g', 6)} % 2 = 0, 'theme', ${pick('w.words', 'g', 7)})
     FROM generate_series(1, ${rows.organizations}) g, w`,
    `CREATE TABLE users (id bigint PRIMARY KEY, org_id bigint NOT NULL REFERENCES organizations(id), email text NOT NULL, full_name text NOT NULL,
       created_at timestamptz NOT NULL, last_login_at timestamptz, profile jsonb NOT NULL)`,
    `INSERT INTO users SELECT g, 1 + ${h('g', 10)} % ${rows.organizations}, ${pick('w.words', 'g', 11)} || '.' || ${pick('w.words', 'g', 12)} || g || '@example.com',
       initcap(${phrase('g', 13, 2)}), timestamptz '2020-01-01' + (${h('g', 15)} % 2000000) * interval '1 minute',
       CASE WHEN ${h('g', 16)} % 5 > 0 THEN timestamptz '2026-01-01' + (${h('g', 17)} % 400000) * interval '1 minute' END,
       jsonb_build_object('title', initcap(${phrase('g', 18, 2)}), 'bio', ${phrase('g', 20, 8)}, 'tags', jsonb_build_array(${pick('w.words', 'g', 28)}, ${pick('w.words', 'g', 29)}))
     FROM generate_series(1, ${rows.users}) g, w`,
    `CREATE TABLE subscriptions (id uuid PRIMARY KEY, org_id bigint NOT NULL REFERENCES organizations(id), plan text NOT NULL, status text NOT NULL,
       started_at timestamptz NOT NULL, renews_at timestamptz, seats int NOT NULL, price numeric(10,2) NOT NULL)`,
    `INSERT INTO subscriptions SELECT md5('sub' || g)::uuid, 1 + (g - 1) % ${rows.organizations}, ${pick("ARRAY['team','business','enterprise']", 'g', 30)},
       ${pick("ARRAY['active','active','active','past_due','canceled','trialing']", 'g', 31)}, timestamptz '2021-01-01' + (${h('g', 32)} % 1500) * interval '1 day',
       timestamptz '2027-01-01' + (${h('g', 33)} % 365) * interval '1 day', 1 + ${h('g', 34)} % 500, (${h('g', 35)} % 100000) / 100.0
     FROM generate_series(1, ${rows.subscriptions}) g, w`,
    `CREATE TABLE payments (id uuid PRIMARY KEY, subscription_id uuid NOT NULL REFERENCES subscriptions(id), amount numeric(12,2) NOT NULL, currency char(3) NOT NULL,
       status text NOT NULL, paid_at timestamptz NOT NULL, card_last4 char(4), description text NOT NULL)`,
    `INSERT INTO payments SELECT md5('pay' || g)::uuid, md5('sub' || (1 + ${h('g', 40)} % ${rows.subscriptions}))::uuid, (${h('g', 41)} % 5000000) / 100.0,
       ${pick("ARRAY['USD','EUR','GBP','JPY']", 'g', 42)}, ${pick("ARRAY['succeeded','succeeded','succeeded','refunded','failed']", 'g', 43)},
       timestamptz '2022-01-01' + (${h('g', 44)} % 150000000) * interval '1 second', lpad((${h('g', 45)} % 10000)::text, 4, '0'),
       initcap(${phrase('g', 46, 5)})
     FROM generate_series(1, ${rows.payments}) g, w`,
    `CREATE TABLE events (id bigint PRIMARY KEY, org_id bigint NOT NULL REFERENCES organizations(id), user_id bigint REFERENCES users(id),
       occurred_at timestamptz NOT NULL, kind text NOT NULL, payload jsonb NOT NULL)`,
    `INSERT INTO events SELECT g, 1 + ${h('g', 50)} % ${rows.organizations}, CASE WHEN ${h('g', 51)} % 10 > 0 THEN 1 + ${h('g', 52)} % ${rows.users} END,
       timestamptz '2026-01-01' + g * interval '1 second', ${pick('w.words', 'g', 53)} || '.' || ${pick("ARRAY['created','updated','deleted','viewed','failed']", 'g', 54)},
       jsonb_build_object('ip', '10.' || ${h('g', 55)} % 256 || '.' || ${h('g', 56)} % 256 || '.' || ${h('g', 57)} % 256, 'agent', ${pick("ARRAY['web','ios','android','api']", 'g', 58)},
         'message', ${phrase('g', 60, 12)}, 'amount', round((${h('g', 80)} % 100000) / 100.0, 2), 'ref', CASE WHEN g % 3 = 0 THEN md5('ev' || g)::uuid END, 'session', substr(md5('s' || g), 1, 16))
     FROM generate_series(1, ${rows.events}) g, w`,
    `CREATE INDEX users_org_id ON users (org_id)`,
    `CREATE INDEX payments_subscription_id ON payments (subscription_id)`,
    `CREATE INDEX events_org_time ON events (org_id, occurred_at)`,
    `ANALYZE`,
  ];
  try {
    for (const sql of steps) await session.query(sql);
  } finally {
    await session.close();
  }
  return rows;
}
