-- The drill's critical checks, run against the restored copy of the sample database.
-- Each statement returns one boolean; see actions/restore-verify/README.md.

-- name: every user belongs to an organization
SELECT NOT EXISTS (SELECT 1 FROM users u LEFT JOIN organizations o ON o.id = u.org_id WHERE o.id IS NULL);

-- name: users can log in (emails present and unique)
-- checklist: user-login
SELECT count(*) > 0 AND count(*) = count(DISTINCT email) FROM users;

-- name: payments are there and reference live subscriptions
-- checklist: payments
SELECT count(*) > 0 AND bool_and(s.id IS NOT NULL) FROM payments p LEFT JOIN subscriptions s ON s.id = p.subscription_id;
