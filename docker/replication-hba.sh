#!/bin/bash
# Run once by the postgres image when it creates the primary: the replica may stream from it
# with the stek user's password (compose network only).
set -e
echo "host replication stek all scram-sha-256" >> "$PGDATA/pg_hba.conf"
