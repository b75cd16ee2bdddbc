-- What the application does first on the rebuilt server, run by the drill's smoke command as the
-- application's own role (saas_app, its password from APP_DB_PASSWORD): log in, find the settings
-- its role and its database carry, read its tables, take a number from its sequence. The drill
-- checks each line of the output.
SELECT current_user;
SHOW statement_timeout;
SHOW work_mem;
SELECT count(*) FROM payments;
SELECT count(*) FROM users;
SELECT nextval('invoice_numbers');
