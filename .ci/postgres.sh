#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for the `cuadre pull` tests and print how to reach it.
#
#   eval "$(bash .ci/postgres.sh)"     # sets CUADRE_TEST_PG_URL (and friends)
#
# Installs PostgreSQL from Debian when it is missing, starts a fresh cluster in
# /tmp/cuadre-pg (on 127.0.0.1, on a free port; a server left there by an earlier run is
# stopped and its data wiped first, so every run starts clean), creates the database
# cuadre_test with tables shaped like Odoo's (minimal columns) and two roles:
#   cuadre_owner   owns the tables (can write: used to prove that a pull cannot)
#   cuadre_ro      may only read (SELECT grants, default_transaction_read_only)
# Only `export NAME=value` lines go to stdout; progress goes to stderr.
#
#   bash .ci/postgres.sh stop          # stops the server this script started (if any)
set -euo pipefail

DATA=${CUADRE_PG_DIR:-/tmp/cuadre-pg}
DB=cuadre_test
log() { echo "postgres.sh: $*" >&2; }

pg_bin() {
    local ctl
    ctl=$(ls -d /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -V | tail -n 1 || true)
    [ -n "$ctl" ] && dirname "$ctl"
}

# Run the server as `postgres` when we are root (PostgreSQL refuses to run as root).
as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop_left_server() {
    if [ -n "${BIN:-}" ] && [ -f "$DATA/postmaster.pid" ]; then
        log "stopping the server in $DATA"
        as_pg "$BIN/pg_ctl" -D "$DATA" stop -m fast -w >&2 || true
    fi
}

BIN=$(pg_bin || true)
if [ "${1:-}" = stop ]; then
    stop_left_server
    exit 0
fi
if [ -z "$BIN" ]; then
    log "installing PostgreSQL"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q postgresql >&2; then
        apt-get update -q >&2
        apt-get install -y -q postgresql >&2
    fi
    BIN=$(pg_bin || true)
fi
[ -n "$BIN" ] || { log "no PostgreSQL server binaries found"; exit 1; }
if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/postgresql postgres
fi

# Start clean: a server left by an earlier run is stopped (by its own data directory).
stop_left_server
rm -rf "$DATA"
mkdir -p "$DATA"
if [ "$(id -u)" = 0 ]; then chown postgres: "$DATA"; fi
chmod 700 "$DATA"

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
RO_PW=$(python3 -c 'import secrets; print(secrets.token_hex(12))')
OWNER_PW=$(python3 -c 'import secrets; print(secrets.token_hex(12))')

log "initdb in $DATA"
as_pg "$BIN/initdb" -D "$DATA" -U postgres -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
log "starting on 127.0.0.1:$PORT"
as_pg "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories=$DATA -c fsync=off" >&2

# The superuser works through the Unix socket (trust); test roles log in over TCP.
psql_admin() { as_pg "$BIN/psql" -h "$DATA" -p "$PORT" -U postgres -X -q -v ON_ERROR_STOP=1 "$@"; }

psql_admin -d postgres <<SQL
CREATE ROLE cuadre_owner LOGIN PASSWORD '$OWNER_PW';
CREATE ROLE cuadre_ro LOGIN PASSWORD '$RO_PW';
ALTER ROLE cuadre_ro SET default_transaction_read_only = on;
CREATE DATABASE $DB OWNER cuadre_owner;
SQL

psql_admin -d "$DB" <<'SQL'
SET ROLE cuadre_owner;
-- Tables shaped like Odoo 17's (only the columns the saved query reads, plus a few).
CREATE TABLE res_currency (id serial PRIMARY KEY, name varchar NOT NULL);
CREATE TABLE res_company (id serial PRIMARY KEY, name varchar NOT NULL,
                          currency_id int REFERENCES res_currency);
CREATE TABLE res_partner (id serial PRIMARY KEY, name varchar, ref varchar, vat varchar,
                          is_company boolean DEFAULT true);
CREATE TABLE account_account (id serial PRIMARY KEY, code varchar, name jsonb,
                              account_type varchar NOT NULL, company_id int);
CREATE TABLE account_move (
    id serial PRIMARY KEY, name varchar, move_type varchar NOT NULL, state varchar NOT NULL,
    date date NOT NULL, invoice_date date, invoice_date_due date, ref varchar,
    payment_reference varchar, partner_id int REFERENCES res_partner,
    company_id int REFERENCES res_company, currency_id int REFERENCES res_currency);
CREATE TABLE account_move_line (
    id serial PRIMARY KEY, move_id int NOT NULL REFERENCES account_move ON DELETE CASCADE,
    move_name varchar, parent_state varchar, date date, date_maturity date,
    partner_id int REFERENCES res_partner, account_id int NOT NULL REFERENCES account_account,
    company_id int REFERENCES res_company, currency_id int NOT NULL REFERENCES res_currency,
    company_currency_id int REFERENCES res_currency, display_type varchar, name varchar,
    debit numeric, credit numeric, balance numeric, amount_currency numeric,
    amount_residual numeric, amount_residual_currency numeric, reconciled boolean);

INSERT INTO res_currency (id, name) VALUES (1, 'MXN'), (2, 'USD'), (3, 'EUR');
INSERT INTO res_company (id, name, currency_id) VALUES (1, 'Distribuidora Demo SA de CV', 1);
INSERT INTO res_partner (id, name, ref, vat) VALUES
    (10, 'Abarrotes La Esperanza SA de CV', 'C0001', 'AES010101AB1'),
    (11, 'Constructora del Norte SA de CV', '', 'CNO990101XY2'),
    (12, 'Globex Inc', 'C0003', NULL),
    (13, 'Papelería Central', 'C0004', 'PCE850505QW3');
INSERT INTO account_account (id, code, name, account_type, company_id) VALUES
    (1, '105.01.01', '{"en_US": "Clientes nacionales"}', 'asset_receivable', 1),
    (2, '201.01.01', '{"en_US": "Proveedores"}', 'liability_payable', 1),
    (3, '401.01.01', '{"en_US": "Ventas"}', 'income', 1),
    (4, '102.01.01', '{"en_US": "Bancos"}', 'asset_cash', 1);

INSERT INTO account_move (id, name, move_type, state, date, invoice_date, invoice_date_due,
                          ref, partner_id, company_id, currency_id) VALUES
    (1, 'INV/2026/00001', 'out_invoice', 'posted', '2026-09-15', '2026-09-15', '2026-10-15', 'PO-7781', 10, 1, 1),
    (2, 'INV/2026/00002', 'out_invoice', 'posted', '2026-09-20', '2026-09-20', '2026-10-20', NULL, 10, 1, 1),
    (3, 'INV/2026/00003', 'out_invoice', 'posted', '2026-10-01', '2026-10-01', '2026-11-30', 'OC 4410', 11, 1, 1),
    (4, 'RINV/2026/00001', 'out_refund', 'posted', '2026-10-05', '2026-10-05', '2026-10-05', 'INV/2026/00001', 10, 1, 1),
    (5, 'PBNK1/2026/00007', 'entry', 'posted', '2026-10-10', NULL, NULL, NULL, 11, 1, 1),
    (6, 'INV/2026/00004', 'out_invoice', 'posted', '2026-10-12', '2026-10-12', '2026-11-11', 'GX-PO-19', 12, 1, 2),
    (7, 'INV/2026/00005', 'out_invoice', 'posted', '2026-08-01', '2026-08-01', '2026-08-31', NULL, 13, 1, 1),
    (8, 'INV/2026/00006', 'out_invoice', 'draft', '2026-10-20', '2026-10-20', '2026-11-19', NULL, 13, 1, 1),
    (9, 'BILL/2026/00001', 'in_invoice', 'posted', '2026-10-02', '2026-10-02', '2026-11-01', NULL, 13, 1, 1),
    (10, 'MISC/2026/00001', 'entry', 'posted', '2026-10-31', NULL, NULL, 'Ajuste de saldo', NULL, 1, 1);

INSERT INTO account_move_line (move_id, move_name, parent_state, date, date_maturity,
    partner_id, account_id, company_id, currency_id, company_currency_id, display_type, name,
    balance, amount_currency, amount_residual, amount_residual_currency, reconciled) VALUES
    -- open invoice, nothing paid
    (1, 'INV/2026/00001', 'posted', '2026-09-15', '2026-10-15', 10, 1, 1, 1, 1, 'payment_term', 'INV/2026/00001', 11600.00, 11600.00, 11600.00, 11600.00, false),
    (1, 'INV/2026/00001', 'posted', '2026-09-15', NULL, 10, 3, 1, 1, 1, 'product', 'Servicio', -10000.00, -10000.00, 0, 0, false),
    -- partly paid invoice
    (2, 'INV/2026/00002', 'posted', '2026-09-20', '2026-10-20', 10, 1, 1, 1, 1, 'payment_term', 'INV/2026/00002', 23200.00, 23200.00, 5000.50, 5000.50, false),
    -- invoice in two installments
    (3, 'INV/2026/00003', 'posted', '2026-10-01', '2026-10-31', 11, 1, 1, 1, 1, 'payment_term', 'installment 1', 5800.00, 5800.00, 5800.00, 5800.00, false),
    (3, 'INV/2026/00003', 'posted', '2026-10-01', '2026-11-30', 11, 1, 1, 1, 1, 'payment_term', 'installment 2', 5800.00, 5800.00, 5800.00, 5800.00, false),
    -- open credit note
    (4, 'RINV/2026/00001', 'posted', '2026-10-05', '2026-10-05', 10, 1, 1, 1, 1, 'payment_term', 'RINV/2026/00001', -1160.00, -1160.00, -1160.00, -1160.00, false),
    -- unapplied customer payment
    (5, 'PBNK1/2026/00007', 'posted', '2026-10-10', '2026-10-10', 11, 1, 1, 1, 1, NULL, 'Pago cliente', -3000.00, -3000.00, -3000.00, -3000.00, false),
    (5, 'PBNK1/2026/00007', 'posted', '2026-10-10', NULL, 11, 4, 1, 1, 1, NULL, 'Pago cliente', 3000.00, 3000.00, 0, 0, false),
    -- invoice in USD (company currency MXN)
    (6, 'INV/2026/00004', 'posted', '2026-10-12', '2026-11-11', 12, 1, 1, 2, 1, 'payment_term', 'INV/2026/00004', 17500.00, 1000.00, 17500.00, 1000.00, false),
    -- paid invoice: reconciled, not read
    (7, 'INV/2026/00005', 'posted', '2026-08-01', '2026-08-31', 13, 1, 1, 1, 1, 'payment_term', 'INV/2026/00005', 4640.00, 4640.00, 0, 0, true),
    -- draft invoice: not posted, not read
    (8, 'INV/2026/00006', 'draft', '2026-10-20', '2026-11-19', 13, 1, 1, 1, 1, 'payment_term', 'INV/2026/00006', 999.00, 999.00, 999.00, 999.00, false),
    -- vendor bill on a payable account: not read
    (9, 'BILL/2026/00001', 'posted', '2026-10-02', '2026-11-01', 13, 2, 1, 1, 1, 'payment_term', 'BILL/2026/00001', -2320.00, -2320.00, -2320.00, -2320.00, false),
    -- adjustment on the receivable account without a partner (a data problem to report)
    (10, 'MISC/2026/00001', 'posted', '2026-10-31', NULL, NULL, 1, 1, 1, 1, NULL, 'Ajuste', 250.00, 250.00, 250.00, 250.00, false);

RESET ROLE;
GRANT CONNECT ON DATABASE cuadre_test TO cuadre_ro;
GRANT USAGE ON SCHEMA public TO cuadre_ro;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO cuadre_ro;
SQL

log "ready"
printf 'export CUADRE_TEST_PG_URL=%q\n' "postgresql+psycopg://cuadre_ro:$RO_PW@127.0.0.1:$PORT/$DB"
printf 'export CUADRE_TEST_PG_RW_URL=%q\n' "postgresql+psycopg://cuadre_owner:$OWNER_PW@127.0.0.1:$PORT/$DB"
printf 'export CUADRE_TEST_PG_DATA=%q\n' "$DATA"
