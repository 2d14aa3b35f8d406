#!/usr/bin/env bash
# Fortress GtidMySql: stands for a step of the primary that is gone, while the configuration fails
# over from it (`failover.from`). Such a step is left as the last deployment made it and never
# runs; this runs only if the step did not exist, i.e. the node named was not the primary.
set -euo pipefail

NODE=@@NODE@@

echo "fortress-mysql-fenced: error: $NODE is named in failover.from, so no step may run on it, but this step of it is new: was $NODE the primary of the last deployment? Name that node in failover.from" >&2
exit 1
